"""Grain-boundary builder and E_GBf (issue 6): CSL search, stoichiometry, 0-degree limit,
thickness independence, a real boundary's energy, the authors' Sigma31 cell."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from bzs_repro.analysis.gb_energy import (
    BulkReference,
    gb_energy,
    nonstoichiometric_gb_energies,
    ordering_disagreements,
)
from bzs_repro.measures import min_pair_distance
from bzs_repro.structures import gb
from bzs_repro.structures.crystal import bazrs3_pnma

A, B, C = 7.0860488, 9.94112713, 6.94156407  # the paper ACE's relaxed crystal (Angstrom)


@pytest.fixture(scope="module")
def bulk(relaxed_crystal):
    return BulkReference.from_crystal(relaxed_crystal)


def test_csl_search_finds_the_papers_sigmas():
    found = {s: gb.find_sigma(s, A, C) for s in gb.SIGMAS}
    # King & Singh: (a/c)^2 = 1.0419 ~ 25/24 -> Sigma31 for u = 2a + c (square lattice: Sigma5)
    assert (found[31].i, found[31].j) == (2, 1)
    assert found[31].misorientation_deg == pytest.approx(52.19, abs=0.01)
    assert (found[25].i, found[25].j) == (4, 5)
    assert (found[35].i, found[35].j) == (2, 5)
    for ch in found.values():
        assert ch.csl_strain < 1e-3  # well inside the stated 0.5 % tolerance
    # with an exactly square lattice u = 2a + c is Sigma5, not Sigma31
    assert gb.sigma_of_rotation(gb.misorientation_deg(2, 1, 7.0, 7.0), 7.0, 7.0)[0] == 5


def test_low_angle_approximants_report_angle():
    for x in gb.LOW_ANGLES:
        ch = gb.low_angle(x, A, C)
        assert abs(ch.misorientation_deg / 2 - x) <= 0.25
    assert (gb.low_angle(9.5, A, C).i, gb.low_angle(9.5, A, C).j) == (6, 1)


@pytest.mark.parametrize("which", ["sigma31", "sigma25", "9.5"])
def test_builder_stoichiometric_no_close_pairs(which):
    x = bazrs3_pnma(A, B, C)
    ch = gb.low_angle(9.5, A, C) if which == "9.5" else gb.find_sigma(int(which[5:]), A, C)
    bc = gb.build_bicrystal(x, ch, 8.0)
    assert gb.is_stoichiometric(bc.atoms)
    assert min_pair_distance(bc.atoms, 1.5) >= 1.5
    assert bc.atoms.cell[0, 0] == pytest.approx(ch.period_A)
    assert bc.atoms.cell[2, 2] == pytest.approx(B)


def test_zero_degree_boundary_has_zero_energy(paper_calc, relaxed_crystal, bulk):
    a = relaxed_crystal.cell.lengths()[0]
    bc = gb.build_bicrystal(relaxed_crystal, gb.zero_angle(a), 8.0, same_orientation=True)
    at = bc.atoms
    at.calc = paper_calc
    assert abs(gb_energy(at, at.get_potential_energy(), bulk)) < 1e-3


def test_sigma31_relaxed_energy_in_range(paper_calc, relaxed_crystal, bulk):
    from bzs_repro.engines.ase_engine import relax
    from bzs_repro.protocols import Relax

    a, _, c = relaxed_crystal.cell.lengths()
    bc = gb.build_bicrystal(relaxed_crystal, gb.find_sigma(31, a, c), 8.0)
    bc.atoms.calc = paper_calc
    e0 = gb_energy(bc.atoms, bc.atoms.get_potential_energy(), bulk)
    with threadpool_limits(1):
        res = relax(
            bc.atoms, paper_calc, Relax(fmax=0.1, max_steps=150, cell="normal", normal_axis=1)
        )
    e1 = gb_energy(res.atoms, res.energy_eV, bulk)
    assert 0.0 < e1 < 2.0
    assert e1 < e0  # relaxation lowers the unrelaxed (built) boundary energy


def test_thickness_independence_unrelaxed(paper_calc, relaxed_crystal, bulk):
    """The two boundaries of a cell are equivalent for every grain thickness (builder):
    E_GBf of the built Sigma31 cell agrees within 0.02 J/m2 for 10 and 20 A grains."""
    a, _, c = relaxed_crystal.cell.lengths()
    out = []
    for t in (10.0, 20.0):
        at = gb.build_bicrystal(relaxed_crystal, gb.find_sigma(31, a, c), t).atoms
        at.calc = paper_calc
        out.append((len(at), gb_energy(at, at.get_potential_energy(), bulk)))
    assert out[1][0] > out[0][0]
    assert abs(out[0][1] - out[1][1]) < 0.02


@pytest.mark.slow
def test_thickness_independence_relaxed(paper_calc, relaxed_crystal, bulk):
    """Relaxed Sigma31 (positions + the cell length normal to the boundary, BFGS): E_GBf of
    22 and 28 A grains agrees within 0.02 J/m2 (measured: 1.2590 vs 1.2599). Thinner grains
    are not yet converged: 10 A gives 1.196, 16 A 1.246 J/m2 (the boundaries interact)."""
    from bzs_repro.engines.ase_engine import relax
    from bzs_repro.protocols import Relax

    a, _, c = relaxed_crystal.cell.lengths()
    protocol = Relax(fmax=0.02, max_steps=600, cell="normal", normal_axis=1, optimizer="BFGS")
    out = []
    for t in (22.0, 28.0):
        at = gb.build_bicrystal(relaxed_crystal, gb.find_sigma(31, a, c), t).atoms
        res = relax(at, paper_calc, protocol)
        assert res.converged
        out.append((len(res.atoms), gb_energy(res.atoms, res.energy_eV, bulk)))
    assert out[1][0] > out[0][0]
    assert 0.0 < out[0][1] < 2.0
    assert abs(out[0][1] - out[1][1]) < 0.02


def test_authors_sigma31_cell(paper_mirror, paper_calc, bulk):
    from ase.io import read

    from bzs_repro.data.registry import default_registry

    at = read(default_registry().fetch("gb-sgm31"))
    at.pbc = True
    assert len(at) == 1224
    assert at.cell[2, 2] == pytest.approx(9.7184, abs=1e-3)
    at.calc = paper_calc
    res = nonstoichiometric_gb_energies(at, at.get_potential_energy(), bulk)
    # S-deficient cell: per-atom and per-species references give different, finite values
    assert set(res) == {"per_atom", "site"}
    assert np.isfinite(list(res.values())).all()
    assert res["per_atom"] != pytest.approx(res["site"], abs=1e-3)


def test_ordering_disagreements():
    od = ordering_disagreements(["a", "b", "c"], [0.1, 0.2, 0.3], [0.1, 0.35, 0.3])
    assert od["rank_differs"] == ["b", "c"]
    assert od["concordant_pair_fraction"] == pytest.approx(2 / 3)


def test_csl_table_follows_pymatgen_and_has_no_spurious_coincidences():
    """pymatgen's GrainBoundaryGenerator is the oracle: on the exactly rational lattice
    (a/c)^2 = 25/24 the numeric coincidence check (tolerance 1e-9) confirms each Sigma <= 50 it
    enumerates about [010] (25, 31, 35, 49) and the table holds exactly those; on the paper ACE's
    lattice the table holds the paper's Sigma25/31/35 and none of the near-coincidences a
    numeric search at 0.5 % accepts (a "Sigma1" at 88.8 degrees, Sigma5 at 142 degrees)."""
    import math

    from pymatgen.core.interface import GrainBoundaryGenerator

    a, c = 5.0, math.sqrt(24.0)
    oracle = GrainBoundaryGenerator.enum_sigma_ort(50, (0, 1, 0), (24, 1, 25))
    table = gb.csl_table(a, c, 50, tol=1e-9)
    assert sorted(oracle) == [t.sigma for t in table] == [25, 31, 35, 49]
    for t in table:
        assert min(abs(t.misorientation_deg - th) for th in oracle[t.sigma]) < 1e-6
        assert gb.sigma_of_rotation(t.misorientation_deg, a, c, 1e-9, nmax=30)[0] == t.sigma
    real = gb.csl_table(A, C, 50)
    assert [t.sigma for t in real] == [25, 31, 35]
    assert gb.sigma_of_rotation(88.82, A, C)[0] == 1  # what a numeric search alone reports
    assert gb.sigma_of_rotation(142.42, A, C)[0] == 5


def test_the_measured_geometry_of_built_cells():
    """Grain orientations from Zr-Zr directions (analysis.gb_geometry) give back the builder's
    misorientation to 0.3 deg (Sigma31: 52.19 deg, folded mod 90 into 37.81) and its period."""
    from bzs_repro.analysis import gb_geometry
    from bzs_repro.analysis.gb_geometry import tilt_geometry
    from bzs_repro.structures.crystal import bazrs3_pnma

    a, b, c = 7.086, 9.941, 6.942
    x = bazrs3_pnma(a, b, c)
    for label in (2.5, 4.5, 9.5):
        ch = gb.low_angle(label, a, c)
        geo = tilt_geometry(gb.build_bicrystal(x, ch, 15.0).atoms)
        assert geo.misorientation_deg == pytest.approx(ch.misorientation_deg, abs=0.3)
        assert geo.period_A == pytest.approx(ch.period_A, abs=1e-6)
        assert geo.tilt_A == pytest.approx(b)
        assert geo.s_excess == 0
        assert min(geo.coherence) > 0.9
    s31 = gb.find_sigma(31, a, c)
    geo = tilt_geometry(gb.build_bicrystal(x, s31, 15.0).atoms)
    assert geo.misorientation_deg == pytest.approx(90 - s31.misorientation_deg, abs=0.5)
    assert gb_geometry.fold_misorientation(s31.misorientation_deg) == pytest.approx(
        37.805, abs=1e-3
    )
    # one crystal, no boundary: no misorientation
    assert tilt_geometry(x.repeat((3, 4, 1))).misorientation_deg < 0.05


def test_build_gb_flags_name_what_they_set(tmp_path, capsys):
    """--misorientation is the angle between the grains, --grain-rotation each grain's."""
    from ase.io import read

    from bzs_repro.cli import main

    lattice = ["--lattice", "7.086", "9.941", "6.942"]
    a, b = tmp_path / "mis.extxyz", tmp_path / "rot.extxyz"
    assert main(["build", "gb", "--misorientation", "9", *lattice, "--out", str(a)]) == 0
    assert main(["build", "gb", "--grain-rotation", "4.5", *lattice, "--out", str(b)]) == 0
    text = capsys.readouterr().out
    assert "misorientation 9.335 deg (grains at +-4.667)" in text
    assert read(a).positions.tolist() == read(b).positions.tolist()
