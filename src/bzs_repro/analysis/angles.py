"""Bond-angle distributions (S-Zr-S, S-Ba-S) with OVITO bonds, and an independent ASE version.

As the paper: OVITO CreateBondsModifier with pairwise cutoffs (Zr-S 3.1 A, Ba-S 3.8 A) and a
bond-angle histogram of 500 bins over 0-180 degrees, partitioned by particle type.
(BondAnalysisModifier, which the paper names, is deprecated in OVITO 3.17 in favour of
BondAngleDistributionModifier, which computes the same histogram.)
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from bzs_repro.analysis.coordination import CUTOFFS, bonds
from bzs_repro.analysis.ovito_bonds import to_ovito


def bond_angle_distributions(frames, cutoffs: dict | None = None, bins: int = 500) -> dict:
    """Histograms of bond angles (degrees) at each centre: {'angle': bin centres,
    'S-Zr-S': counts, 'S-Ba-S': counts, ...} for the bonds defined by ``cutoffs``, summed
    over ``frames`` (one Atoms or a list of snapshots)."""
    if not isinstance(frames, Atoms):
        hists = [bond_angle_distributions(f, cutoffs, bins) for f in frames]
        return {
            k: hists[0][k] if k == "angle" else np.sum([h[k] for h in hists], axis=0)
            for k in hists[0]
        }
    atoms = frames
    import ovito.modifiers as om
    from ovito.pipeline import Pipeline, StaticSource

    cutoffs = CUTOFFS if cutoffs is None else cutoffs
    create = om.CreateBondsModifier(mode=om.CreateBondsModifier.Mode.Pairwise)
    for (a, b), rc in cutoffs.items():
        create.set_pairwise_cutoff(a, b, rc)
    if hasattr(om, "BondAngleDistributionModifier"):
        adf = om.BondAngleDistributionModifier(bins=bins)
        adf.partition = om.BondAngleDistributionModifier.Partition.ByParticleType
    else:  # OVITO < 3.12
        adf = om.BondAnalysisModifier(
            bins=bins, partition=om.BondAnalysisModifier.Partition.ByParticleType
        )
    pipe = Pipeline(source=StaticSource(data=to_ovito(atoms)))
    pipe.modifiers.extend([create, adf])
    table = pipe.compute().tables["bond-angle-distr"]
    xy = np.asarray(table.xy())
    out = {"angle": xy[:, 0]}
    for k, name in enumerate(table.y.component_names):
        out[name] = xy[:, k + 1]
    return out


def bond_angles(
    atoms: Atoms, center: str, neighbor: str, cutoff: float | None = None
) -> np.ndarray:
    """All neighbor-center-neighbor angles (degrees) from the ASE neighbour list."""
    b = bonds(atoms, center, neighbor, cutoff)
    out = []
    for c in b.center_index:
        v = b.vector[b.bond_i == c]
        if len(v) < 2:
            continue
        u = v / np.linalg.norm(v, axis=1)[:, None]
        iu = np.triu_indices(len(u), 1)
        cos = np.clip((u @ u.T)[iu], -1.0, 1.0)
        out.append(np.degrees(np.arccos(cos)))
    return np.concatenate(out) if out else np.empty(0)
