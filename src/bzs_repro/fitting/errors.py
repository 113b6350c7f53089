"""Errors of a potential against reference labels: energy RMSE (meV/atom), force RMSE (meV/A).

Predictions are per structure: energy per atom relative to isolated atoms (eV/atom, the
ACE convention; see :mod:`bzs_repro.fitting.fit`) and force components (eV/A). Tables are
per split (train/test) and per config_type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms

from bzs_repro.fitting.fit import corrected_energy
from bzs_repro.reference import labels


@dataclass
class Predictions:
    """Reference vs predicted energies (eV/atom, per structure) and force components (eV/A)."""

    e_ref: np.ndarray
    e_pred: np.ndarray
    f_ref: np.ndarray  # (n_atoms_total, 3)
    f_pred: np.ndarray
    config_type: np.ndarray  # per structure
    split: np.ndarray  # per structure
    atom_structure: np.ndarray  # structure index of every atom

    def subset(self, mask: np.ndarray) -> Predictions:
        """Predictions of the structures selected by the boolean ``mask``."""
        idx = np.flatnonzero(mask)
        amask = np.isin(self.atom_structure, idx)
        remap = {old: new for new, old in enumerate(idx)}
        return Predictions(
            self.e_ref[idx],
            self.e_pred[idx],
            self.f_ref[amask],
            self.f_pred[amask],
            self.config_type[idx],
            self.split[idx],
            np.array([remap[i] for i in self.atom_structure[amask]], int),
        )

    def energy_rmse_meV(self, remove_offset: bool = False) -> float:
        """Energy RMSE in meV/atom (``remove_offset``: after subtracting the mean error, for
        models with different energy zeros, e.g. the paper's ACE vs CHGNet)."""
        d = self.e_pred - self.e_ref
        if remove_offset:
            d = d - d.mean()
        return float(np.sqrt(np.mean(d**2)) * 1000) if len(d) else float("nan")

    def force_rmse_meV(self) -> float:
        """Force RMSE over all Cartesian components in meV/A."""
        d = (self.f_pred - self.f_ref).ravel()
        return float(np.sqrt(np.mean(d**2)) * 1000) if len(d) else float("nan")


def predict(
    structures: Sequence[Atoms],
    calc,
    e0: dict[str, float],
    progress: bool = True,
    desc: str = "predicting",
) -> Predictions:
    """Evaluate ``calc`` on labelled structures; reference energies are corrected by ``e0``
    (pass the zero dict for a model whose energy zero is the reference's own)."""
    from tqdm.auto import tqdm

    e_ref, e_pred, f_ref, f_pred, ctype, split, owner = [], [], [], [], [], [], []
    for i, a in enumerate(tqdm(structures, desc=desc, disable=not progress, unit="str")):
        lab = labels(a)
        b = a.copy()
        b.calc = calc
        e_pred.append(b.get_potential_energy() / len(a))
        f_pred.append(b.get_forces())
        e_ref.append(corrected_energy(a, e0) / len(a))
        f_ref.append(lab["forces"])
        ctype.append(a.info.get("config_type", "unknown"))
        split.append(a.info.get("split", "all"))
        owner += [i] * len(a)
    return Predictions(
        np.array(e_ref),
        np.array(e_pred),
        np.vstack(f_ref),
        np.vstack(f_pred),
        np.array(ctype),
        np.array(split),
        np.array(owner, int),
    )


def error_table(pred: Predictions, remove_offset: bool = False):
    """DataFrame: split, config_type (and "all"), n_structures, E RMSE meV/atom, F RMSE meV/A."""
    import pandas as pd

    rows = []
    for split in sorted(set(pred.split)):
        ps = pred.subset(pred.split == split)
        for ctype in ["all", *sorted(set(ps.config_type))]:
            p = ps if ctype == "all" else ps.subset(ps.config_type == ctype)
            rows.append(
                {
                    "split": split,
                    "config_type": ctype,
                    "n_structures": len(p.e_ref),
                    "energy_rmse_meV_atom": round(p.energy_rmse_meV(remove_offset), 2),
                    "force_rmse_meV_A": round(p.force_rmse_meV(), 1),
                }
            )
    return pd.DataFrame(rows)
