"""Numbers of a melt-quench: its cost (steps, atom-steps, wall time) and stage averages of its
thermo log. The protocol itself is built by :func:`bzs_repro.protocols.meltquench_protocol`."""

from __future__ import annotations

from bzs_repro.protocols import MDProtocol


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
