"""Paper targets (figures/tables) discovered from reproduce/<target>/config.toml.

A config is data: ``target``, ``title``, ``runner`` ("module:function"), optional
``[common]`` settings and one ``[scales.<tier>]`` table per scale tier (smoke, reduced,
paper). The runner is called as ``runner(run: TargetRun, cfg: dict)`` with ``cfg`` the
common table updated by the chosen tier's table.

A target whose runner module also defines ``parts(cfg) -> dict[name, kind]`` and
``run_part(run, cfg, name)`` splits into independent units of work (one melt-quench, one GB
relaxation, ...): ``bzs-repro run TARGET --part NAME`` runs one of them into the shared
``work/`` folder, and the target's own run then reuses what they finished (their
checkpoints) instead of computing it again. The workflow (reproduce/Snakefile) makes one job
of each unit; ``kind`` names its resources in the config (``[scales.*.resources.KIND]``).
"""

from __future__ import annotations

import importlib
import logging
import tomllib
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bzs_repro.paths import reproduce_dir
from bzs_repro.results import RunSettings, TargetRun, part_lock, recover, target_lock

log = logging.getLogger(__name__)
SCALES = ("smoke", "reduced", "paper")
CONFIG_KEYS = {"target", "title", "runner", "description", "common", "scales", "order"}


@dataclass(frozen=True)
class Target:
    name: str
    title: str
    runner: str
    config_file: Path
    raw: dict[str, Any]

    def config(self, scale: str) -> dict[str, Any]:
        if scale not in self.raw.get("scales", {}):
            msg = f"target {self.name} has no [scales.{scale}] in {self.config_file}"
            raise KeyError(msg)
        cfg = dict(self.raw.get("common", {}))
        cfg.update(self.raw["scales"][scale])
        return cfg

    def _module(self):
        return importlib.import_module(self.runner.partition(":")[0])

    def load_runner(self):
        return getattr(self._module(), self.runner.partition(":")[2])

    def parts(self, scale: str) -> dict[str, str]:
        """{unit name: resource kind} of the target at ``scale`` ({} if it is one unit)."""
        split = getattr(self._module(), "parts", None)
        return dict(split(self.config(scale))) if split else {}

    def check_part(self, scale: str, part: str) -> None:
        """ValueError naming the known units unless ``part`` is a unit at ``scale``."""
        units = self.parts(scale)
        if part not in units:
            known = ", ".join(units) or "none: it runs as one unit"
            msg = (
                f"target {self.name} has no unit {part!r} at {scale} scale (units: {known}; "
                f"`bzs-repro parts {self.name} --scale {scale}`)"
            )
            raise ValueError(msg)

    def run_part_function(self):
        return self._module().run_part


def load_target(config_file: Path) -> Target:
    raw = tomllib.loads(Path(config_file).read_text())
    unknown = set(raw) - CONFIG_KEYS
    if unknown:
        msg = f"{config_file}: unknown keys {sorted(unknown)}"
        raise ValueError(msg)
    for key in ("target", "title", "runner"):
        if key not in raw:
            msg = f"{config_file}: missing key {key!r}"
            raise ValueError(msg)
    bad = set(raw.get("scales", {})) - set(SCALES)
    if bad:
        msg = f"{config_file}: unknown scale tiers {sorted(bad)}"
        raise ValueError(msg)
    return Target(raw["target"], raw["title"], raw["runner"], Path(config_file), raw)


def discover_targets(root: Path | None = None) -> dict[str, Target]:
    """All targets, ordered by their ``order`` key then name."""
    root = Path(root or reproduce_dir())
    found = [load_target(p) for p in sorted(root.glob("*/config.toml"))]
    found.sort(key=lambda t: (t.raw.get("order", 100), t.name))
    return {t.name: t for t in found}


def override_seed(cfg: dict[str, Any], seed: int) -> dict[str, Any]:
    """``cfg`` with every ``seed`` key (top level and in sub-tables) set to ``seed``."""
    out = {}
    for k, v in cfg.items():
        if k == "seed":
            out[k] = int(seed)
        elif isinstance(v, dict):
            out[k] = override_seed(v, seed)
        else:
            out[k] = v
    return out


def run_target(
    target: Target, settings: RunSettings, seed: int | None = None, part: str | None = None
) -> TargetRun:
    """Run one target under the lock on its results; on success its results are replaced, on
    failure they stay and ``TARGET/failed-run/`` says why (the exception is re-raised).
    With ``part``, only that unit runs: its checkpoints go to the shared work/ folder and
    ``work/parts/PART.json`` says it finished (``PART.error.txt`` why it did not)."""
    cfg = target.config(settings.scale)
    if seed is not None:
        cfg = override_seed(cfg, seed)
    if part is not None:
        return _run_part(target, settings, cfg, part)
    with target_lock(settings.out, target.name):
        recover(settings.out, target.name)
        run = TargetRun(target.name, settings, config=cfg)
        _execute(run, target.title, lambda: target.load_runner()(run, cfg))
    return run


def _run_part(target: Target, settings: RunSettings, cfg: dict[str, Any], part: str) -> TargetRun:
    target.check_part(settings.scale, part)
    with part_lock(settings.out, target.name, part):
        run = TargetRun(target.name, settings, config=cfg, part=part)
        _execute(run, f"--part {part}", lambda: target.run_part_function()(run, cfg, part))
    return run


def _execute(run: TargetRun, what: str, body) -> None:
    """Run ``body`` for ``run``; finish it (publish, or a unit's marker) or keep its failure."""
    s = run.settings
    log.info("%s: %s [scale=%s data=%s engine=%s]", run.target, what, s.scale, s.data, s.engine)
    try:
        body()
        run.finish()
    except BaseException as exc:
        run.fail(exc, "".join(traceback.format_exception(exc)))
        raise
