"""Coordination numbers and bond lengths between species with a distance cutoff.

ASE's neighbour list (periodic, minimum image handled for any cell) does the search; the
paper's cutoffs are Zr-S 3.1 A and Ba-S 3.8 A. OVITO's CoordinationAnalysisModifier gives
identical counts for the same cutoff (cross-checked in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

CUTOFFS = {("Zr", "S"): 3.1, ("Ba", "S"): 3.8}  # Angstrom, the paper's


@dataclass(frozen=True)
class Bonds:
    """Bonds from ``center`` atoms to ``neighbor`` atoms within ``cutoff`` (Angstrom)."""

    center: str
    neighbor: str
    cutoff: float
    center_index: np.ndarray  # index of each center atom (ascending)
    cn: np.ndarray  # coordination number of each center atom
    bond_i: np.ndarray  # center atom index of each bond
    bond_j: np.ndarray  # neighbor atom index of each bond
    length: np.ndarray  # bond lengths, Angstrom
    vector: np.ndarray  # bond vectors i -> j, Angstrom

    @property
    def mean_cn(self) -> float:
        return float(self.cn.mean()) if self.cn.size else float("nan")

    @property
    def mean_length(self) -> float:
        return float(self.length.mean()) if self.length.size else float("nan")

    def cn_fractions(self) -> dict[int, float]:
        """Fraction of center atoms with each coordination number."""
        values, counts = np.unique(self.cn, return_counts=True)
        return {int(v): float(c / self.cn.size) for v, c in zip(values, counts, strict=True)}

    def mean_length_by_cn(self) -> dict[int, float]:
        """Mean bond length of the bonds of center atoms with each coordination number."""
        cn_of = dict(zip(self.center_index, self.cn, strict=True))
        bond_cn = np.array([cn_of[i] for i in self.bond_i], dtype=int)
        return {int(k): float(self.length[bond_cn == k].mean()) for k in np.unique(bond_cn)}


def require_species(atoms: Atoms, *species: str) -> np.ndarray:
    """The chemical symbols of ``atoms`` as an array; ValueError naming any missing species."""
    symbols = np.array(atoms.get_chemical_symbols())
    missing = [sp for sp in species if sp not in symbols]
    if missing:
        msg = f"species {', '.join(map(repr, missing))} not present (have {sorted(set(symbols))})"
        raise ValueError(msg)
    return symbols


def bonds(atoms: Atoms, center: str, neighbor: str, cutoff: float | None = None) -> Bonds:
    """All ``center``-``neighbor`` bonds shorter than ``cutoff`` (default: the paper's)."""
    if cutoff is None:
        cutoff = CUTOFFS[(center, neighbor)]
    symbols = require_species(atoms, center, neighbor)
    i, j, d, D = neighbor_list("ijdD", atoms, cutoff)
    keep = (symbols[i] == center) & (symbols[j] == neighbor)
    i, j, d, D = i[keep], j[keep], d[keep], D[keep]
    centers = np.flatnonzero(symbols == center)
    cn = np.bincount(i, minlength=len(atoms))[centers]
    order = np.lexsort((d, i))
    return Bonds(center, neighbor, cutoff, centers, cn, i[order], j[order], d[order], D[order])


def coordination_numbers(
    atoms: Atoms, center: str, neighbor: str, cutoff: float | None = None
) -> np.ndarray:
    """Coordination number of every ``center`` atom by ``neighbor`` atoms within ``cutoff``."""
    return bonds(atoms, center, neighbor, cutoff).cn
