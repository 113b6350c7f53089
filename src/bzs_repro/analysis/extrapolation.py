"""Per-atom extrapolation grades (D-optimality gamma) of an ACE potential, with pyace.

The authors' active set is not public, so one is built here (pyace.activelearning: B-basis
projections -> MaxVol active set -> inverse, saved as ``.asi``) from environments computed
in this project: the potential's relaxed Pnma crystal as 2x2x2 supercells, rattled
(Gaussian, 0.02-0.30 A) and strained (+-4 % per axis), plus, where available, the authors'
published 10 240-atom amorphous model (registry ``amorphous-model``) as disordered,
under-coordinated environments. gamma <= 1 means interpolation within this set; the paper
calls gamma <= 2 reliable (for its own, larger training-set active set).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from ase import Atoms

log = logging.getLogger(__name__)


def active_set_configs(
    crystal: Atoms, n_configs: int = 48, seed: int = 0, amorphous: Atoms | None = None
) -> list[Atoms]:
    """Rattled and strained 2x2x2 supercells of ``crystal`` (+ ``amorphous`` if given)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_configs):
        x = crystal.repeat((2, 2, 2))
        strain = 1 + rng.uniform(-0.04, 0.04, 3)
        x.set_cell(x.cell * strain[:, None], scale_atoms=True)
        x.rattle(0.02 + 0.28 * i / max(1, n_configs - 1), seed=int(rng.integers(1 << 31)))
        out.append(x)
    if amorphous is not None:
        out.append(amorphous)
    return out


def build_active_set(calc, configs: list[Atoms], path: Path) -> Path:
    """MaxVol active set of the B-projections of ``configs``; inverse saved to ``path`` (.asi)."""
    import pyace.activelearning as al
    from pyace import PyACECalculator

    from bzs_repro.potential import load_pyace

    path = Path(path)
    # B-projections need the B-basis (the YAML): the project's calculators evaluate the
    # C-tilde form (.yace) with the recursive evaluator, which has no B-projections
    if getattr(calc, "bzs_potential_path", None) is not None:
        calc = load_pyace(calc.bzs_potential_path, PyACECalculator)
    proj = al.compute_B_projections(calc, configs)
    for k, v in proj.items():
        if v.shape[0] < v.shape[1]:
            raise ValueError(
                f"species {k}: {v.shape[0]} environments < {v.shape[1]} basis functions; "
                "add configs"
            )
    active = al.compute_active_set(proj, tol=1.001, max_iters=300)
    active = active[0] if isinstance(active, tuple) else active
    inverse = al.compute_A_active_inverse(active)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    al.save_active_inverse_set(str(tmp), inverse, elements_name=list(calc.basis.elements_name))
    tmp.replace(path)
    return path


def per_atom_gamma(atoms: Atoms, potential_path: Path, active_set_path: Path) -> np.ndarray:
    """Extrapolation grade gamma of every atom of ``atoms`` (dimensionless)."""
    from pyace import PyACECalculator

    from bzs_repro.potential import load_pyace

    calc = load_pyace(potential_path, PyACECalculator)
    calc.set_active_set(str(active_set_path))
    x = atoms.copy()
    x.calc = calc
    x.get_potential_energy()
    return np.asarray(calc.results["gamma"], dtype=float)
