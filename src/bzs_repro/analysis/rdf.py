"""Radial distribution functions (OVITO CoordinationAnalysisModifier) and the amorphousness test.

g(r) is OVITO's (the paper's tool): total and partial (Zr-S, Ba-S, S-S, ...). The long-range
test of an amorphous structure: between 6 A and half the shortest box length the total g(r),
averaged over 0.5 A shells, stays within 10 % of 1 (a crystal shows peaks and gaps there).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from ase import Atoms

from bzs_repro.analysis.ovito_bonds import coordination_rdf


@dataclass(frozen=True)
class RDF:
    """g(r) on bin centres ``r`` (Angstrom): ``total`` and ``partial`` {'Zr-S': g, ...}."""

    r: np.ndarray
    total: np.ndarray
    partial: dict[str, np.ndarray]

    def pair(self, pair: str) -> np.ndarray:
        """Partial g(r) of ``pair`` ('Zr-S' or 'S-Zr', whichever order OVITO used)."""
        return self.partial[_pair_key(self.partial, pair)]

    def first_peak(self, pair: str | None = None, r_max: float | None = None) -> float:
        """Position (Angstrom) of the highest g(r) value below ``r_max`` of ``pair`` (or total)."""
        g = self.total if pair is None else self.pair(pair)
        mask = np.ones_like(self.r, bool) if r_max is None else self.r <= r_max
        return float(self.r[mask][np.argmax(g[mask])])


def _pair_key(partial: dict, pair: str) -> str:
    if pair in partial:
        return pair
    a, b = pair.split("-")
    if f"{b}-{a}" in partial:
        return f"{b}-{a}"
    msg = f"no partial g(r) {pair!r} (have {sorted(partial)})"
    raise KeyError(msg)


def half_box(atoms: Atoms) -> float:
    """Half the shortest perpendicular width of the cell (Angstrom): the largest r at which
    g(r) of one periodic box is free of self-images."""
    cell = np.asarray(atoms.cell)
    vol = abs(np.linalg.det(cell))
    widths = [
        vol / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)
    ]
    return 0.5 * min(widths)


def rdf(frames, r_max: float = 8.0, bins: int = 200) -> RDF:
    """Total and partial g(r) from 0 to ``r_max`` Angstrom in ``bins`` bins (OVITO),
    averaged over ``frames`` (one Atoms or a list of snapshots)."""
    if r_max <= 0 or bins < 1:
        msg = f"need r_max > 0 and bins >= 1 (got {r_max}, {bins})"
        raise ValueError(msg)
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    tots = [coordination_rdf(f, r_max, bins, partial=False) for f in frames]
    pars = [coordination_rdf(f, r_max, bins, partial=True) for f in frames]
    partial = {k: np.mean([p[k] for p in pars], axis=0) for k in pars[0] if k != "r"}
    return RDF(tots[0]["r"], np.mean([t["total"] for t in tots], axis=0), partial)


def long_range_deviation(
    frames, r_min: float = 6.0, shell: float = 0.5, bins_per_A: int = 50
) -> float:
    """Largest |g(r) - 1| of the total g(r) between ``r_min`` and half the box, with g(r)
    averaged over the ``frames`` (one Atoms or a list of snapshots of one run) and over
    shells of ``shell`` Angstrom (volume-weighted).

    Raises ValueError if the box is too small (half the box below ``r_min`` + 0.25 A).
    """
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    if not frames:
        msg = "no frames given"
        raise ValueError(msg)
    r_hi = min(half_box(f) for f in frames)
    if r_hi < r_min + 0.25:
        msg = f"box too small: half the box is {r_hi:.2f} A, below {r_min} + 0.25 A"
        raise ValueError(msg)
    n_bins = max(1, round(r_hi * bins_per_A))
    gs = [coordination_rdf(f, r_hi, n_bins, partial=False) for f in frames]
    r, g = gs[0]["r"], np.mean([x["total"] for x in gs], axis=0)
    n_shells = max(1, int((r_hi - r_min) // shell))
    edges = np.linspace(r_min, r_min + n_shells * shell, n_shells + 1)
    if n_shells == 1:
        edges[-1] = r_hi
    weight = r**2  # shell volume of each fine bin
    devs = []
    for lo, hi in itertools.pairwise(edges):
        m = (r >= lo) & (r < hi)
        devs.append(abs(float((g[m] * weight[m]).sum() / weight[m].sum()) - 1.0))
    return max(devs)
