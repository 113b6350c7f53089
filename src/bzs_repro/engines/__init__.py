"""Engines that execute protocols: ASE + pyace (embedded), LAMMPS (ML-PACE or pyace bridge).

Every engine module offers the same two functions, taking the same protocol dataclasses
(bzs_repro.protocols) and an ASE calculator from :func:`bzs_repro.potential.calculator`
(which carries its potential file as ``calc.bzs_potential_path``):

    relax(atoms, calc, protocol: Relax, ...) -> RelaxResult
    run_md(atoms, calc, protocol: MDProtocol, workdir=None, progress=True, label="MD") -> MDResult
"""

from __future__ import annotations

import importlib
from types import ModuleType

ENGINES = {"ase": "bzs_repro.engines.ase_engine", "lammps": "bzs_repro.engines.lammps_engine"}


def get_engine(name: str) -> ModuleType:
    """The engine module for ``name`` ('ase' or 'lammps')."""
    if name not in ENGINES:
        msg = f"unknown engine {name!r}; choose from {sorted(ENGINES)}"
        raise ValueError(msg)
    return importlib.import_module(ENGINES[name])
