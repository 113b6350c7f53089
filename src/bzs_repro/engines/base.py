"""What every engine is and shares: the result types, the failure of a run, the interface
both engine modules implement (:class:`Engine`, a typing Protocol that a module satisfies, as
ASE's integrators share ``MolecularDynamics``), and the checks and the initial velocities both
engines apply, so that they fail by the same criterion and start from the same velocities.

A pipeline gets an engine by name (:func:`bzs_repro.engines.get_engine`) and calls it only
through this interface; ``isinstance(get_engine("lammps"), Engine)`` holds for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from ase import Atoms

from bzs_repro.measures import min_pair_distance
from bzs_repro.protocols import MDProtocol, MDStage, Relax


class SimulationFailed(RuntimeError):
    """The paper's failure criterion (a pair closer than 1 A, or atoms lost), or a blow-up."""


BLOWUP_FACTOR = 3.0  # a thermo row hotter than 3 x target + 500 K is a blow-up, not a fluctuation


def reference_temperature(protocol: MDProtocol, stage: MDStage, target_K: float) -> float:
    """The temperature a thermo row is judged against: the thermostat's target, or the initial
    velocities' temperature during the first stage (they may start hotter than its target)."""
    first = stage is protocol.stages[0]  # the stage object itself: a later one may be equal
    return max(target_K, (protocol.initial_T_K or 0.0) if first else 0.0)


def check_temperature(T_K: float, target_K: float, where: str = "") -> None:
    """Raise SimulationFailed when the temperature runs away from the thermostat's target:
    beside the paper's criterion, which a collapse between two checks can pass (seen: 3000 K
    NVT of the low-energy ACE at crystal density jumped to 3e5 K in 50 steps, after which
    Nose-Hoover froze the atoms at 0.2 K with no pair under 1 A at any check)."""
    if not np.isfinite(T_K) or BLOWUP_FACTOR * target_K + 500.0 < T_K:
        msg = (
            f"{where}: temperature {T_K:.4g} K against a target of {target_K:.0f} K "
            "(the run blew up)"
        )
        raise SimulationFailed(msg)


def check_sane(atoms: Atoms, n_expected: int, min_distance: float = 1.0, where: str = "") -> None:
    """Raise SimulationFailed if atoms were lost, positions are not finite, or a pair is
    closer than ``min_distance`` Angstrom."""
    if len(atoms) != n_expected:
        msg = f"{where}: {n_expected - len(atoms)} atoms lost"
        raise SimulationFailed(msg)
    if not np.isfinite(atoms.positions).all():
        msg = f"{where}: non-finite positions (atoms lost)"
        raise SimulationFailed(msg)
    dmin = min_pair_distance(atoms, below=min_distance)
    if dmin < min_distance:
        msg = (
            f"{where}: two atoms {dmin:.3f} A apart "
            f"(< {min_distance} A, the paper's failure criterion)"
        )
        raise SimulationFailed(msg)


@dataclass
class RelaxResult:
    atoms: Atoms
    energy_eV: float
    steps: int
    converged: bool
    fmax_eV_A: float


@dataclass
class MDResult:
    atoms: Atoms
    thermo: list[dict]  # one row per thermo_every steps: step, time_ps, stage, T, E, V, rho, P
    resumed_from_step: int
    wall_s: float


@runtime_checkable
class Engine(Protocol):
    """The interface of an engine module (``engines/ase_engine.py``, ``lammps_engine.py``):
    the same arguments, in the same order, with the same defaults (tested)."""

    def relax(self, atoms: Atoms, calc, protocol: Relax) -> RelaxResult:
        """Minimise a copy of ``atoms`` with ``protocol``."""

    def run_md(
        self,
        atoms: Atoms,
        calc,
        protocol: MDProtocol,
        workdir: Path | None = None,
        progress: bool = True,
        label: str = "MD",
        trajectory_every: int = 0,
    ) -> MDResult:
        """Run the stages of ``protocol`` on a copy of ``atoms``; resumable in ``workdir``."""

    def throughput_atom_steps_per_s(
        self, atoms: Atoms, calc, steps: int = 20, dt_fs: float = 1.0
    ) -> float:
        """Measured MD speed on ``atoms`` (for cost estimates)."""

    def describe(self, calc) -> str:
        """The engine and its calculator in words (provenance, the report)."""


def initial_velocities(atoms: Atoms, protocol: MDProtocol, rng) -> None:
    """Maxwell-Boltzmann velocities at the protocol's initial temperature (K), no net momentum."""
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    T0 = protocol.initial_T_K if protocol.initial_T_K is not None else protocol.stages[0].T_start_K
    MaxwellBoltzmannDistribution(atoms, temperature_K=T0, rng=rng)
    Stationary(atoms)
