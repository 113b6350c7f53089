"""A 2-D map of a data set: structure-averaged SOAP descriptors (dscribe) projected by PCA
(scikit-learn), as in the structure maps of MLIP papers (Fig. 1-like panel)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase import Atoms

from bzs_repro.potential import SPECIES


def soap_vectors(
    structures: Sequence[Atoms],
    r_cut: float = 5.0,
    n_max: int = 4,
    l_max: int = 3,
    sigma: float = 0.5,
) -> np.ndarray:
    """Structure-averaged SOAP vectors (dscribe, ``average="inner"``), one row per structure;
    r_cut and sigma in Angstrom."""
    try:
        from dscribe.descriptors import SOAP
    except ImportError as err:  # optional dependency of the fig1 structure map
        msg = "the structure map needs dscribe (pip install dscribe)"
        raise ImportError(msg) from err
    soap = SOAP(
        species=list(SPECIES),
        r_cut=r_cut,
        n_max=n_max,
        l_max=l_max,
        sigma=sigma,
        periodic=True,
        average="inner",
        sparse=False,
    )
    return np.array([soap.create(a) for a in structures])


def pca_map(vectors: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """PCA projection of standardised descriptor vectors.

    Returns (coordinates, explained variance ratio).
    """
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    x = StandardScaler().fit_transform(vectors)
    pca = PCA(n_components=n_components, random_state=0)
    return pca.fit_transform(x), pca.explained_variance_ratio_
