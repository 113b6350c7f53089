"""The geometry of a two-grain [001] tilt cell, measured from its atoms: each grain's in-plane
orientation from its Zr-Zr nearest-neighbour directions (the Zr sublattice of Pnma BaZrS3 is
pseudo-cubic: orientations are defined modulo 90 degrees), the misorientation between the two
grains (folded into [0, 45] degrees), the period along the boundary and the composition.

Written here because no library measures grain orientations of an orthorhombic perovskite
bicrystal (OVITO's polyhedral template matching knows cubic lattices, not Pnma's tilts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

ZR_ZR_MAX_A = 5.6  # Zr-Zr nearest neighbours at ~5.0 A (a / sqrt 2); the next shell at ~7 A


@dataclass(frozen=True)
class TiltGeometry:
    """Measured: grain orientations (deg, mod 90) and their coherence (|<exp(4 i theta)>|, 1
    for a perfect grain), misorientation (deg, folded into [0, 45]), period along the boundary
    (A), tilt period (A), counts, and the S excess over the charge-neutral count
    (S - (Ba + 2 Zr): Ba2+, Zr4+, S2-; negative = S-deficient)."""

    orientation_deg: tuple[float, float]
    coherence: tuple[float, float]
    misorientation_deg: float
    period_A: float
    tilt_A: float
    counts: dict[str, int]

    @property
    def s_excess(self) -> int:
        return self.counts["S"] - (self.counts["Ba"] + 2 * self.counts["Zr"])


def grain_orientation(atoms: Atoms, mask: np.ndarray, tilt_axis: int = 2) -> tuple[float, float]:
    """(orientation in degrees mod 90, coherence) of the Zr atoms in ``mask``: the circular mean
    (period 90 degrees) of their in-plane Zr-Zr nearest-neighbour directions."""
    sym = np.asarray(atoms.get_chemical_symbols())
    i, j, d = neighbor_list("ijD", atoms, ZR_ZR_MAX_A)
    plane = [k for k in range(3) if k != tilt_axis]
    keep = (sym[i] == "Zr") & (sym[j] == "Zr") & mask[i] & (np.abs(d[:, tilt_axis]) < 1.0)
    if not keep.any():
        msg = "no in-plane Zr-Zr pairs in the selected grain"
        raise ValueError(msg)
    theta = np.arctan2(d[keep, plane[1]], d[keep, plane[0]])
    z = np.mean(np.exp(4j * theta))
    return float(np.degrees(np.angle(z) / 4)), float(abs(z))


def fold_misorientation(deg: float) -> float:
    """A misorientation as this measurement sees it: modulo 90 degrees, folded into [0, 45]."""
    return float(abs((deg + 45.0) % 90.0 - 45.0))


def tilt_geometry(atoms: Atoms, normal_axis: int = 1, tilt_axis: int = 2) -> TiltGeometry:
    """The geometry of a periodic cell with two grains stacked along ``normal_axis`` (its
    boundaries near 0 and L/2): each grain measured in its middle 60 % (away from both
    boundaries)."""
    lengths = atoms.cell.lengths()
    frac = atoms.get_scaled_positions(wrap=True)[:, normal_axis]
    grains = [(frac > 0.1) & (frac < 0.4), (frac > 0.6) & (frac < 0.9)]
    (o1, c1), (o2, c2) = (grain_orientation(atoms, g, tilt_axis) for g in grains)
    mis = fold_misorientation(o1 - o2)
    along = next(k for k in range(3) if k not in (normal_axis, tilt_axis))
    sym = atoms.get_chemical_symbols()
    return TiltGeometry(
        (o1, o2),
        (c1, c2),
        float(mis),
        float(lengths[along]),
        float(lengths[tilt_axis]),
        {el: sym.count(el) for el in ("Ba", "Zr", "S")},
    )
