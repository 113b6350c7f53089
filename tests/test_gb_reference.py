"""The bulk reference of the authors' GB cells: a cell strained along the tilt axis is compared
with the crystal strained the same way, so that strain energy is not counted as boundary
energy."""

from __future__ import annotations

import numpy as np
import pytest

from bzs_repro.analysis.gb_energy import BulkReference, nonstoichiometric_gb_energies
from bzs_repro.relaxed import relax_crystal_strained

AUTHORS_TILT_A = 9.718  # the authors' cells (FACTS.md: 47.86 x 64.96 x 9.72 A for Sigma31)


def test_strained_bulk_holds_b_and_relaxes_a_c(paper_calc, relaxed_crystal):
    xs = relax_crystal_strained(paper_calc, AUTHORS_TILT_A, atoms=relaxed_crystal)
    a0, b0, c0 = relaxed_crystal.cell.lengths()
    a, b, c = xs.cell.lengths()
    assert b == pytest.approx(AUTHORS_TILT_A, abs=1e-9)
    assert b0 > AUTHORS_TILT_A + 0.2  # this potential's crystal: 9.94 A along b
    assert a > a0  # Poisson: compressed along b, the crystal widens in a and c
    assert c > c0
    s = xs.get_stress(voigt=True)
    assert abs(s[0]) < 1e-3  # a, c relaxed to zero stress (eV/A^3), b held
    assert abs(s[2]) < 1e-3
    assert s[1] < -1e-3  # compressive along b
    e_free = relaxed_crystal.get_potential_energy() / len(relaxed_crystal)
    assert xs.get_potential_energy() / len(xs) > e_free + 1e-3  # strain costs energy


def test_a_strained_bulk_block_has_no_boundary_energy_against_the_strained_bulk(
    paper_calc, relaxed_crystal
):
    """A 'GB cell' that is only the crystal strained to the authors' tilt period: E_GBf 0
    against the strained crystal, > 0 (pure strain energy) against the unstrained one."""
    xs = relax_crystal_strained(paper_calc, AUTHORS_TILT_A, atoms=relaxed_crystal)
    block = xs.repeat((2, 3, 1))
    block.calc = paper_calc
    e = block.get_potential_energy()
    free = BulkReference.from_crystal(relaxed_crystal, paper_calc)
    strained = BulkReference.from_crystal(xs, paper_calc)
    vs_strained = nonstoichiometric_gb_energies(block, e, strained, normal_axis=1)
    vs_free = nonstoichiometric_gb_energies(block, e, free, normal_axis=1)
    assert vs_strained["per_atom"] == pytest.approx(0.0, abs=1e-8)
    assert vs_strained["site"] == pytest.approx(0.0, abs=1e-8)
    assert vs_free["per_atom"] > 0.01  # J/m2 of strain, not of a boundary
    assert np.isfinite(vs_free["site"])
