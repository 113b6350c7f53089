"""Measures of an ASE Atoms that every layer uses (structures, engines, analysis), with no
import of the project: mass density and the shortest interatomic distance.
Constants from ase.units, defined once here."""

from __future__ import annotations

from ase import Atoms
from ase.neighborlist import neighbor_list
from ase.units import create_units

# one atomic mass unit in g: CODATA 2018 (ase.units' default table is CODATA 2014, 1.6e-8
# lower, which would move every density and, through the start boxes, every MD trajectory)
AMU_G = create_units("2018")["_amu"] * 1e3
A3_CM3 = 1e-24  # one cubic Angstrom in cm3


def density_g_cm3(atoms: Atoms) -> float:
    """Mass density in g/cm3 (masses in amu, volume in Angstrom^3)."""
    return float(atoms.get_masses().sum() * AMU_G / (atoms.get_volume() * A3_CM3))


def min_pair_distance(atoms: Atoms, below: float = 1.0) -> float:
    """Shortest interatomic distance (Angstrom) if it is below ``below``, else ``inf``."""
    d = neighbor_list("d", atoms, below)
    return float(d.min()) if d.size else float("inf")
