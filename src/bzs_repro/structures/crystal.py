"""The orthorhombic (Pnma, No. 62) BaZrS3 crystal: its cell, space group (its relaxation with a
potential: :func:`bzs_repro.relaxed.relax_crystal`)."""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.spacegroup import crystal

from bzs_repro.potential import MASSES

# Room-temperature lattice of BaZrS3 (Pnma setting, b the long axis), Angstrom.
LATTICE_RT = (7.06, 9.98, 7.03)

# Wyckoff parameters (fractional), Pnma setting: Ba 4c (x, 1/4, z), Zr 4b (0, 0, 1/2),
# S1 4c (x, 1/4, z), S2 8d (x, y, z). GdFeO3 structure type as reported for BaZrS3 by
# Lelieveld & IJdo, Acta Cryst. B 36, 2223 (1980); the free parameters below are those of
# that type refined with the paper's low-energy ACE at the room-temperature lattice
# (this project, 2026; tests/test_crystal.py checks Pnma, CN and bond lengths).
WYCKOFF = {
    "Ba": (0.0517, 0.25, 0.9866),
    "Zr": (0.0, 0.0, 0.5),
    "S1": (0.4937, 0.25, 0.0639),
    "S2": (0.2895, 0.0336, 0.7099),
}


def bazrs3_pnma(
    a: float = LATTICE_RT[0], b: float = LATTICE_RT[1], c: float = LATTICE_RT[2]
) -> Atoms:
    """The 20-atom conventional cell of Pnma BaZrS3 (Z = 4) with lattice a, b, c in Angstrom.

    Ba 4c, Zr 4b, S 4c + 8d (see ``WYCKOFF`` for the parameters and their source). Masses
    are those of the authors' files (Ba 137.327, Zr 91.224, S 32.065 amu).
    """
    atoms = crystal(
        ["Ba", "Zr", "S", "S"],
        basis=[WYCKOFF["Ba"], WYCKOFF["Zr"], WYCKOFF["S1"], WYCKOFF["S2"]],
        spacegroup=62,
        cellpar=[a, b, c, 90, 90, 90],
        primitive_cell=False,
    )
    atoms.set_masses([MASSES[s] for s in atoms.get_chemical_symbols()])
    return atoms


def spacegroup_number(atoms: Atoms, symprec: float = 0.1) -> int:
    """spglib space-group number of ``atoms`` (0 if none is found)."""
    import spglib

    cell = (np.asarray(atoms.cell), atoms.get_scaled_positions(), atoms.numbers)
    ds = spglib.get_symmetry_dataset(cell, symprec=symprec)
    return 0 if ds is None else int(ds.number)
