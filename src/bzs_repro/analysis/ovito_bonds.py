"""Coordination and bonds the way the paper counted them: OVITO's cutoff neighbour finder.

The paper used OVITO's CoordinationAnalysisModifier (Zr-S cutoff 3.1 A, 200 bins) with a
cutoff neighbour finder, counted Zr by their number of S neighbours (4, 5, 6, 7) and averaged
the Zr-S distances per class. :func:`ovito_bonds` returns the same
:class:`bzs_repro.analysis.coordination.Bonds` record as the ASE neighbour list does, so the
two can be compared number by number (tests/test_amorphous_analysis.py).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from bzs_repro.analysis.coordination import CUTOFFS, Bonds, require_species


def to_ovito(atoms: Atoms):
    """An OVITO DataCollection of ``atoms`` (periodic cell, particle types by element)."""
    from ovito.io.ase import ase_to_ovito

    if not atoms.pbc.all() or atoms.cell.rank != 3:
        msg = "OVITO analysis here expects a fully periodic 3D cell"
        raise ValueError(msg)
    return ase_to_ovito(atoms)


def ovito_bonds(atoms: Atoms, center: str, neighbor: str, cutoff: float | None = None) -> Bonds:
    """All ``center``-``neighbor`` bonds shorter than ``cutoff`` (Angstrom; default: the
    paper's) found by OVITO's CutoffNeighborFinder."""
    from ovito.data import CutoffNeighborFinder

    if cutoff is None:
        cutoff = CUTOFFS[(center, neighbor)]
    symbols = require_species(atoms, center, neighbor)
    data = to_ovito(atoms)
    finder = CutoffNeighborFinder(cutoff, data)
    centers = np.flatnonzero(symbols == center)
    idx, vec = finder.find_all(centers)  # idx: (pairs, 2) [centre, neighbour]; vec: i -> j
    idx, vec = np.asarray(idx), np.asarray(vec)
    keep = symbols[idx[:, 1]] == neighbor
    i, j, v = idx[keep, 0], idx[keep, 1], vec[keep]
    d = np.linalg.norm(v, axis=1)
    cn = np.bincount(i, minlength=len(atoms))[centers]
    order = np.lexsort((d, i))
    return Bonds(center, neighbor, cutoff, centers, cn, i[order], j[order], d[order], v[order])


def coordination_rdf(
    atoms: Atoms, cutoff: float = 3.1, bins: int = 200, partial: bool = True
) -> dict:
    """OVITO CoordinationAnalysisModifier output: ``r`` (bin centres, Angstrom) and g(r)
    columns ('total', or one per pair such as 'Zr-S')."""
    from ovito.modifiers import CoordinationAnalysisModifier
    from ovito.pipeline import Pipeline, StaticSource

    pipe = Pipeline(source=StaticSource(data=to_ovito(atoms)))
    pipe.modifiers.append(
        CoordinationAnalysisModifier(cutoff=cutoff, number_of_bins=bins, partial=partial)
    )
    table = pipe.compute().tables["coordination-rdf"]
    xy = np.asarray(table.xy())
    names = table.y.component_names if partial else ("total",)
    out = {"r": xy[:, 0]}
    for k, name in enumerate(names or ("total",)):
        out[name] = xy[:, k + 1]
    return out
