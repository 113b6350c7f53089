"""The melt-quench protocol of Fig. 2 built from a config table, and its cost estimate."""

from __future__ import annotations

from pathlib import Path

from bzs_repro.protocols import MDProtocol, MDStage, quench_time_ps


def meltquench_protocol(
    cfg: dict, quench_rate_K_per_s: float | None = None, seed: int | None = None
) -> MDProtocol:
    """Stages: melt (``melt_ensemble``, default NVT at the start's density, at ``T_melt_K``),
    optional liquid (NPT at ``T_liquid_K``, if ``liquid_ps`` > 0), linear quench (NPT) from
    ``T_liquid_K`` to ``T_final_K`` at ``quench_rate_K_per_s``, equilibration (NPT at
    ``T_final_K``); all NPT at ``pressure_GPa`` with the barostat ``barostat`` ('iso': volume
    only, as a liquid needs; see MDProtocol)."""
    rate = float(quench_rate_K_per_s or cfg["quench_rate_K_per_s"])
    if rate <= 0:
        msg = f"quench rate must be > 0 K/s (got {rate})"
        raise ValueError(msg)
    p = float(cfg.get("pressure_GPa", 0.0))
    t_liq, t_fin = float(cfg["T_liquid_K"]), float(cfg["T_final_K"])
    stages = []
    if cfg.get("melt_ps", 0) > 0:
        ens = cfg.get("melt_ensemble", "nvt")
        if ens not in ("nvt", "npt"):
            msg = f"melt_ensemble must be 'nvt' or 'npt', not {ens!r}"
            raise ValueError(msg)
        stages.append(
            MDStage(
                "melt",
                ens,
                float(cfg["melt_ps"]),
                float(cfg["T_melt_K"]),
                pressure_GPa=p if ens == "npt" else 0.0,
            )
        )
    if cfg.get("liquid_ps", 0) > 0:
        stages.append(MDStage("liquid", "npt", float(cfg["liquid_ps"]), t_liq, pressure_GPa=p))
    stages += [
        MDStage("quench", "npt", quench_time_ps(t_liq, t_fin, rate), t_liq, t_fin, pressure_GPa=p),
        MDStage("equilibrate", "npt", float(cfg["equil_ps"]), t_fin, pressure_GPa=p),
    ]
    return MDProtocol(
        stages=tuple(stages),
        dt_fs=float(cfg["dt_fs"]),
        tdamp_fs=float(cfg["tdamp_fs"]),
        pdamp_fs=float(cfg["pdamp_fs"]),
        seed=int(cfg.get("seed", 0) if seed is None else seed),
        thermo_every=int(cfg.get("thermo_every", 50)),
        checkpoint_every=int(cfg.get("checkpoint_every", 500)),
        initial_T_K=float(cfg["T_melt_K"]),
        barostat=cfg.get("barostat", "iso"),
    )


def sample_frames(
    engine,
    atoms,
    calc,
    T_K: float,
    n_frames: int,
    every: int,
    dt_fs: float,
    workdir: Path,
    seed: int = 0,
    progress: bool = True,
) -> list:
    """``n_frames`` snapshots ``every`` steps apart from NVT at ``T_K`` starting at ``atoms``
    (for ensemble-averaged g(r)); resumable in ``workdir`` like any run."""
    from ase.io import read

    stage = MDStage("sample", "nvt", n_frames * every * dt_fs / 1000.0, T_K)
    protocol = MDProtocol(
        (stage,),
        dt_fs=dt_fs,
        seed=seed,
        thermo_every=every,
        checkpoint_every=every * max(1, n_frames // 4),
        initial_T_K=T_K,
    )
    workdir = Path(workdir)
    workdir.mkdir(
        parents=True, exist_ok=True
    )  # run_md writes the trajectory before its first checkpoint
    traj = workdir / "trajectory.extxyz"  # the engines trim it to their checkpoint on resume
    engine.run_md(
        atoms,
        calc,
        protocol,
        workdir=workdir,
        progress=progress,
        label="sample g(r)",
        trajectory_every=every,
    )
    frames = read(traj, index=":", format="extxyz")
    return frames[-n_frames:]


def cost_estimate(protocol: MDProtocol, n_atoms: int, atom_steps_per_s: float) -> dict:
    """Steps, atom-steps and the estimated wall time (s) at ``atom_steps_per_s``."""
    steps = protocol.total_steps
    return {
        "steps": steps,
        "atom_steps": steps * n_atoms,
        "atom_steps_per_s": atom_steps_per_s,
        "estimated_s": steps * n_atoms / atom_steps_per_s,
    }


def format_duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def stage_average(thermo: list[dict], key: str, stage: str, last_ps: float) -> tuple[float, int]:
    """(mean, number of rows) of ``key`` over the last ``last_ps`` of ``stage`` in a thermo
    log (rows with 'stage', 'time_ps'): both densities of a ratio use the same window."""
    rows = [r for r in thermo if r.get("stage") == stage]
    if not rows:
        msg = f"no thermo rows of stage {stage!r}"
        raise ValueError(msg)
    t_end = max(r["time_ps"] for r in rows)
    sel = [float(r[key]) for r in rows if r["time_ps"] >= t_end - last_ps - 1e-9]
    return float(sum(sel) / len(sel)), len(sel)
