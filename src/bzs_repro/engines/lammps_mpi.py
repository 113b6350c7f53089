"""``run_md`` of the LAMMPS engine on N MPI ranks (the CPU image's model: MPI x OpenMP).

The calling process (one Python, the pipeline) hands the job to ``mpiexec -n N python -m
bzs_repro.engines.lammps_mpi JOB``: every rank runs the same :func:`lammps_engine.run_md` on
one LAMMPS instance over MPI_COMM_WORLD (LAMMPS initialises MPI itself; no mpi4py), native
``pair_style pace`` only (the pyace bridge sees local atoms only). Rank 0 alone writes the
checkpoints, trajectory, decks and the result file, so a killed job resumes like a serial one
and a serial run can resume an MPI run's checkpoint (same format). ``BZS_REPRO_MPIEXEC``
names the launcher (default ``mpiexec``; under Slurm e.g. ``srun``)."""

from __future__ import annotations

import os
import pickle
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ase import Atoms

from bzs_repro.protocols import MDProtocol

MPIEXEC_ENV = "BZS_REPRO_MPIEXEC"


class _PotentialFile:
    """What a rank needs of the pipeline's calculator: the potential file (pair_style pace)."""

    def __init__(self, path: str, label: str) -> None:
        self.bzs_potential_path = Path(path)
        self.bzs_label = label


def _launcher(ranks: int) -> list[str]:
    raw = os.environ.get(MPIEXEC_ENV, "").strip()
    cmd = shlex.split(raw) if raw else ["mpiexec"]
    if shutil.which(cmd[0]) is None:
        msg = (
            f"{cmd[0]} not found: --ranks {ranks} needs an MPI launcher (Debian: apt-get install "
            f"mpich; or set {MPIEXEC_ENV})"
        )
        from bzs_repro.engines.lammps_engine import LammpsUnavailable

        raise LammpsUnavailable(msg)
    if Path(cmd[0]).name not in ("mpiexec", "mpirun", "srun"):
        msg = (
            f"{MPIEXEC_ENV}={raw!r}: the launcher must be mpiexec, mpirun or srun (it gets "
            f"'-n {ranks}')"
        )
        raise ValueError(msg)
    return [*cmd, "-n", str(ranks)]


def run_md(
    atoms: Atoms,
    calc,
    protocol: MDProtocol,
    ranks: int,
    workdir: Path | None = None,
    progress: bool = True,
    label: str = "MD",
    trajectory_every: int = 0,
):
    """:func:`lammps_engine.run_md` on ``ranks`` MPI processes; returns its MDResult."""
    from bzs_repro.engines.lammps_engine import WORKER_ENV, LammpsUnavailable, lammps_status

    path = getattr(calc, "bzs_potential_path", None)
    if path is None or not lammps_status()["ml_pace"]:
        msg = (
            f"--ranks {ranks} needs native LAMMPS + ML-PACE (pair_style pace) and a potential "
            "file; the pyace bridge runs on one rank"
        )
        raise LammpsUnavailable(msg)
    with tempfile.TemporaryDirectory(prefix="bzs-mpi-") as tmp:
        job, result = Path(tmp) / "job.pkl", Path(tmp) / "result.pkl"
        spec = {
            "atoms": atoms,
            "potential": str(path),
            "label": getattr(calc, "bzs_label", ""),
            "protocol": protocol,
            "workdir": str(workdir) if workdir else None,
            "progress": progress,
            "md_label": label,
            "trajectory_every": trajectory_every,
            "result": str(result),
        }
        job.write_bytes(pickle.dumps(spec))
        env = {**os.environ, WORKER_ENV: "1"}
        cmd = [*_launcher(ranks), sys.executable, "-m", "bzs_repro.engines.lammps_mpi", str(job)]
        proc = subprocess.run(
            cmd, check=False, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if proc.returncode != 0 or not result.is_file():
            tail = " | ".join(proc.stdout.strip().splitlines()[-6:])
            msg = f"{label} on {ranks} MPI ranks failed (exit {proc.returncode}): {tail[-600:]}"
            raise RuntimeError(msg)
        out = pickle.loads(result.read_bytes())
    if isinstance(out, BaseException):
        raise out
    return out


def _worker(job_file: str) -> int:
    from bzs_repro.engines import lammps_engine

    spec = pickle.loads(Path(job_file).read_bytes())
    calc = _PotentialFile(spec["potential"], spec["label"])
    try:
        res = lammps_engine.run_md(
            spec["atoms"],
            calc,
            spec["protocol"],
            workdir=Path(spec["workdir"]) if spec["workdir"] else None,
            progress=spec["progress"],
            label=spec["md_label"],
            trajectory_every=spec["trajectory_every"],
        )
    except Exception as err:  # noqa: BLE001 - the failure travels back to the caller (SimulationFailed ...)
        res = err
    if lammps_engine._writer():
        tmp = Path(spec["result"] + ".tmp")
        tmp.write_bytes(pickle.dumps(res))
        tmp.replace(spec["result"])
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1]))
