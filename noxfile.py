"""Task runner. `nox -l` lists the sessions; figure sessions exist for each reproduce/<target>/.

nox -s tests                      the test suite (about 5 minutes on 2 cores)
nox -s reproduce                  every target at smoke scale, then the report
nox -s fig2 -- --scale reduced    one target (options: --scale --data --engine --out)
nox -s verify                     the report of an existing results folder
nox -s bench                      speed/memory benchmarks (benchmarks/bench_*.py)
nox -s lint                       ruff
nox -s containers                 validate the Apptainer definition files
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"
PYTHON = "3.11"
# torch is pinned to the CPU build that the machines here provide as a local file; an
# unpinned torch would pull several GB of CUDA packages.
TORCH = "torch==2.13.0"
SHARED_MIRROR = ROOT.parent / "shared" / "paper-data"


def _env() -> dict[str, str]:
    """Environment of every session: the offline mirror of the paper's files if present."""
    env = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "MPLBACKEND": "Agg"}
    if "BZS_REPRO_DATA_MIRROR" not in os.environ and SHARED_MIRROR.is_dir():
        env["BZS_REPRO_DATA_MIRROR"] = str(SHARED_MIRROR)
    return env


def _install(session: nox.Session, extras: str = "all") -> None:
    session.install(TORCH)
    session.install("-e", f".[{extras}]")


def _run_args(posargs: list[str]) -> list[str]:
    args = list(posargs)
    if "--out" not in args:
        args += ["--out", "results"]
    return args


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest settings in pyproject.toml)."""
    _install(session)
    session.run("pytest", *session.posargs, env=_env())


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff==0.17.6")  # pinned: new ruff releases add rules
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def reproduce(session: nox.Session) -> None:
    """Every target (default: smoke scale, embedded engine, data auto), then the report."""
    _install(session)
    args = _run_args(session.posargs)
    session.run("bzs-repro", "run", "all", *args, "--verify", env=_env())


@nox.session(python=PYTHON)
def verify(session: nox.Session) -> None:
    """Write report.md/report.html for a results folder (default: results)."""
    _install(session, "test")
    results = session.posargs[0] if session.posargs else "results"
    session.run("bzs-repro", "verify", "--results", results, env=_env())


def _make_target_session(target: str, title: str):
    def _session(session: nox.Session) -> None:
        _install(session)
        args = _run_args(session.posargs)
        session.run("bzs-repro", "run", target, *args, "--verify", env=_env())

    _session.__doc__ = (
        f"{title} (-- --scale smoke|reduced|paper --data auto|paper|surrogate --engine ase|lammps)"
    )
    _session.__name__ = target
    return nox.session(python=PYTHON, name=target)(_session)


for _cfg in sorted((ROOT / "reproduce").glob("*/config.toml")):
    _raw = tomllib.loads(_cfg.read_text())
    globals()[f"session_{_raw['target']}"] = _make_target_session(_raw["target"], _raw["title"])

if sorted((ROOT / "benchmarks").glob("bench_*.py")):

    @nox.session(python=PYTHON)
    def bench(session: nox.Session) -> None:
        """Benchmarks (speed, memory); -- --quick for the short variant."""
        _install(session)
        out = ROOT / "results" / "bench"
        env = {**_env(), "BENCH_OUT": str(out)}
        for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
            session.run("python", str(script), *session.posargs, env=env)
        session.log(f"benchmark results in {out}")


if sorted((ROOT / "containers").glob("*.def")):

    @nox.session(python=PYTHON)
    def containers(session: nox.Session) -> None:
        """Validate the Apptainer definition files and the shared build script."""
        session.install("-e", ".[containers,test]")
        session.run("pytest", "tests/test_containers.py", *session.posargs, env=_env())
