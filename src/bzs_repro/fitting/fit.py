"""Linear ACE fits with pyace (``pyace.linearacefit``): basis, weights, variants, output files.

The paper fitted a nonlinear Finnis-Sinclair ACE with pacemaker (TensorFlow). Here the same
B-basis format is fitted *linearly* (one density, F(rho) = rho), which needs no TensorFlow and
takes seconds: the potential file is a pacemaker B-basis YAML loadable by PyACECalculator and
LAMMPS ``pair_style pace``.

Energies follow pacemaker's convention: the ACE predicts the energy relative to isolated
atoms, E - sum_i E0(species_i), with E0 the reference's own isolated-atom energies (eV).

Variants, as in the paper: ``low-energy`` (structures more than ``max_above_min_eV``
= 1 eV/atom above the lowest per-atom energy removed) and ``full-dataset`` (all structures).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from ase import Atoms

from bzs_repro.fitting._tables import dataclass_from_table
from bzs_repro.potential import SPECIES
from bzs_repro.reference import labels

VARIANTS = ("low-energy", "full-dataset")


@dataclass
class BasisSpec:
    """A small B-basis for Ba, Zr, S (pyace ``create_multispecies_basis_config`` input).

    rcut in Angstrom (the paper's ACE uses ~7.17 A; smaller here for speed), functions per
    element, radial/angular maxima by body order (rank 1..4), an inner cutoff with a repulsive
    wall (below).
    """

    rcut: float = 6.0
    functions_per_element: int = 150
    nradmax_by_orders: tuple[int, ...] = (12, 6, 3, 2)
    lmax_by_orders: tuple[int, ...] = (0, 3, 2, 1)
    radbase: str = "SBessel"
    # Inner cutoff + repulsive wall (pacemaker's "inner_cutoff_type: distance" idea): below
    # r_in(pair) the ACE part is switched off (over delta_in A) and a wall
    # phi(r) = A exp(-core_lambda r^2) / r takes over, with A set so that phi(r_in) = core_wall_eV.
    # r_in(pair) = the pair's shortest distance in the training data minus r_in_margin (capped
    # at r_in_max): the ACE is then only used where it has data, and hot MD cannot pull a pair
    # into an unfitted, spuriously attractive region. core_wall_eV = 0: no wall, as the
    # authors' file.
    core_wall_eV: float = 2.0
    core_lambda: float = 1.5
    r_in: float = 1.6  # A, used for pairs absent from the data
    r_in_margin: float = 0.05
    r_in_max: float = 2.6
    delta_in: float = 0.2

    def pair_r_in(self, structures: Sequence[Atoms] | None) -> dict[tuple[str, str], float]:
        """Inner cutoff per species pair (A) from the shortest distances in ``structures``."""
        pairs = [(a, b) for i, a in enumerate(SPECIES) for b in SPECIES[i:]]
        dmin = pair_min_distances(structures) if structures else {}
        return {
            p: round(
                min(dmin.get(p, self.r_in + self.r_in_margin) - self.r_in_margin, self.r_in_max), 3
            )
            for p in pairs
        }

    def potential_config(self, pair_r_in: dict[tuple[str, str], float] | None = None) -> dict:
        bond = {
            "radbase": self.radbase,
            "radparameters": [5.25],
            "rcut": self.rcut,
            "dcut": 0.01,
            "NameOfCutoffFunction": "cos",
            "core-repulsion": [0.0, 0.0],
        }
        bonds = {"ALL": bond}
        if self.core_wall_eV > 0:
            for pair, r_in in (pair_r_in or self.pair_r_in(None)).items():
                amp = self.core_wall_eV * r_in * float(np.exp(self.core_lambda * r_in**2))
                bonds[pair] = {
                    **bond,
                    "core-repulsion": [round(amp, 4), self.core_lambda],
                    "r_in": r_in,
                    "delta_in": self.delta_in,
                    "inner_cutoff_type": "distance",
                }
        return {
            "deltaSplineBins": 0.001,
            "elements": list(SPECIES),
            # linear model: one density, F(rho) = rho (FinnisSinclairShiftedScaled [1, 1])
            "embeddings": {
                "ALL": {
                    "npot": "FinnisSinclairShiftedScaled",
                    "fs_parameters": [1, 1],
                    "ndensity": 1,
                    "rho_core_cut": 3000,
                    "drho_core_cut": 500,
                }
            },
            "bonds": bonds,
            "functions": {
                "number_of_functions_per_element": int(self.functions_per_element),
                "ALL": {
                    "nradmax_by_orders": list(self.nradmax_by_orders),
                    "lmax_by_orders": list(self.lmax_by_orders),
                },
            },
        }

    def bbasis_config(self, pair_r_in: dict[tuple[str, str], float] | None = None):
        from pyace import create_multispecies_basis_config

        return create_multispecies_basis_config(self.potential_config(pair_r_in))

    @classmethod
    def from_config(cls, cfg: dict) -> BasisSpec:
        return dataclass_from_table(cls, cfg, "basis")


@dataclass
class FitSpec:
    """Loss weights and regularisation: ``kappa`` is the force share of the loss (pacemaker's
    kappa), ``ridge_alpha`` the L2 penalty; ``max_above_min_eV`` the low-energy cut (eV/atom)."""

    kappa: float = 0.3
    ridge_alpha: float = 1e-3
    max_above_min_eV: float = 1.0
    chunk: int = 32
    # pacemaker-like energy-based weights: w = (delta / (max(dE - DElow, 0) + delta))^2 with dE
    # the energy per atom above the lowest (eV/atom); high-energy structures count less
    weight_DElow_eV: float = 1.0
    weight_delta_eV: float = 0.5

    @classmethod
    def from_config(cls, cfg: dict) -> FitSpec:
        return dataclass_from_table(cls, cfg, "fit")


def pair_min_distances(
    structures: Sequence[Atoms], cutoff: float = 4.0
) -> dict[tuple[str, str], float]:
    """Shortest distance (A) of every species pair (sorted as in SPECIES) over ``structures``
    (ASE neighbour list, periodic images included, pairs beyond ``cutoff`` ignored)."""
    from ase.neighborlist import neighbor_list

    order = {s: k for k, s in enumerate(SPECIES)}
    out: dict[tuple[str, str], float] = {}
    for a in structures:
        i, j, d = neighbor_list("ijd", a, cutoff)
        sym = np.array(a.get_chemical_symbols())
        for si, sj, dd in zip(sym[i], sym[j], d, strict=True):
            key = tuple(sorted((si, sj), key=order.get))
            if dd < out.get(key, np.inf):
                out[key] = float(dd)
    return out


def isolated_atom_energies(ref) -> dict[str, float]:
    """E0 (eV) of each species: the reference's single atom in a 20 A box.

    A FileReference must contain the single atoms (its DFT isolated atoms); otherwise E0
    comes from :func:`fit_e0` (least squares on composition)."""
    out = {}
    for s in SPECIES:
        atoms = Atoms(s, positions=[[10.0, 10.0, 10.0]], cell=[20.0] * 3, pbc=True)
        atoms.calc = ref.calculator()
        out[s] = float(atoms.get_potential_energy())
    return out


def fit_e0(structures: Sequence[Atoms]) -> dict[str, float]:
    """E0 per species (eV) by least squares of total energy on composition (a fallback for
    data sets without isolated atoms; only the composition-weighted sum is well defined)."""
    X = np.array([[np.sum(a.symbols == s) for s in SPECIES] for a in structures], float)
    y = np.array([labels(a)["energy"] for a in structures])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    return dict(zip(SPECIES, map(float, coef), strict=True))


def corrected_energy(atoms: Atoms, e0: dict[str, float]) -> float:
    """Reference energy minus the isolated-atom energies (eV): what the ACE predicts."""
    return labels(atoms)["energy"] - sum(e0[s] for s in atoms.get_chemical_symbols())


def low_energy_subset(
    structures: Sequence[Atoms], e0: dict[str, float], max_above_min_eV: float = 1.0
) -> list[Atoms]:
    """The paper's low-energy selection: drop structures whose corrected energy per atom is
    more than ``max_above_min_eV`` above the lowest one (removes dimers and hot RSS)."""
    e = np.array([corrected_energy(a, e0) / len(a) for a in structures])
    keep = e <= e.min() + max_above_min_eV
    return [a for a, k in zip(structures, keep, strict=True) if k]


@dataclass
class FitResult:
    """A fitted linear ACE: the pyace basis, E0, the training metadata."""

    bbasis: object
    e0: dict[str, float]
    n_train_structures: int
    n_train_atoms: int
    n_functions: int
    basis: BasisSpec
    fit: FitSpec
    wall_s: float
    meta: dict = field(default_factory=dict)

    def save(self, yaml_path: Path, yace: bool = True) -> list[Path]:
        """Write the pacemaker B-basis YAML (and the .yace C-tilde file) atomically."""
        yaml_path = Path(yaml_path)
        yaml_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = yaml_path.with_name(f".{yaml_path.stem}.tmp.yaml")
        bconf = self.bbasis.to_BBasisConfiguration()
        bconf.metadata["bzs_repro_e0_eV"] = json.dumps(self.e0)
        bconf.metadata["bzs_repro_fit"] = json.dumps(
            {
                "basis": asdict(self.basis),
                "fit": asdict(self.fit),
                "n_train_structures": self.n_train_structures,
                **self.meta,
            }
        )
        bconf.save(str(tmp))
        tmp.replace(yaml_path)
        out = [yaml_path]
        if yace:
            yace_path = yaml_path.with_suffix(".yace")
            tmpy = yace_path.with_name(f".{yace_path.stem}.tmp.yace")
            self.bbasis.to_ACECTildeBasisSet().save_yaml(str(tmpy))
            tmpy.replace(yace_path)
            out.append(yace_path)
        return out


def _core_calculator(bconf):
    """PyACECalculator of the basis with all coefficients zero: the core repulsion alone
    (None when the basis has none)."""
    import tempfile

    from pyace import ACEBBasisSet, PyACECalculator

    if not any(
        b.core_rep_parameters and b.core_rep_parameters[0] > 0 for b in bconf.funcspecs_blocks
    ):
        return None
    bb = ACEBBasisSet(bconf)
    bb.basis_coeffs = np.zeros(len(bb.basis_coeffs))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "core.yaml"
        bb.to_BBasisConfiguration().save(str(path))
        return PyACECalculator(str(path))


def _core_terms(structures, core) -> tuple[np.ndarray, list[np.ndarray]]:
    """Energies (eV) and forces (eV/A) of the core repulsion for ``structures``."""
    e, f = [], []
    for a in structures:
        b = a.copy()
        b.calc = core
        e.append(b.get_potential_energy())
        f.append(b.get_forces())
    return np.array(e), f


def _design_rows(
    bconf, structures: Sequence[Atoms], e0: dict[str, float], chunk: int, progress: bool, desc: str
):
    """Design matrix (energy-per-atom rows, then force rows) and targets, built chunk-wise
    with pyace's LinearACEDataset so that a progress bar can follow it."""
    import pandas as pd
    from pyace.linearacefit import LinearACEDataset
    from tqdm.auto import tqdm

    core = _core_calculator(bconf)
    X_e, X_f, y_e, y_f, n_at = [], [], [], [], []
    for start in tqdm(
        range(0, len(structures), chunk), desc=desc, disable=not progress, unit="chunk"
    ):
        part = structures[start : start + chunk]
        df = pd.DataFrame(
            {
                "ase_atoms": [a.copy() for a in part],
                "energy_corrected": [corrected_energy(a, e0) for a in part],
                "forces": [labels(a)["forces"] for a in part],
            }
        )
        if core is not None:  # fit what the B-functions must add to the fixed core repulsion
            e_core, f_core = _core_terms(part, core)
            df["energy_corrected"] -= e_core
            df["forces"] = [f - fc for f, fc in zip(df["forces"], f_core, strict=True)]
        ds = LinearACEDataset(bconf, df)
        X = np.array(ds.get_design_matrix(max_workers=1), copy=True)
        y = ds.get_target_vector()
        ns = len(part)
        X_e.append(X[:ns])
        X_f.append(X[ns:])
        y_e.append(y[:ns])
        y_f.append(y[ns:])
        n_at += [len(a) for a in part]
    return np.vstack(X_e), np.vstack(X_f), np.concatenate(y_e), np.concatenate(y_f), np.array(n_at)


def structure_weights(e_per_atom: np.ndarray, de_low: float, delta: float) -> np.ndarray:
    """Energy-based structure weights (pacemaker's EnergyBasedWeightingPolicy idea): 1 up to
    ``de_low`` eV/atom above the lowest structure, then falling as (delta / (excess + delta))^2."""
    excess = np.clip(np.asarray(e_per_atom) - np.min(e_per_atom) - de_low, 0.0, None)
    return (delta / (excess + delta)) ** 2


def fit_linear_ace(
    structures: Sequence[Atoms],
    e0: dict[str, float],
    basis: BasisSpec | None = None,
    spec: FitSpec | None = None,
    progress: bool = True,
    desc: str = "ACE design matrix",
    geometry: Sequence[Atoms] | None = None,
) -> FitResult:
    """Fit a linear ACE to labelled ``structures`` (energies per atom + force components).

    The inner cutoffs (BasisSpec.pair_r_in) come from the shortest pair distances of
    ``geometry`` (default: ``structures``): a property of the sampled configurations, so the
    workflow passes train + test geometries (no labels) of the variant's selection.

    The loss is (1 - kappa) * mean squared energy-per-atom error + kappa * mean squared force
    component error, plus ridge_alpha * |c|^2 (solved with scikit-learn's Ridge, as pyace's
    LinearACEFit does, with sample weights carrying kappa)."""
    import time

    from pyace import ACEBBasisSet
    from sklearn.linear_model import Ridge

    basis = basis or BasisSpec()
    spec = spec or FitSpec()
    structures = list(structures)
    if not structures:
        msg = "no training structures"
        raise ValueError(msg)
    missing = {s for a in structures for s in a.get_chemical_symbols()} - set(SPECIES)
    if missing:
        msg = f"species {sorted(missing)} are not in the basis {SPECIES}"
        raise ValueError(msg)
    t0 = time.time()
    pair_r_in = basis.pair_r_in(list(geometry) if geometry is not None else structures)
    bconf = basis.bbasis_config(pair_r_in)
    X_e, X_f, y_e, y_f, n_at = _design_rows(bconf, structures, e0, spec.chunk, progress, desc)
    X = np.vstack([X_e, X_f])
    y = np.concatenate([y_e, y_f])
    ws = structure_weights(y_e, spec.weight_DElow_eV, spec.weight_delta_eV)
    wf = np.repeat(ws, 3 * n_at)
    w = np.concatenate([(1 - spec.kappa) * ws / ws.sum(), spec.kappa * wf / wf.sum()])
    model = Ridge(alpha=spec.ridge_alpha, fit_intercept=False, solver="auto")
    model.fit(X, y, sample_weight=w * len(y))
    bbasis = ACEBBasisSet(bconf)
    bbasis.basis_coeffs = model.coef_
    meta = {"r_in_A": {f"{a}-{b}": r for (a, b), r in pair_r_in.items()}}
    return FitResult(
        bbasis,
        dict(e0),
        len(structures),
        int(n_at.sum()),
        X.shape[1],
        basis,
        spec,
        time.time() - t0,
        meta,
    )


def ace_calculator(yaml_path: Path, active_set: Path | None = None):
    """PyACECalculator for a fitted YAML (with the active set: extrapolation grade gamma)."""
    from pyace import PyACECalculator

    calc = PyACECalculator(str(yaml_path))
    if active_set:
        calc.set_active_set(str(active_set))
    calc.bzs_potential_path = Path(yaml_path)
    return calc


def calculator_from_fit(result: FitResult, workdir: Path, name: str = "ace"):
    """Save ``result`` under ``workdir`` and return its PyACECalculator."""
    path = Path(workdir) / f"{name}.yaml"
    result.save(path, yace=False)
    return ace_calculator(path)


def e0_from_yaml(yaml_path: Path) -> dict[str, float] | None:
    """The isolated-atom energies stored in a YAML written by :meth:`FitResult.save`."""
    from pyace import BBasisConfiguration

    meta = BBasisConfiguration(str(yaml_path)).metadata
    return json.loads(meta["bzs_repro_e0_eV"]) if "bzs_repro_e0_eV" in meta else None


def build_active_set(yaml_path: Path, structures: Sequence[Atoms], out_path: Path) -> Path:
    """The D-optimality active set (pacemaker's .asi) of the fitted potential over its
    training structures: pyace.activelearning compute_B_projections -> compute_active_set
    -> compute_A_active_inverse -> save_active_inverse_set."""
    from pyace import ACEBBasisSet, BBasisConfiguration
    from pyace.activelearning import (
        compute_A_active_inverse,
        compute_active_set,
        compute_B_projections,
        save_active_inverse_set,
    )

    bbasis = ACEBBasisSet(BBasisConfiguration(str(yaml_path)))
    atoms_list = [a.copy() for a in structures]
    proj = compute_B_projections(bbasis, atoms_list)
    active = compute_active_set(proj, tol=1.001, max_iters=300, verbose=False)
    inv = compute_A_active_inverse(active)
    out_path = Path(out_path)
    tmp = out_path.with_name(f".{out_path.stem}.tmp.asi")
    save_active_inverse_set(str(tmp), inv, elements_name=bbasis.elements_name)
    tmp.replace(out_path)
    return out_path
