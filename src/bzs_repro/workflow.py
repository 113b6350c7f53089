"""The paper's job graph for reproduce/Snakefile: units of work, their resources, commands.

A job is one unit of a target (``bzs-repro run TARGET --part UNIT``: a melt-quench, a GB or a
polycrystal relaxation; :mod:`bzs_repro.targets`), the target's own run that gathers its units
(analysis, figures, numbers.json) or the final ``verify``. Everything comes from
reproduce/*/config.toml: the units from the target's ``parts(cfg)``, the resources from
``[scales.SCALE.resources.KIND]`` (``KIND`` = the unit's kind, ``target`` for the gathering
run), a unit's own table ``[scales.SCALE.resources.UNIT]`` over its kind's. Keys, as Snakemake
and its Slurm executor read them: ``runtime`` (minutes), ``mem_mb``, ``cpus_per_task``,
``tasks`` (MPI ranks of the LAMMPS engine: passed on as ``--ranks``), ``gpu`` (GPUs per job).
"""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bzs_repro.targets import SCALES, discover_targets

# what a job gets when its config names nothing (smoke scale fits these everywhere)
DEFAULT_RESOURCES = {"runtime": 60, "mem_mb": 4000, "cpus_per_task": 1, "tasks": 1, "gpu": 0}
RESOURCE_KEYS = tuple(DEFAULT_RESOURCES)
TARGET_KIND = "target"


@dataclass(frozen=True)
class Job:
    """One job of the graph: ``part`` None is the target's own (gathering) run."""

    target: str
    part: str | None
    kind: str
    resources: dict[str, int] = field(hash=False, compare=False)


def _resources(cfg: dict, kind: str, part: str | None, scale: str, where: str) -> dict[str, int]:
    table = cfg.get("resources", {})
    res = dict(DEFAULT_RESOURCES)
    for key in (kind, part):
        if key is None or key not in table:
            continue
        unknown = set(table[key]) - set(RESOURCE_KEYS)
        if unknown:
            msg = (
                f"{where}: [scales.{scale}.resources.{key}] has unknown keys {sorted(unknown)} "
                f"(known: {', '.join(RESOURCE_KEYS)})"
            )
            raise ValueError(msg)
        res.update({k: int(v) for k, v in table[key].items()})
    return res


def plan(scale: str, targets: list[str] | None = None) -> list[Job]:
    """Every job of ``targets`` (default: all) at ``scale``: units first, then each target."""
    if scale not in SCALES:
        msg = f"scale must be one of {', '.join(SCALES)}, not {scale!r}"
        raise ValueError(msg)
    known = discover_targets()
    names = list(known) if not targets else list(targets)
    bad = [n for n in names if n not in known]
    if bad:
        msg = f"unknown target {bad[0]!r}; known: {', '.join(known)}"
        raise ValueError(msg)
    jobs = []
    for name in names:
        t = known[name]
        if scale not in t.raw.get("scales", {}):
            continue  # a target without this tier is not part of the graph
        cfg, where = t.config(scale), str(t.config_file)
        for part, kind in t.parts(scale).items():
            jobs.append(Job(name, part, kind, _resources(cfg, kind, part, scale, where)))
        res = _resources(cfg, TARGET_KIND, None, scale, where)
        jobs.append(Job(name, None, TARGET_KIND, res))
    return jobs


def marker(out: str | Path, target: str, part: str) -> str:
    """The output file of a unit's job (written last by ``run --part``)."""
    from bzs_repro.results import part_marker

    return str(part_marker(Path(out), target, part))


def command(job: Job, scale: str, data: str, engine: str, out: str, seed: int | None = None) -> str:
    """The shell command of ``job`` (the same CLI a user runs by hand)."""
    args = ["bzs-repro", "run", job.target, "--scale", scale, "--data", data]
    args += ["--engine", engine, "--out", str(out)]
    if job.part is not None:
        args += ["--part", job.part]
    if job.resources.get("tasks", 1) > 1 and engine == "lammps":
        args += ["--ranks", str(job.resources["tasks"])]
    if seed is not None:
        args += ["--seed", str(seed)]
    return shlex.join(args)


def summary(jobs: list[Job]) -> dict[str, int]:
    """Jobs per kind ({'md': 6, 'relax': 13, 'target': 5}), for the dry-run tests and docs."""
    return dict(Counter(j.kind for j in jobs))
