"""Grain-boundary formation energies, per-atom excess energies and reference comparisons.

E_GBf = (E_GB - N_fu e_fu) / (2 A), in J/m2: E_GB the energy of the periodic cell with two
boundaries (eV), N_fu its formula units, e_fu the energy per BaZrS3 of the relaxed crystal
(eV), A the area of one boundary (Angstrom^2). 1 eV/A^2 = 16.0218 J/m2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ase import Atoms

EV_PER_A2_TO_J_PER_M2 = 16.021766
SPECIES = ("Ba", "Zr", "S")


@dataclass(frozen=True)
class BulkReference:
    """The relaxed crystal's energies: per formula unit, per atom and per species (site
    energies of the ACE, mean over the crystal's sites of each species), all in eV."""

    e_fu: float
    e_atom: float
    e_species: dict[str, float]

    @classmethod
    def from_crystal(cls, crystal: Atoms, calc=None) -> BulkReference:
        atoms = crystal.copy()
        atoms.calc = calc if calc is not None else crystal.calc
        e = float(atoms.get_potential_energy())
        n_fu = atoms.get_chemical_symbols().count("Zr")
        sym = np.array(atoms.get_chemical_symbols())
        try:
            site = atoms.get_potential_energies()
            e_sp = {s: float(site[sym == s].mean()) for s in SPECIES}
        except Exception:  # noqa: BLE001 - calculators without site energies (CHGNet)
            e_sp = {}
        return cls(e / n_fu, e / len(atoms), e_sp)


def area_A2(atoms: Atoms, normal_axis: int = 1) -> float:
    """Area (Angstrom^2) of one boundary of an orthogonal cell.

    ``normal_axis`` is the boundary normal.
    """
    lengths = atoms.cell.lengths()
    return float(np.prod([lengths[k] for k in range(3) if k != normal_axis]))


def formation_energy_J_m2(e_cell: float, n_fu: float, e_fu: float, area: float) -> float:
    """E_GBf = (E_cell - n_fu e_fu) / (2 area), J/m2 (energies eV, area Angstrom^2)."""
    return (e_cell - n_fu * e_fu) / (2.0 * area) * EV_PER_A2_TO_J_PER_M2


def gb_energy(atoms: Atoms, e_cell: float, bulk: BulkReference, normal_axis: int = 1) -> float:
    """E_GBf (J/m2) of a stoichiometric cell with energy ``e_cell`` (eV)."""
    sym = atoms.get_chemical_symbols()
    n_fu = sym.count("Zr")
    if not (sym.count("Ba") == n_fu and sym.count("S") == 3 * n_fu):
        msg = "gb_energy needs a stoichiometric cell; use nonstoichiometric_gb_energies"
        raise ValueError(msg)
    return formation_energy_J_m2(e_cell, n_fu, bulk.e_fu, area_A2(atoms, normal_axis))


def nonstoichiometric_gb_energies(
    atoms: Atoms, e_cell: float, bulk: BulkReference, normal_axis: int = 1
) -> dict[str, float]:
    """E_GBf (J/m2) of a cell whose composition is not BaZrS3 under two references:

    - ``per_atom``: the same number of atoms of bulk crystal (N e_atom; the paper's words),
    - ``site``: each atom at its species' bulk site energy (sum_s N_s e_s, the ACE's own
      decomposition; equals a chemical-potential reference mu_s = e_s).
    """
    sym = np.array(atoms.get_chemical_symbols())
    area = area_A2(atoms, normal_axis)
    out = {"per_atom": (e_cell - len(atoms) * bulk.e_atom) / (2 * area) * EV_PER_A2_TO_J_PER_M2}
    if bulk.e_species:
        ref = sum(bulk.e_species[s] * int((sym == s).sum()) for s in SPECIES)
        out["site"] = (e_cell - ref) / (2 * area) * EV_PER_A2_TO_J_PER_M2
    return out


def excess_atom_energies(
    atoms: Atoms, site_energies: np.ndarray, bulk: BulkReference
) -> np.ndarray:
    """Per-atom energy minus the bulk per-atom energy of the atom's species (eV)."""
    sym = np.array(atoms.get_chemical_symbols())
    ref = np.array([bulk.e_species[s] for s in sym])
    return np.asarray(site_energies) - ref


def ordering_disagreements(labels: list[str], e_model: list[float], e_ref: list[float]) -> dict:
    """Compare the energy ordering of two sets of E_GBf: Spearman rho, the fraction of
    concordant pairs, and the labels whose rank differs between the two."""
    from scipy.stats import spearmanr

    m, r = np.asarray(e_model), np.asarray(e_ref)
    rank_m, rank_r = np.argsort(np.argsort(m)), np.argsort(np.argsort(r))
    pairs = [(i, j) for i in range(len(m)) for j in range(i + 1, len(m))]
    conc = sum(1 for i, j in pairs if np.sign(m[i] - m[j]) == np.sign(r[i] - r[j]))
    rho = float(spearmanr(m, r).statistic) if len(m) > 2 else math.nan
    return {
        "spearman": rho,
        "concordant_pair_fraction": conc / len(pairs) if pairs else math.nan,
        "rank_differs": [lab for lab, a, b in zip(labels, rank_m, rank_r, strict=True) if a != b],
    }
