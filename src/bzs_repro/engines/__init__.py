"""Engines that execute protocols: ASE + pyace (embedded), LAMMPS (ML-PACE or pyace bridge).

Every engine module implements :class:`bzs_repro.engines.base.Engine` (relax, run_md,
throughput_atom_steps_per_s, describe) on the protocol dataclasses of bzs_repro.protocols and an
ASE calculator from :func:`bzs_repro.potential.calculator` (which carries its potential file as
``calc.bzs_potential_path``), and returns the result types of engines/base.py.
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
