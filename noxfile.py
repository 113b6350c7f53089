"""Task runner. `nox -l` lists the sessions; figure sessions exist for each reproduce/<target>/.

nox -s tests                      the test suite (about 7 minutes on 2 cores)
nox -s reproduce                  every target at smoke scale, then the report
nox -s fig2 -- --scale reduced    one target (options: --scale --data --engine --out)
nox -s verify                     the report of an existing results folder
nox -s bench                      speed/memory benchmarks (benchmarks/bench_*.py)
nox -s lint                       ruff
nox -s containers                 validate the Apptainer definition files
nox -s lammps                     build native LAMMPS + ML-PACE into the cache (reused when built)
nox -s workflow -- --profile local|slurm [--scale S] [targets]
                                  the whole paper as one Snakemake workflow (reproduce/Snakefile)
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
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
SHARED_SOURCES = ROOT.parent / "shared" / "sources"
BUILD_SCRIPT = ROOT / "containers" / "build-lammps.sh"


def _lammps_prefix(variant: str = "cpu") -> Path:
    """Cache folder of the native LAMMPS + ML-PACE build: keyed by the build script (which holds
    every pin and CMake switch) and the variant, so a changed pin gives a new folder."""
    key = hashlib.sha256(BUILD_SCRIPT.read_bytes() + variant.encode()).hexdigest()[:16]
    base = os.environ.get("BZS_REPRO_LAMMPS_CACHE") or (
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bzs-repro" / "lammps"
    )
    return Path(base) / f"{variant}-{key}"


def _native_lammps() -> Path | None:
    """The finished native build for the current pins, if there is one."""
    prefix = _lammps_prefix()
    return prefix if (prefix / "BUILD-OK").is_file() else None


def _env() -> dict[str, str]:
    """Environment of every session: the offline mirror of the paper's files if present."""
    env = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "MPLBACKEND": "Agg"}
    if "BZS_REPRO_DATA_MIRROR" not in os.environ and SHARED_MIRROR.is_dir():
        env["BZS_REPRO_DATA_MIRROR"] = str(SHARED_MIRROR)
    native = _native_lammps()
    if native is not None and "BZS_REPRO_LAMMPS_PREFIX" not in os.environ:
        env["BZS_REPRO_LAMMPS_PREFIX"] = str(native)
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
    """Every target (default: smoke scale, engine auto, data auto), then the report."""
    _install(session)
    args = _run_args(session.posargs)
    session.run("bzs-repro", "run", "all", *args, "--verify", env=_env())


@nox.session(python=PYTHON)
def verify(session: nox.Session) -> None:
    """Write report.md/report.html for a results folder (default: results)."""
    _install(session, "test")
    results = session.posargs[0] if session.posargs else "results"
    session.run("bzs-repro", "verify", "--results", results, env=_env())


WORKFLOW_OPTIONS = ("--profile", "--scale", "--data", "--engine", "--out", "--image", "--seed")


@nox.session(python=PYTHON)
def workflow(session: nox.Session) -> None:
    """The whole paper as one Snakemake workflow: -- --profile local|slurm [--scale S]
    [--data D] [--engine E] [--out DIR] [--image X.sif] [--seed N] [targets ...] [-- snakemake
    options]; the exit status is the report's (0 / 1 FAIL / 3 incomplete)."""
    _install(session)
    args, extra = list(session.posargs), []
    if "--" in args:
        args, extra = args[: args.index("--")], args[args.index("--") + 1 :]
    opts = {"--profile": "local", "--scale": "smoke", "--data": "auto", "--engine": "auto"}
    opts["--out"] = "results"
    targets = []
    while args:
        a = args.pop(0)
        if a in WORKFLOW_OPTIONS:
            if not args:
                session.error(f"{a} needs a value")
            opts[a] = args.pop(0)
        elif a.startswith("-"):
            session.error(
                f"unknown option {a} (options: {', '.join(WORKFLOW_OPTIONS)}; "
                "snakemake's own after a second --)"
            )
        else:
            targets.append(a)
    profile = ROOT / "reproduce" / "profiles" / opts["--profile"]
    if not profile.is_dir():
        session.error(f"no profile {opts['--profile']!r} in reproduce/profiles")
    config = [f"{k[2:]}={opts[k]}" for k in ("--scale", "--data", "--engine", "--out")]
    config += [f"targets={','.join(targets)}"] if targets else []
    config += [f"seed={opts['--seed']}"] if "--seed" in opts else []
    cmd = ["snakemake", "-s", "reproduce/Snakefile", "--profile", str(profile)]
    if "--image" in opts:
        config.append(f"image={opts['--image']}")
        cmd += ["--sdm", "apptainer"]
    session.run(*cmd, "--config", *config, *extra, env=_env())
    status_file = Path(opts["--out"]) / ".workflow" / f"verify-{opts['--scale']}.status"
    if "-n" in extra or "--dry-run" in extra or not status_file.is_file():
        return
    status = int(status_file.read_text().strip() or 2)
    report = Path(opts["--out"]) / "report.md"
    session.log(f"report: {report} (verify exit status {status})")
    if status:
        session.error(f"verify exit status {status} (1: a number FAILs, 3: incomplete)")


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


@nox.session(python=PYTHON)
def lammps(session: nox.Session) -> None:
    """Build LAMMPS + ML-PACE (containers/build-lammps.sh, VARIANT=cpu) into the cache.

    Reused when the build for the current pins exists; archives from BZS_REPRO_SOURCES (default
    ../shared/sources when present), else the network. Other sessions then find it
    (BZS_REPRO_LAMMPS_PREFIX). Needs: build-essential cmake libmpich-dev mpich curl."""
    variant = "cpu"
    prefix = _lammps_prefix(variant)
    if (prefix / "BUILD-OK").is_file():
        session.log(f"native LAMMPS + ML-PACE for these pins already built: {prefix}")
        return
    sources = os.environ.get("BZS_REPRO_SOURCES") or (
        str(SHARED_SOURCES) if SHARED_SOURCES.is_dir() else ""
    )
    if sources and not Path(sources).is_dir():
        session.error(f"BZS_REPRO_SOURCES={sources} is not a folder")
    session.log(f"building into {prefix} (source mirror: {sources or 'none, network only'})")
    shutil.rmtree(prefix, ignore_errors=True)  # an unfinished build is not reused
    workdir = prefix.with_name(prefix.name + "-work")
    env = {
        "VARIANT": variant,
        "PREFIX": str(prefix),
        "WORKDIR": str(workdir),
        "PTH": "0",
        "SOURCES": sources,
        "PYTHON": "python",
    }
    session.run("bash", str(BUILD_SCRIPT), env=env, external=True)
    text = BUILD_SCRIPT.read_text()
    lammps_tag, pace = (
        re.search(rf'^{k}="\$\{{{k}:-([^}}]+)\}}"', text, re.MULTILINE).group(1)
        for k in ("LAMMPS_TAG", "PACE_VERSION")
    )
    (prefix / "BUILD-OK").write_text(
        f"native build: LAMMPS {lammps_tag}, ML-PACE {pace} (nox -s lammps, key {prefix.name})\n"
    )
    shutil.rmtree(workdir, ignore_errors=True)  # the build tree (~1 GB); the prefix stays
    session.log(f"built: {prefix}/bin/lmp; tests and runs find it through BZS_REPRO_LAMMPS_PREFIX")


if sorted((ROOT / "containers").glob("*.def")):

    @nox.session(python=PYTHON)
    def containers(session: nox.Session) -> None:
        """Validate the Apptainer definition files and the shared build script."""
        session.install("-e", ".[containers,test]")
        session.run("pytest", "tests/test_containers.py", *session.posargs, env=_env())
