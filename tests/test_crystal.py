"""The Pnma BaZrS3 crystal: symmetry, coordination, bond lengths, relaxation."""

from __future__ import annotations

import numpy as np
import pytest

from bzs_repro.analysis.coordination import bonds, coordination_numbers
from bzs_repro.measures import density_g_cm3
from bzs_repro.structures.crystal import bazrs3_pnma, spacegroup_number


def test_cell_composition_and_symmetry():
    atoms = bazrs3_pnma()
    assert len(atoms) == 20
    assert atoms.get_chemical_formula() == "Ba4S12Zr4"
    assert spacegroup_number(atoms, symprec=1e-3) == 62
    np.testing.assert_allclose(atoms.cell.cellpar(), [7.06, 9.98, 7.03, 90, 90, 90])
    # density of the room-temperature cell: 4 x 324.746 amu in 495.3 A^3
    assert density_g_cm3(atoms) == pytest.approx(4.355, abs=0.002)


def test_coordination_and_bonds():
    atoms = bazrs3_pnma()
    assert coordination_numbers(atoms, "Zr", "S", 3.1).tolist() == [6, 6, 6, 6]
    assert coordination_numbers(atoms, "Ba", "S", 3.8).tolist() == [8, 8, 8, 8]
    zr_s = bonds(atoms, "Zr", "S")
    assert zr_s.length.min() > 2.5
    assert zr_s.length.max() < 2.6
    # ZrS6 octahedra: the six bond vectors of each Zr sum to zero (Zr on inversion centre 4b)
    for i in zr_s.center_index:
        assert np.abs(zr_s.vector[zr_s.bond_i == i].sum(axis=0)).max() < 1e-8


def test_supercell_counts_are_periodic_images():
    atoms = bazrs3_pnma().repeat((2, 1, 2))
    assert bonds(atoms, "Zr", "S").cn_fractions() == {6: 1.0}
    assert bonds(atoms, "Ba", "S").mean_length_by_cn().keys() == {8}


def test_missing_species_is_a_clear_error():
    atoms = bazrs3_pnma()
    del atoms[[a.index for a in atoms if a.symbol == "Zr"]]
    with pytest.raises(ValueError, match="species 'Zr' not present"):
        bonds(atoms, "Zr", "S")


def test_relaxed_with_the_paper_potential_keeps_pnma(relaxed_crystal):
    atoms = relaxed_crystal
    assert spacegroup_number(atoms, symprec=0.1) == 62
    a, b, c = atoms.cell.cellpar()[:3]
    # within 2 % of the room-temperature experimental lattice
    np.testing.assert_allclose([a, b, c], [7.06, 9.98, 7.03], rtol=0.02)
    assert coordination_numbers(atoms, "Zr", "S").tolist() == [6] * 4
    assert coordination_numbers(atoms, "Ba", "S").tolist() == [8] * 4
    assert np.abs(atoms.get_forces()).max() < 1e-3
    assert np.abs(atoms.get_stress()[:3]).max() < 1e-4  # eV/A^3, ~0.02 GPa
