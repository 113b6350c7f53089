"""Melt-quench of Fig. 2 with the paper's potential, in miniature: the protocol from the
config, a tiny quench that must give an amorphous solid, and resume from a checkpoint."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from bzs_repro.analysis.meltquench import cost_estimate
from bzs_repro.paths import reproduce_dir
from bzs_repro.pipelines.fig2 import sample_frames
from bzs_repro.protocols import MDProtocol, MDStage, meltquench_protocol


def _cfg(scale: str) -> dict:
    raw = tomllib.loads((reproduce_dir() / "fig2" / "config.toml").read_text())
    return {**raw["common"], **raw["scales"][scale]}


def test_config_protocols_and_cost():
    smoke, paper = _cfg("smoke"), _cfg("paper")
    p = meltquench_protocol(smoke)
    # NPT melt at 2500 K, no stage hotter (docs/fig2-quench-rate.md), quench, equilibrate
    assert [s.name for s in p.stages] == ["melt", "quench", "equilibrate"]
    assert [s.ensemble for s in p.stages] == ["npt", "npt", "npt"]
    assert max(max(s.T_start_K, s.T_final_K) for s in p.stages) == 2500.0
    quench = p.stages[1]
    assert quench.time_ps == pytest.approx((2500 - 300) / 1e15 * 1e12)  # 2.2 ps at 1e15 K/s
    assert quench.temperature_at(0.5) == pytest.approx(1400.0)
    cost = cost_estimate(p, smoke["n_atoms"], 7000.0)
    assert cost["estimated_s"] < 300  # smoke: minutes on one core
    pp = meltquench_protocol(paper)
    assert paper["quench_rate_K_per_s"] == 1e13
    assert paper["n_atoms"] == 10240
    assert pp.stages[1].time_ps == pytest.approx(220.0)
    assert cost_estimate(pp, 10240, 7000.0)["estimated_s"] > 24 * 3600  # HPC territory
    with pytest.raises(ValueError, match="quench rate"):
        meltquench_protocol(smoke, -1.0)
    with pytest.raises(ValueError, match="melt_ensemble"):
        meltquench_protocol({**smoke, "melt_ensemble": "nve"})


@pytest.mark.slow
def test_tiny_quench_is_amorphous_and_dense(paper_calc, relaxed_crystal, tmp_path):
    """120 atoms (3x1x2 cells strained into a cube, melted), 2e15 K/s: g(r) beyond 6 A within
    10 % of 1 and a density between 80 % and 100 % of the crystal's (about 40 s on one core)."""
    from bzs_repro.analysis.rdf import long_range_deviation
    from bzs_repro.engines import ase_engine
    from bzs_repro.measures import density_g_cm3
    from bzs_repro.structures.amorphous import start_configuration

    cfg = {**_cfg("smoke"), "melt_ps": 1.0, "liquid_ps": 0.5, "equil_ps": 0.6, "seed": 2}
    atoms = start_configuration(
        "melted-crystal", 120, reps=(3, 1, 2), crystal=relaxed_crystal, cubic=True
    )
    protocol = meltquench_protocol(cfg, quench_rate_K_per_s=2e15)
    res = ase_engine.run_md(atoms, paper_calc, protocol, workdir=tmp_path, progress=False)
    ratio = density_g_cm3(res.atoms) / density_g_cm3(relaxed_crystal)
    assert 0.80 <= ratio <= 1.00
    frames = sample_frames(
        ase_engine, res.atoms, paper_calc, 300.0, 8, 25, 2.0, tmp_path / "sample", progress=False
    )
    assert len(frames) == 8
    assert long_range_deviation(frames) < 0.10
    assert res.thermo[-1]["T_K"] < 600  # quenched


class _Killed(Exception):
    pass


def test_resume_from_checkpoint_continues_steps(paper_calc, relaxed_crystal, tmp_path, monkeypatch):
    from bzs_repro.engines import ase_engine

    protocol = MDProtocol(
        (MDStage("a", "nvt", 0.04, 300.0), MDStage("b", "npt", 0.04, 300.0)),
        dt_fs=2.0,
        thermo_every=5,
        checkpoint_every=10,
        seed=4,
        barostat="iso",
    )
    assert protocol.total_steps == 40
    real_row = ase_engine._thermo_row

    def dying_row(atoms, step, *args):
        if step > 25:  # the "kill": after the checkpoint at step 20, before the one at 30
            raise _Killed
        return real_row(atoms, step, *args)

    monkeypatch.setattr(ase_engine, "_thermo_row", dying_row)
    with pytest.raises(_Killed):
        ase_engine.run_md(relaxed_crystal, paper_calc, protocol, workdir=tmp_path, progress=False)
    monkeypatch.setattr(ase_engine, "_thermo_row", real_row)
    res = ase_engine.run_md(relaxed_crystal, paper_calc, protocol, workdir=tmp_path, progress=False)
    assert res.resumed_from_step == 20
    steps = [row["step"] for row in res.thermo]
    assert steps == list(range(5, 41, 5))  # every thermo row once, no gap, no repeat
    assert [row["stage"] for row in res.thermo][3:5] == ["a", "b"]
    assert np.isfinite(res.atoms.positions).all()
    assert len(res.atoms) == 20
