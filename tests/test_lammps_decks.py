"""Rendering of protocols as LAMMPS input text (no LAMMPS needed)."""

from __future__ import annotations

import pytest

from bzs_repro.engines import lammps_decks as decks
from bzs_repro.protocols import MDProtocol, MDStage, Relax, melt_quench


def test_pair_lines_native_and_bridge():
    assert decks.pair_lines("pace", ["Ba", "Zr", "S"], "pot.yace") == [
        "pair_style pace recursive",
        "pair_coeff * * pot.yace Ba Zr S",
    ]
    assert (
        decks.pair_lines("pace", ["Ba"], "p.yace", algorithm="product")[0]
        == "pair_style pace product"
    )
    bridge = decks.pair_lines("bridge", ["Ba", "Zr", "S"], cutoff_A=7.17)
    assert f"fix {decks.BRIDGE_FIX} all external pf/callback 1 1" in bridge
    assert f"fix_modify {decks.BRIDGE_FIX} energy yes virial yes" in bridge
    with pytest.raises(ValueError, match="yace"):
        decks.pair_lines("pace", ["Ba", "Zr", "S"])
    with pytest.raises(ValueError, match="unknown pair mode"):
        decks.pair_lines("eam", ["Ba"])


@pytest.mark.parametrize(
    ("cell", "fix"),
    [
        ("fixed", None),
        ("iso", "box/relax iso 10000"),
        ("ortho", "box/relax aniso 10000"),
        ("full", "box/relax tri 10000"),
        ("normal", "box/relax z 10000 couple none"),
    ],
)
def test_minimize_lines(cell, fix):
    lines = decks.minimize_lines(
        Relax(fmax=0.01, max_steps=100, cell=cell, normal_axis=2, pressure_GPa=1.0), triclinic=True
    )
    text = "\n".join(lines)
    assert ("box/relax" in text) == (fix is not None)
    if fix:
        assert fix in text
        assert lines[-1] == f"unfix {decks.BOXRELAX_FIX}"
    assert "min_style fire" in text if cell == "fixed" else "min_style cg" in text
    ftol = float(next(ln for ln in lines if ln.startswith("minimize")).split()[2])
    # LAMMPS' norm max is the largest per-atom |F| (src/min.cpp Min::fnorm_max): ftol = fmax
    assert ftol == pytest.approx(0.01, rel=1e-9)


def test_fire_takes_ase_parameters_and_restores_masses():
    lines = decks.minimize_lines(Relax(fmax=0.05, max_steps=10, cell="fixed", optimizer="FIRE"))
    i_min = next(i for i, ln in enumerate(lines) if ln.startswith("minimize"))
    assert lines.index("mass * 1.0") < i_min
    dt = float(next(ln for ln in lines if ln.startswith("timestep")).split()[1])
    assert dt == pytest.approx(0.1 * 10.1805e-3, rel=1e-4)  # 0.1 ASE time units, in ps
    assert lines[i_min + 1 :] == ["mass 1 137.327", "mass 2 91.224", "mass 3 32.065"]
    cg = decks.minimize_lines(Relax(cell="iso", optimizer="FIRE"))
    assert not any(ln.startswith("mass") for ln in cg)


def test_full_cell_needs_triclinic_box():
    with pytest.raises(ValueError, match="triclinic"):
        decks.minimize_lines(Relax(cell="full"), triclinic=False)


def test_md_deck_stages_and_ramps():
    proto = melt_quench(
        3500.0,
        2.0,
        1e15,
        300.0,
        3.0,
        dt_fs=2.0,
        premelt_nvt_ps=1.0,
        pressure_GPa=0.5,
        barostat="iso",
    )
    deck = decks.md_deck(proto, "start.data", ["Ba", "Zr", "S"], yace_file="pot.yace")
    assert "timestep 0.002" in deck
    assert "fix bzs_int all nvt temp 3500 3500 0.1" in deck
    assert "fix bzs_int all npt temp 3500 300 0.1 iso 5000 5000 1" in deck
    # quench 3200 K at 1e15 K/s = 3.2 ps = 1600 steps of 2 fs, after 500 + 1000 steps
    assert "run 1600 start 1500 stop 3100" in deck
    runs = [ln for ln in deck.splitlines() if ln.startswith("run ")]
    assert sum(int(r.split()[1]) for r in runs) == proto.total_steps


def test_stage_fix_nve_and_aniso_default():
    proto = MDProtocol((MDStage("a", "nve", 0.1, 300.0), MDStage("b", "npt", 0.1, 300.0)))
    assert decks.stage_fix_line(proto.stages[0], proto) == "fix bzs_int all nve"
    assert " aniso 0 0 1" in decks.stage_fix_line(proto.stages[1], proto)


@pytest.mark.parametrize("baro", ["iso", "aniso", "tri"])
def test_npt_barostat_field_is_rendered(baro):
    """MDProtocol.barostat -> the coupling keyword of fix npt; tri only on a triclinic box."""
    proto = MDProtocol(
        (MDStage("b", "npt", 0.1, 300.0, pressure_GPa=-0.2),), pdamp_fs=500.0, barostat=baro
    )
    line = decks.stage_fix_line(proto.stages[0], proto, triclinic=True)
    assert line == f"fix bzs_int all npt temp 300 300 0.1 {baro} -2000 -2000 0.5"
    if baro == "tri":
        with pytest.raises(ValueError, match="triclinic"):
            decks.stage_fix_line(proto.stages[0], proto, triclinic=False)


def test_legacy_meta_barostat_must_agree_with_the_field():
    stage = MDStage("b", "npt", 0.1, 300.0)
    ok = MDProtocol((stage,), barostat="iso", meta={"barostat": "iso"})
    assert decks.barostat_keyword(ok) == "iso"
    with pytest.raises(ValueError, match="disagrees"):
        MDProtocol((stage,), meta={"barostat": "iso"})  # field left at its default 'aniso'
    with pytest.raises(ValueError, match="unknown barostat"):
        MDProtocol((stage,), barostat="z")


def test_relax_deck_is_standalone():
    """A GB-style relaxation (only the length normal to the plane, here z) as a complete
    input file for an ML-PACE lmp."""
    deck = decks.relax_deck(
        Relax(fmax=0.005, max_steps=3000, cell="normal", normal_axis=2),
        "gb.data",
        ["Ba", "Zr", "S"],
        yace_file="potential.yace",
    )
    lines = deck.splitlines()
    assert "read_data gb.data" in lines
    assert "pair_coeff * * potential.yace Ba Zr S" in lines
    assert f"fix {decks.BOXRELAX_FIX} all box/relax z 0 couple none vmax 0.001" in lines
    assert lines.index("min_style cg") < lines.index(
        next(ln for ln in lines if ln.startswith("minimize"))
    )
    assert lines[-1] == "write_data relaxed.data"
