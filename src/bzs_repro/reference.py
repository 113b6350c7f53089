"""Reference labellers: the "DFT" that a training set is labelled with.

The paper's reference is PBEsol DFT, which is not public. This project re-enacts the fitting
workflow with a reference that ships inside a registry package:

- ``chgnet``: the pretrained CHGNet universal potential (weights inside the ``chgnet`` wheel,
  CPU, no download). A *surrogate* for DFT: numbers fitted to it are never the paper's.
- ``file``: a user's own DFT labels (extxyz with energy, forces and, optionally, stress);
  ``label`` looks each structure up by its positions (:class:`FileReference`).

Usage::

    ref = get_reference("chgnet")
    atoms.calc = ref.calculator()          # single points
    labelled = ref.label(structures)       # copies with SinglePointCalculator results

Units: energy eV, forces eV/A, stress eV/A^3 (ASE convention, Voigt order).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.singlepoint import SinglePointCalculator

log = logging.getLogger(__name__)

LABEL_KEYS = ("energy", "forces", "stress")
DFT_DATA_ENV = "BZS_REPRO_DFT_DATA"


class ReferenceError(RuntimeError):
    """A reference cannot label a structure (missing labels, unknown species, bad file)."""


def _attach(atoms: Atoms, energy: float, forces, stress=None, **info) -> Atoms:
    """A copy of ``atoms`` carrying the labels as a SinglePointCalculator."""
    out = atoms.copy()
    out.calc = None
    results = {"energy": float(energy), "forces": np.asarray(forces, dtype=float)}
    if stress is not None:
        results["stress"] = np.asarray(stress, dtype=float)
    out.calc = SinglePointCalculator(out, **results)
    out.info.update(info)
    return out


class Reference:
    """Base class: ``name``, ``version``, ``calculator()``, ``label(list_of_atoms)``."""

    name: str = "reference"
    version: str = "unknown"
    is_surrogate: bool = True

    def calculator(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict:
        """Name, version and whether this is a surrogate (for provenance files)."""
        return {"name": self.name, "version": self.version, "surrogate": self.is_surrogate}

    def label(
        self, structures: Iterable[Atoms], progress: bool = True, desc: str = "labelling"
    ) -> list[Atoms]:
        """Single points for every structure; returns labelled copies (energy, forces, stress)."""
        from tqdm.auto import tqdm

        structures = list(structures)
        calc = self.calculator()
        out = []
        for atoms in tqdm(
            structures, desc=f"{desc} ({self.name})", disable=not progress, unit="str"
        ):
            a = atoms.copy()
            a.calc = calc
            energy = a.get_potential_energy()
            forces = a.get_forces()
            stress = a.get_stress() if a.pbc.all() else None
            out.append(_attach(atoms, energy, forces, stress, reference=self.name))
        return out


class CHGNetReference(Reference):
    """CHGNet (pretrained, weights shipped in the wheel) on CPU as a stand-in for DFT.

    ``model_name`` picks the packaged weights (chgnet 0.4: "0.3.0" default, "0.2.0").
    The model is loaded once per instance and shared by its calculators.
    """

    is_surrogate = True

    def __init__(self, model_name: str = "0.3.0", device: str = "cpu"):
        from importlib.metadata import version

        self.model_name = model_name
        self.device = device
        self.name = "chgnet"
        self.version = f"chgnet {version('chgnet')} (weights {model_name})"
        self._model = None

    def _load(self):
        if self._model is None:
            from chgnet.model import CHGNet

            # the weights are package data: loading never touches the network
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._model = CHGNet.load(
                    model_name=self.model_name, use_device=self.device, verbose=False
                )
        return self._model

    def calculator(self):
        """An ASE calculator (chgnet CHGNetCalculator): energy, forces, stress."""
        from chgnet.model.dynamics import CHGNetCalculator

        # chgnet 0.4.2 warns on every stress evaluation (a torch detach nit, harmless)
        warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
        with contextlib.redirect_stdout(io.StringIO()):
            calc = CHGNetCalculator(
                model=self._load(), use_device=self.device, on_isolated_atoms="ignore"
            )
        calc.bzs_label = f"reference:{self.version}"
        return calc


class FileReference(Reference):
    """A user's DFT labels: an extxyz file with energy, forces and (optionally) stress.

    ``structures()`` returns the labelled structures of the file as they are (the usual way
    to bring a DFT training set). ``label(atoms_list)`` finds each structure in the file by
    composition and positions (to ``match_tol`` A) and raises ReferenceError when one is not
    there: a file cannot compute new single points. ``calculator()`` is therefore a lookup
    calculator, not a physical model.
    """

    is_surrogate = False

    def __init__(
        self, path: str | os.PathLike, match_tol: float = 1e-4, require_stress: bool = False
    ):
        self.path = Path(path)
        if not self.path.is_file():
            msg = f"DFT data file {self.path} does not exist"
            raise ReferenceError(msg)
        self.name = "file"
        self.version = f"{self.path.name}"
        self.match_tol = match_tol
        self.require_stress = require_stress
        self._structures: list[Atoms] | None = None

    def structures(self) -> list[Atoms]:
        """All labelled structures of the file (energy eV, forces eV/A, stress eV/A^3)."""
        if self._structures is None:
            from ase.io import read

            try:
                frames = read(self.path, index=":", format="extxyz")
            except Exception as err:  # ase raises many types on malformed files
                msg = f"cannot read {self.path} as extxyz: {err}"
                raise ReferenceError(msg) from err
            out = []
            for i, a in enumerate(frames):
                res = getattr(a.calc, "results", {}) if a.calc is not None else {}
                energy = res.get("energy", res.get("free_energy", a.info.get("energy")))
                forces = res.get("forces", a.arrays.get("forces"))
                stress = res.get("stress", a.info.get("stress"))
                if energy is None or forces is None:
                    msg = f"{self.path}: frame {i} has no energy or no forces (need both)"
                    raise ReferenceError(msg)
                if stress is None and self.require_stress:
                    msg = f"{self.path}: frame {i} has no stress"
                    raise ReferenceError(msg)
                if stress is not None:
                    stress = np.asarray(stress, dtype=float)
                    if stress.shape == (3, 3):
                        stress = stress.flat[[0, 4, 8, 5, 2, 1]]
                info = {
                    k: v for k, v in a.info.items() if k not in ("energy", "stress", "reference")
                }
                info.setdefault("config_type", "dft")
                out.append(
                    _attach(a, energy, forces, stress, reference=f"file:{self.path.name}", **info)
                )
            if not out:
                msg = f"{self.path} holds no structures"
                raise ReferenceError(msg)
            self._structures = out
        return self._structures

    def _find(self, atoms: Atoms) -> Atoms:
        for cand in self.structures():
            if (
                len(cand) != len(atoms)
                or cand.get_chemical_formula() != atoms.get_chemical_formula()
            ):
                continue
            if (cand.numbers == atoms.numbers).all() and np.allclose(
                cand.positions, atoms.positions, atol=self.match_tol
            ):
                return cand
        msg = f"structure {atoms.get_chemical_formula()} ({len(atoms)} atoms) is not in {self.path}"
        raise ReferenceError(msg)

    def calculator(self):
        return _LookupCalculator(self)

    def label(
        self, structures: Iterable[Atoms], progress: bool = True, desc: str = "labelling"
    ) -> list[Atoms]:
        out = []
        for atoms in structures:
            found = self._find(atoms)
            res = found.calc.results
            out.append(
                _attach(atoms, res["energy"], res["forces"], res.get("stress"), reference=self.name)
            )
        return out


class _LookupCalculator(Calculator):
    """ASE calculator answering from a FileReference (only for structures in the file)."""

    implemented_properties = ("energy", "forces", "stress", "free_energy")

    def __init__(self, ref: FileReference):
        super().__init__()
        self.ref = ref

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        found = self.ref._find(self.atoms)
        self.results = dict(found.calc.results)
        self.results.setdefault("free_energy", self.results["energy"])


REFERENCES = ("chgnet", "file")


def get_reference(name: str = "chgnet", **kw) -> Reference:
    """The reference labeller ``name``: "chgnet" (default; kw: model_name, device) or
    "file" (kw: path, an extxyz with energy/forces/stress; default env BZS_REPRO_DFT_DATA)."""
    if name == "chgnet":
        return CHGNetReference(**kw)
    if name == "file":
        path = kw.pop("path", None) or os.environ.get(DFT_DATA_ENV)
        if not path:
            msg = f"the file reference needs path= or the environment variable {DFT_DATA_ENV}"
            raise ReferenceError(msg)
        return FileReference(path, **kw)
    msg = f"unknown reference {name!r}; choose from {REFERENCES}"
    raise ValueError(msg)


def labels(atoms: Atoms) -> dict[str, np.ndarray | float | None]:
    """The stored labels of a labelled structure: energy (eV), forces (eV/A), stress (eV/A^3)."""
    if atoms.calc is None or "energy" not in getattr(atoms.calc, "results", {}):
        msg = "structure carries no reference labels"
        raise ReferenceError(msg)
    res = atoms.calc.results
    return {
        "energy": float(res["energy"]),
        "forces": np.asarray(res["forces"]),
        "stress": res.get("stress"),
    }


def energies_per_atom(structures: Sequence[Atoms]) -> np.ndarray:
    """Reference energies per atom (eV/atom) of labelled structures."""
    return np.array([labels(a)["energy"] / len(a) for a in structures])
