"""Render the project's protocols (bzs_repro.protocols) as LAMMPS input text (units metal).

Pure text, no LAMMPS needed: the LAMMPS engine executes these fragments through the python
module, and :func:`md_deck` / :func:`relax_deck` join them into standalone input files that
run unchanged with an ML-PACE ``lmp`` binary (``srun lmp -in in.md.lammps``) on HPC.

Two pair modes, differing only in the pair lines:

- ``pace``: ``pair_style pace`` + ``pair_coeff * * <file.yace> Ba Zr S`` (LAMMPS with ML-PACE);
- ``bridge``: ``pair_style zero`` (keeps the neighbour/ghost-atom machinery) and
  ``fix external pf/callback``, whose energy, forces and virial come from pyace in python.

Units (LAMMPS metal): Angstrom, eV, ps, K, bar (1 GPa = 1e4 bar).
"""

from __future__ import annotations

from collections.abc import Sequence

from bzs_repro.protocols import MDProtocol, MDStage, Relax

BAR_PER_GPA = 1.0e4
BRIDGE_FIX = "bzs_pyace"  # id of the fix external that carries the pyace forces
INT_FIX = "bzs_int"  # id of the integrator fix of the current MD stage
BOXRELAX_FIX = "bzs_boxrelax"
PAIR_MODES = ("pace", "bridge")
# Thermo columns read back by the engine (and printed to log.lammps).
THERMO = ("step", "temp", "pe", "ke", "etotal", "press", "vol", "lx", "ly", "lz", "xy", "xz", "yz")


_RUN_HINT = [
    "# Standalone: `srun lmp -in <this file>` in its folder with an ML-PACE LAMMPS (containers/);",
    (
        "# the .yace is pyace's conversion of the pacemaker YAML "
        "(`pace_yaml2yace pot.yaml -o pot.yace`)."
    ),
]


def setup_lines(
    data_file: str,
    pair: str,
    species: Sequence[str],
    yace_file: str | None = None,
    cutoff_A: float = 7.5,
    thermo_every: int = 50,
) -> list[str]:
    """Units, box and atoms (from a LAMMPS data file), pair lines and thermo output."""
    lines = [
        "units metal",
        "atom_style atomic",
        "boundary p p p",
        "atom_modify map array",
        f"read_data {data_file}",
    ]
    lines += pair_lines(pair, species, yace_file, cutoff_A)
    lines += [
        "neighbor 1.0 bin",
        "neigh_modify every 1 delay 0 check yes",
        f"thermo_style custom {' '.join(THERMO)}",
        "thermo_modify norm no flush yes",
        f"thermo {max(1, int(thermo_every))}",
    ]
    return lines


PACE_ALGORITHMS = ("recursive", "product")


def pace_algorithm() -> str:
    """ML-PACE's evaluator: 'recursive' (default: faster here, the same energies as 'product'
    to 1e-12, tests/test_lammps_engine.py) or 'product' (ML-PACE's own default), by
    BZS_REPRO_PACE_ALGORITHM."""
    import os

    algo = os.environ.get("BZS_REPRO_PACE_ALGORITHM", "recursive").strip().lower()
    if algo not in PACE_ALGORITHMS:
        msg = f"BZS_REPRO_PACE_ALGORITHM must be one of {PACE_ALGORITHMS}, not {algo!r}"
        raise ValueError(msg)
    return algo


def pair_lines(
    pair: str,
    species: Sequence[str],
    yace_file: str | None = None,
    cutoff_A: float = 7.5,
    algorithm: str | None = None,
) -> list[str]:
    """The interaction lines: native ML-PACE (``pair_style pace recursive|product``) or the
    pyace bridge (fix external)."""
    if pair == "pace":
        if not yace_file:
            msg = "pair mode 'pace' needs the potential as a .yace file"
            raise ValueError(msg)
        algo = algorithm or pace_algorithm()
        return [f"pair_style pace {algo}", f"pair_coeff * * {yace_file} {' '.join(species)}"]
    if pair == "bridge":
        # pair_style zero: no forces, but a neighbour list and ghost atoms out to the ACE
        # cutoff, so that LAMMPS keeps the same comm/neighbour settings as with pair pace.
        return [
            f"pair_style zero {cutoff_A:.4f}",
            "pair_coeff * *",
            f"fix {BRIDGE_FIX} all external pf/callback 1 1",
            f"fix_modify {BRIDGE_FIX} energy yes virial yes",
        ]
    msg = f"unknown pair mode {pair!r}; choose from {PAIR_MODES}"
    raise ValueError(msg)


def fire_lines(species: Sequence[str]) -> tuple[list[str], list[str]]:
    """(before, after) lines that give LAMMPS' FIRE ASE's FIRE parameters: ASE's optimiser is
    massless (unit masses), starts at dt = 0.1 ASE time units (1.018 fs) with dtmax 10 dt,
    Nmin 5, finc 1.1, fdec 0.5, alpha 0.1 x 0.99 and no half-step back; LAMMPS' defaults (FIRE
    2.0: real masses, 1 fs, 20 delay steps, alpha 0.25) relax a truncated run (smoke scale)
    far less per step. ASE's maxstep (0.2 A as a norm over all atoms) has no LAMMPS
    equivalent; ``dmax 0.2`` caps each atom instead, so LAMMPS can move many atoms further
    per step than ASE (a truncated polycrystal relaxation gets further). Converged
    relaxations do not depend on these settings. The masses are restored afterwards."""
    from ase import units

    from bzs_repro.potential import MASSES

    dt_ps = 0.1 / units.fs / 1000.0
    before = [
        "mass * 1.0",
        f"timestep {dt_ps:.8g}",
        (
            "min_modify dmax 0.2 delaystep 5 dtgrow 1.1 dtshrink 0.5 alpha0 0.1 alphashrink 0.99"
            " tmax 10.0 halfstepback no"
        ),
    ]
    after = [f"mass {i + 1} {MASSES[s]:.6g}" for i, s in enumerate(species)]
    return before, after


def minimize_lines(
    protocol: Relax, triclinic: bool = False, species: Sequence[str] = ("Ba", "Zr", "S")
) -> list[str]:
    """Minimisation with the cell degrees of freedom of ``protocol.cell``.

    fixed: positions only; iso: ``box/relax iso``; ortho: ``box/relax aniso``; full:
    ``box/relax tri`` (needs a triclinic box); normal: only the length along
    ``normal_axis`` (``box/relax x|y|z``, the other lengths fixed, ``couple none``).
    LAMMPS has no BFGS: 'BFGS' maps to conjugate gradients (the quasi-Newton alternative
    LAMMPS offers); FIRE cannot move the box, so any cell relaxation also uses cg.
    The force criterion is ``min_modify norm max`` at ftol = fmax: LAMMPS' "max" norm is the
    largest per-atom force magnitude (Min::fnorm_max in src/min.cpp: max over atoms of
    |F_i|), the same quantity as ASE's fmax. FIRE takes
    ASE's FIRE parameters (:func:`fire_lines`; ``species`` = the LAMMPS types, for the masses).
    """
    p_bar = protocol.pressure_GPa * BAR_PER_GPA
    lines: list[str] = []
    style = "fire" if (protocol.optimizer == "FIRE" and protocol.cell == "fixed") else "cg"
    if protocol.cell == "iso":
        lines.append(f"fix {BOXRELAX_FIX} all box/relax iso {p_bar:.6g} vmax 0.001")
    elif protocol.cell == "ortho":
        lines.append(f"fix {BOXRELAX_FIX} all box/relax aniso {p_bar:.6g} vmax 0.001")
    elif protocol.cell == "full":
        if not triclinic:
            msg = "Relax(cell='full') needs a triclinic LAMMPS box (write the data file with tilts)"
            raise ValueError(msg)
        lines.append(f"fix {BOXRELAX_FIX} all box/relax tri {p_bar:.6g} vmax 0.001")
    elif protocol.cell == "normal":
        axis = "xyz"[protocol.normal_axis]
        lines.append(f"fix {BOXRELAX_FIX} all box/relax {axis} {p_bar:.6g} couple none vmax 0.001")
    elif protocol.cell != "fixed":
        msg = f"unknown cell mode {protocol.cell!r}"
        raise ValueError(msg)
    ftol = protocol.fmax  # norm max = the largest per-atom |F|, as ASE's fmax
    before, after = fire_lines(species) if style == "fire" else ([], [])
    lines += [
        f"min_style {style}",
        "min_modify norm max",
        *before,
        f"minimize 0.0 {ftol:.6g} {int(protocol.max_steps)} {10 * int(protocol.max_steps)}",
        *after,
    ]
    if protocol.cell != "fixed":
        lines.append(f"unfix {BOXRELAX_FIX}")
    return lines


def barostat_keyword(protocol: MDProtocol, triclinic: bool = False) -> str:
    """The ``fix npt`` coupling keyword of ``protocol.barostat``: ``iso``, ``aniso`` or ``tri``
    (which needs a triclinic box: the engine writes one for such protocols)."""
    kind = protocol.barostat
    if kind == "tri" and not triclinic:
        msg = "barostat 'tri' needs a triclinic box"
        raise ValueError(msg)
    return kind


def stage_fix_line(stage: MDStage, protocol: MDProtocol, triclinic: bool = False) -> str:
    """The integrator fix of one stage: Nose-Hoover ``nvt``/``npt`` (LAMMPS' standard, the
    paper's engine; the ASE engine integrates the same equations) or ``nve``. Ramps
    T_start -> T_end over the stage when the stage's runs carry ``start``/``stop`` (see
    :func:`run_line`)."""
    tdamp = protocol.tdamp_fs / 1000.0  # ps
    pdamp = protocol.pdamp_fs / 1000.0
    t0, t1 = stage.T_start_K, stage.T_final_K
    if stage.ensemble == "nve":
        return f"fix {INT_FIX} all nve"
    if stage.ensemble == "nvt":
        return f"fix {INT_FIX} all nvt temp {t0:.6g} {t1:.6g} {tdamp:.6g}"
    if stage.ensemble == "npt":
        p = stage.pressure_GPa * BAR_PER_GPA
        baro = barostat_keyword(protocol, triclinic)
        return (
            f"fix {INT_FIX} all npt temp {t0:.6g} {t1:.6g} {tdamp:.6g} "
            f"{baro} {p:.6g} {p:.6g} {pdamp:.6g}"
        )
    msg = f"unknown ensemble {stage.ensemble!r}"
    raise ValueError(msg)


def run_line(n_steps: int, stage_start: int, stage_stop: int, first: bool) -> str:
    """``run N`` of a chunk inside a stage; ``start``/``stop`` keep a temperature ramp
    continuous across chunks (the fix ramps over the whole stage, not the chunk)."""
    pre = "yes" if first else "no"
    return f"run {int(n_steps)} start {int(stage_start)} stop {int(stage_stop)} pre {pre} post no"


def md_stage_lines(protocol: MDProtocol, triclinic: bool = False) -> list[str]:
    """All stages as one standalone sequence (fix, reset_timestep-free runs, unfix)."""
    lines = [f"timestep {protocol.dt_fs / 1000.0:.6g}"]
    step = 0
    for stage in protocol.stages:
        n = protocol.steps(stage)
        lines.append(
            f"# stage {stage.name}: {stage.ensemble} {stage.time_ps:g} ps, "
            f"{stage.T_start_K:g} -> {stage.T_final_K:g} K, {stage.pressure_GPa:g} GPa"
        )
        lines.append(stage_fix_line(stage, protocol, triclinic))
        lines.append(f"run {n} start {step} stop {step + n}")
        lines.append(f"write_restart restart.{stage.name}")
        lines.append(f"unfix {INT_FIX}")
        step += n
    return lines


def md_deck(
    protocol: MDProtocol,
    data_file: str,
    species: Sequence[str],
    pair: str = "pace",
    yace_file: str | None = None,
    triclinic: bool = False,
    dump_every: int = 0,
) -> str:
    """A standalone LAMMPS input running the whole protocol (velocities from the data file)."""
    lines = [
        f"# bzs-repro MD protocol {protocol.fingerprint()} ({len(protocol.stages)} stages)",
        *_RUN_HINT,
    ]
    lines += setup_lines(data_file, pair, species, yace_file, thermo_every=protocol.thermo_every)
    if dump_every:
        lines.append(f"dump traj all custom {int(dump_every)} traj.dump id type x y z")
        lines.append("dump_modify traj sort id")
    lines += md_stage_lines(protocol, triclinic)
    lines.append("write_data final.data")
    return "\n".join(lines) + "\n"


def relax_deck(
    protocol: Relax,
    data_file: str,
    species: Sequence[str],
    pair: str = "pace",
    yace_file: str | None = None,
    triclinic: bool = False,
) -> str:
    """A standalone LAMMPS input minimising with ``protocol``."""
    lines = [f"# bzs-repro relax: cell={protocol.cell}, fmax={protocol.fmax} eV/A", *_RUN_HINT]
    lines += setup_lines(data_file, pair, species, yace_file, thermo_every=100)
    lines += minimize_lines(protocol, triclinic, species)
    lines.append("write_data relaxed.data")
    return "\n".join(lines) + "\n"
