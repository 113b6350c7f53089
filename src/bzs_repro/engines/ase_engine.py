"""The embedded engine: ASE optimisers and integrators driving a pyace (or any ASE) calculator.

- Relax: FIRE or BFGS on a FrechetCellFilter whose mask follows ``Relax.cell``.
- MD: the LAMMPS engine's equations with ASE's integrators (ase.md.nose_hoover_chain): NVE
  velocity Verlet; NVT Nose-Hoover chain (3); NPT MTK with a barostat chain (3) and the
  protocol's barostat: ``iso`` (IsotropicMTKNPT, shape kept), ``aniso`` (MaskedMTKNPT on the
  three axes: box lengths, no shear) or ``tri`` (MTKNPT, full cell); the time constants are the
  protocol's ``tdamp_fs`` / ``pdamp_fs`` as in LAMMPS. Temperature ramps retarget the chains
  every ``thermo_every`` steps (LAMMPS: every step).
- Fails loudly by the paper's criterion (two atoms closer than 1 A, or atoms lost / NaN).
- Checkpoints (extxyz with momenta + a JSON state) every ``checkpoint_every`` steps; calling
  :func:`run_md` again with the same protocol and work folder resumes where it stopped.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from ase import Atoms, units
from ase.io import write
from threadpoolctl import threadpool_limits

from bzs_repro.engines import checkpoint
from bzs_repro.engines.base import (
    MDResult,
    RelaxResult,
    SimulationFailed,
    check_sane,
    check_temperature,
    initial_velocities,
    reference_temperature,
)
from bzs_repro.measures import density_g_cm3
from bzs_repro.protocols import MDProtocol, MDStage, Relax

log = logging.getLogger(__name__)


def describe(calc) -> str:
    """The embedded engine and its calculator (for provenance and the report)."""
    from importlib.metadata import version

    import ase

    return f"ASE {ase.__version__} + {type(calc).__name__} (python-ace {version('python-ace')})"


def relax(
    atoms: Atoms, calc, protocol: Relax, logfile: str | None = None, trajectory: str | None = None
) -> RelaxResult:
    """Minimise ``atoms`` (a copy is returned) with ``protocol``."""
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS, FIRE

    atoms = atoms.copy()
    atoms.calc = calc
    n0 = len(atoms)
    mask = protocol.cell_mask()
    obj = atoms
    if mask is not None:
        scalar = protocol.pressure_GPa * units.GPa
        obj = FrechetCellFilter(
            atoms, mask=mask, hydrostatic_strain=protocol.cell == "iso", scalar_pressure=scalar
        )
    opt_cls = FIRE if protocol.optimizer == "FIRE" else BFGS
    opt = opt_cls(obj, logfile=logfile, trajectory=trajectory)
    # one BLAS thread: the cell filter's 3x3 expm per step is ~10x slower with several
    with threadpool_limits(1, user_api="blas"):
        converged = bool(opt.run(fmax=protocol.fmax, steps=protocol.max_steps))
    check_sane(atoms, n0, where="relax")
    fmax = float(np.sqrt((obj.get_forces() ** 2).sum(axis=1).max()))
    return RelaxResult(atoms, float(atoms.get_potential_energy()), opt.nsteps, converged, fmax)


def _integrator(atoms: Atoms, stage: MDStage, protocol: MDProtocol, T: float):
    """ASE's integrator for ``stage`` at target ``T`` (K): the LAMMPS engine's equations
    (``fix nvt`` / ``fix npt``: Nose-Hoover chains of 3, MTK barostat with a chain of 3) with
    the protocol's time constants: NVE velocity Verlet; NVT NoseHooverChainNVT; NPT
    IsotropicMTKNPT (``iso``), MaskedMTKNPT on the three axes (``aniso``: box lengths, no
    shear) or MTKNPT (``tri``)."""
    from ase.md.nose_hoover_chain import MTKNPT, IsotropicMTKNPT, MaskedMTKNPT, NoseHooverChainNVT

    dt = protocol.dt_fs * units.fs
    if stage.ensemble == "nve":
        from ase.md.verlet import VelocityVerlet

        return VelocityVerlet(atoms, dt)
    tdamp = protocol.tdamp_fs * units.fs
    if stage.ensemble == "nvt":
        return NoseHooverChainNVT(atoms, dt, temperature_K=T, tdamp=tdamp, tchain=3)
    if protocol.barostat == "aniso":
        cell = atoms.cell.array
        if np.abs(cell - np.diag(np.diag(cell))).max() > 1e-8:
            msg = "barostat 'aniso' needs an orthogonal box (use 'tri' for a triclinic cell)"
            raise ValueError(msg)
    kw = {
        "temperature_K": T,
        "pressure_au": stage.pressure_GPa * units.GPa,
        "tdamp": tdamp,
        "pdamp": protocol.pdamp_fs * units.fs,
        "tchain": 3,
        "pchain": 3,
    }
    if protocol.barostat == "iso":
        return IsotropicMTKNPT(atoms, dt, **kw)
    if protocol.barostat == "aniso":
        return MaskedMTKNPT(atoms, dt, mask=(True, True, True), **kw)
    return MTKNPT(atoms, dt, **kw)


# Integrator state beyond positions and momenta, by owner: the thermostat and barostat chains,
# the cell's coordinates and momenta (ASE keeps them as private attributes and has no public
# get/set of them: this table is the one place that names them). Saved in checkpoints, carried
# over when a temperature ramp rebuilds the integrator at a new target temperature.
_DYN_STATE = {
    "dyn": ("_eps", "_p_eps", "_volume0", "_cell0", "_h", "_h0_basis", "_p_c", "_p_g"),
    "thermostat": ("_eta", "_p_eta"),
    "barostat": ("_xi", "_p_xi"),
}


def _owners(dyn) -> dict:
    return {
        "dyn": dyn,
        "thermostat": getattr(dyn, "_thermostat", None),
        "barostat": getattr(dyn, "_barostat", None),
    }


def _get_state(dyn) -> dict[str, np.ndarray]:
    out = {}
    for owner, obj in _owners(dyn).items():
        own = vars(obj) if obj is not None else {}
        out.update({f"{owner}.{k}": np.array(own[k]) for k in _DYN_STATE[owner] if k in own})
    return out


def _set_state(dyn, state: dict) -> None:
    for owner, obj in _owners(dyn).items():
        own = vars(obj) if obj is not None else {}
        for k in _DYN_STATE[owner]:
            key = f"{owner}.{k}"
            if key in state and k in own:
                value = np.array(state[key])
                setattr(obj, k, value if value.ndim else float(value))


def _retarget(dyn, atoms: Atoms, stage: MDStage, protocol: MDProtocol, T: float):
    """The stage's integrator at target ``T`` carrying ``dyn``'s state (ASE's chain masses
    depend on T, as LAMMPS' do on its ramped target; they are rebuilt by ASE's own code)."""
    if stage.ensemble == "nve":
        return dyn
    new = _integrator(atoms, stage, protocol, T)
    _set_state(new, _get_state(dyn))
    return new


def _thermo_row(
    atoms: Atoms, step: int, protocol: MDProtocol, stage: MDStage, target_T: float
) -> dict:
    stress = atoms.get_stress(include_ideal_gas=True)
    return {
        "step": step,
        "time_ps": step * protocol.dt_fs / 1000.0,
        "stage": stage.name,
        "T_target_K": target_T,
        "T_K": float(atoms.get_temperature()),
        "epot_eV_atom": float(atoms.get_potential_energy() / len(atoms)),
        "etot_eV_atom": float(atoms.get_total_energy() / len(atoms)),
        "volume_A3": float(atoms.get_volume()),
        "density_g_cm3": density_g_cm3(atoms),
        "pressure_GPa": float(-stress[:3].mean() / units.GPa),
    }


def run_md(
    atoms: Atoms,
    calc,
    protocol: MDProtocol,
    workdir: Path | None = None,
    progress: bool = True,
    label: str = "MD",
    trajectory_every: int = 0,
) -> MDResult:
    """Run the stages of ``protocol`` on a copy of ``atoms``.

    With ``workdir``, checkpoints are written there and a later call with the same protocol
    resumes from the last checkpoint. ``trajectory_every`` > 0 also appends snapshots to
    ``workdir/trajectory.extxyz``.
    """
    from tqdm.auto import tqdm

    t0 = time.time()
    atoms = atoms.copy()
    n0 = len(atoms)
    fp = protocol.fingerprint()
    rng = np.random.default_rng(protocol.seed)
    thermo: list[dict] = []
    start_step, wall0, dyn_state = 0, 0.0, {}
    loaded = checkpoint.load(Path(workdir), fp, n0, with_arrays=True) if workdir else None
    if loaded is not None:
        atoms, state, dyn_state = loaded
        start_step, wall0 = int(state["step"]), float(state.get("wall_s", 0.0))
        thermo = state["thermo"]
        if state.get("rng") is not None:  # the generator continues, it is not reseeded
            rng.bit_generator.state = state["rng"]  # (a LAMMPS engine checkpoint has none)
        checkpoint.trim_trajectory(Path(workdir), state.get("trajectory_bytes"))
        log.info("%s: resuming from step %d (checkpoint in %s)", label, start_step, workdir)
    else:
        initial_velocities(atoms, protocol, rng)
        if workdir and trajectory_every:
            checkpoint.trim_trajectory(Path(workdir), 0)  # a trajectory without checkpoint
    atoms.calc = calc
    total = protocol.total_steps
    bar = tqdm(
        total=total,
        initial=start_step,
        desc=label,
        unit="step",
        disable=not progress,
        mininterval=2.0,
        dynamic_ncols=True,
    )
    for stage, step, n_stage, done_in_stage in protocol.stages_from(start_step):
        # built as at the stage's start (the barostat mass depends on it), then brought to
        # the checkpoint's state: a resumed run continues the same trajectory
        dyn = _integrator(atoms, stage, protocol, stage.temperature_at(0.0))
        if done_in_stage > 0:  # a checkpoint at a stage's end: the next stage starts fresh
            _set_state(dyn, dyn_state)
        dyn_state = {}
        while done_in_stage < n_stage:
            chunk = min(protocol.thermo_every, n_stage - done_in_stage)
            if stage.T_final_K != stage.T_start_K:  # a ramp: target at the chunk's midpoint
                T_mid = stage.temperature_at((done_in_stage + chunk / 2) / n_stage)
                dyn = _retarget(dyn, atoms, stage, protocol, T_mid)
            try:
                dyn.run(chunk)
            except ValueError as err:  # pyace: "Encountered very small distance" = collapse
                if "small distance" not in str(err):
                    raise
                msg = f"{label} step {step + done_in_stage}+: {err} (two atoms collapsed)"
                raise SimulationFailed(msg) from err
            done_in_stage += chunk
            gstep = step + done_in_stage
            check_sane(atoms, n0, protocol.failure_min_distance_A, where=f"{label} step {gstep}")
            row = _thermo_row(
                atoms, gstep, protocol, stage, stage.temperature_at(done_in_stage / n_stage)
            )
            check_temperature(
                row["T_K"],
                reference_temperature(protocol, stage, row["T_target_K"]),
                where=f"{label} step {gstep}",
            )
            thermo.append(row)
            bar.update(chunk)
            bar.set_postfix(
                stage=stage.name, T=f"{row['T_K']:.0f}K", rho=f"{row['density_g_cm3']:.3f}"
            )
            if workdir and trajectory_every and gstep % trajectory_every < chunk:
                Path(workdir).mkdir(parents=True, exist_ok=True)
                snap = atoms.copy()
                snap.calc = None
                write(Path(workdir) / checkpoint.TRAJECTORY, snap, format="extxyz", append=True)
            if workdir and (gstep % protocol.checkpoint_every < chunk or gstep == total):
                state = {
                    "fingerprint": fp,
                    "step": gstep,
                    "thermo": thermo,
                    "rng": rng.bit_generator.state,
                    "wall_s": wall0 + time.time() - t0,
                    "trajectory_bytes": checkpoint.trajectory_size(Path(workdir)),
                }
                checkpoint.save(Path(workdir), atoms, state, arrays=_get_state(dyn))
    bar.close()
    return MDResult(atoms, thermo, start_step, time.time() - t0)


def throughput_atom_steps_per_s(atoms: Atoms, calc, steps: int = 20, dt_fs: float = 1.0) -> float:
    """Measured NVE throughput (atom-steps per second) of ``calc`` on ``atoms``."""
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from ase.md.verlet import VelocityVerlet

    atoms = atoms.copy()
    atoms.calc = calc
    MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.default_rng(0))
    dyn = VelocityVerlet(atoms, dt_fs * units.fs)
    dyn.run(1)  # warm-up (neighbour list)
    t = time.perf_counter()
    dyn.run(steps)
    return len(atoms) * steps / (time.perf_counter() - t)
