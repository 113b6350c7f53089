"""The paper as one Snakemake workflow (reproduce/Snakefile): the job graph of every scale in
dry-run, a real local run of Fig. 3 at smoke scale, a killed run that resumes without
recomputing finished units (and ends with the numbers of an uninterrupted run), a job inside
an image (`--sdm apptainer`, with a stand-in apptainer that records how it was called), and
the same graph through a Slurm started on this machine (marker ``slurm``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bzs_repro import workflow as wf

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "reproduce" / "Snakefile"
SNAKEMAKE = shutil.which("snakemake") or str(Path(sys.executable).with_name("snakemake"))
pytestmark = pytest.mark.skipif(
    not Path(SNAKEMAKE).is_file(), reason="snakemake is not installed (extra 'workflow')"
)


def _snakemake(cwd: Path, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    cmd = [SNAKEMAKE, "-s", str(SNAKEFILE), *args]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.update(kw.pop("env", {}))
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, check=False, **kw)
    if check and res.returncode != 0:
        pytest.fail(
            f"snakemake failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-6000:]}"
        )
    return res


def _job_stats(text: str) -> dict[str, int]:
    """Snakemake's "Job stats" table as {rule: count}."""
    block = text.split("Job stats:", 1)[1]
    stats = {}
    for line in block.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        stats[parts[0]] = int(parts[1])
    return stats


# units per scale, by hand from reproduce/*/config.toml: fig2 crystal NPT + melt-quench runs
# (smoke: main + S4 random; reduced: main + S3 1e15; paper: main + S3 1e12/1e14/1e15 + S4
# random), fig3 ten bicrystals, fig4 three polycrystals (8, 50, 6 grains)
UNITS = {"smoke": 3 + 10 + 3, "reduced": 3 + 10 + 3, "paper": 6 + 10 + 3}


@pytest.mark.parametrize("scale", ["smoke", "reduced", "paper"])
def test_dry_run_has_every_unit_of_every_target(scale, tmp_path):
    res = _snakemake(tmp_path, "-n", "-p", "--config", f"scale={scale}", "engine=lammps")
    out = res.stdout + res.stderr
    assert _job_stats(out) == {
        "unit": UNITS[scale],
        "target": 5,
        "verify": 1,
        "all": 1,
        "total": UNITS[scale] + 7,
    }
    assert wf.summary(wf.plan(scale))["target"] == 5
    # every unit's job is the CLI a user runs, with the config's scale
    assert f"bzs-repro run fig3 --scale {scale} --data auto --engine lammps" in out
    assert "--part gb-sigma31" in out
    if scale == "paper":  # MPI ranks and GPUs from the configs' resource tables
        main = re.search(r"--part main --ranks (\d+)", out)
        assert main is not None
        assert main.group(1) == "64"
        assert "--part s3-1e12 --ranks 64" in out
        assert re.search(r"runtime=2880, cpus_per_task=1, tasks=64", out)  # the 1e12 K/s quench
        assert "gpu=1" in out  # fig4's scattering


def test_a_target_subset_and_a_bad_setting(tmp_path):
    out = _snakemake(tmp_path, "-n", "--config", "scale=paper", "targets=fig2,figS3")
    assert _job_stats(out.stdout + out.stderr)["unit"] == 6
    bad = _snakemake(tmp_path, "-n", "--config", "scale=huge", check=False)
    assert bad.returncode != 0
    assert "scale must be one of smoke, reduced, paper" in bad.stdout + bad.stderr
    with pytest.raises(ValueError, match="unknown target 'fig9'"):
        wf.plan("smoke", ["fig9"])


def test_unknown_resource_key_names_the_table(tmp_path):
    cfg = {"resources": {"md": {"runtime": 5, "walltime": 3}}}
    with pytest.raises(ValueError, match=r"resources\.md\] has unknown keys \['walltime'\]"):
        wf._resources(cfg, "md", "main", "paper", "config.toml")
    res = wf._resources(
        {"resources": {"md": {"tasks": 8}, "main": {"runtime": 9}}}, "md", "main", "paper", "x"
    )
    assert (res["tasks"], res["runtime"], res["mem_mb"]) == (8, 9, wf.DEFAULT_RESOURCES["mem_mb"])


def _numbers(out: Path, target: str) -> dict:
    nums = json.loads((out / target / "numbers.json").read_text())
    return {k: v for k, v in nums.items() if "wall" not in k}


def _markers(out: Path, target: str) -> dict[str, int]:
    return {p.stem: p.stat().st_mtime_ns for p in (out / target / "work" / "parts").glob("*.json")}


def _assert_not_recomputed(out: Path, before: dict, after: dict, in_flight: int) -> None:
    """Units finished before the kill are not run again, except the jobs in flight at the
    kill (their marker written, their completion not yet registered by Snakemake), which
    read their relaxation back from work/ instead of computing it."""
    again = [k for k in before if after[k] != before[k]]
    assert len(again) <= in_flight, again
    for k in again:
        notes = json.loads((out / "fig3" / "work" / "parts" / f"{k}.json").read_text())["notes"]
        assert any("read back" in n for n in notes), notes


@pytest.mark.slow
def test_local_run_then_a_killed_run_resumes_to_the_same_numbers(paper_mirror, tmp_path):
    """Fig. 3 at smoke scale (ten GB units, the gathering run, verify) on this machine; then
    the same workflow killed after three units, and rerun: the finished units are not run
    again, and the numbers equal the uninterrupted run's."""
    local = str(REPO / "reproduce" / "profiles" / "local")
    cfg = ["--config", "scale=smoke", "targets=fig3", "engine=ase"]
    _snakemake(tmp_path, "--profile", local, "--cores", "2", *cfg, "out=full")
    full = tmp_path / "full"
    assert len(_markers(full, "fig3")) == 10
    assert (full / ".workflow" / "verify-smoke.status").read_text().strip() == "0"
    assert (full / "report.md").is_file()
    reference = _numbers(full, "fig3")

    cmd = [SNAKEMAKE, "-s", str(SNAKEFILE), "--profile", local, "--cores", "1", *cfg, "out=cut"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    cut = tmp_path / "cut"
    t0 = time.time()
    while len(_markers(cut, "fig3")) < 3 and time.time() - t0 < 300 and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the workflow and its running job, mid-run
    proc.wait()
    before = _markers(cut, "fig3")
    assert 3 <= len(before) < 10
    # a hard kill leaves Snakemake's lock on the working directory: --unlock, as a user does
    _snakemake(tmp_path, "--unlock", *cfg, "out=cut")
    _snakemake(tmp_path, "--profile", local, "--cores", "2", *cfg, "out=cut")
    after = _markers(cut, "fig3")
    assert len(after) == 10
    _assert_not_recomputed(cut, before, after, in_flight=1)
    assert _numbers(cut, "fig3") == reference


def test_a_job_runs_inside_the_image(paper_mirror, tmp_path):
    """`--sdm apptainer` with the image from the workflow setting: Snakemake wraps the job in
    `apptainer exec ... IMAGE`; a stand-in apptainer records its arguments and runs the job."""
    fake = tmp_path / "bin" / "apptainer"
    fake.parent.mkdir()
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'if [ "$1" = "--version" ]; then echo "apptainer version 1.3.4"; exit 0; fi\n'
        f'printf "%s\\n" "$@" > {tmp_path}/apptainer-args.txt\n'
        'while [ $# -gt 0 ] && [[ "$1" != *.sif ]]; do shift; done; shift\n'
        'exec "$@"\n'
    )
    fake.chmod(0o755)
    image = tmp_path / "bzs-repro-cpu.sif"
    image.write_text("stand-in")
    unit = "out/fig3/work/parts/gb-sigma31.json"
    _snakemake(
        tmp_path,
        "--cores",
        "1",
        "--sdm",
        "apptainer",
        "--apptainer-args=--nv",
        unit,
        "--config",
        "scale=smoke",
        "targets=fig3",
        "engine=ase",
        "out=out",
        f"image={image}",
        env={"PATH": f"{fake.parent}:{Path(sys.executable).parent}:{os.environ['PATH']}"},
    )
    args = (tmp_path / "apptainer-args.txt").read_text().splitlines()
    assert args[0] == "exec"
    assert "--nv" in args
    assert str(image) in args
    assert any("--part gb-sigma31" in a for a in args)
    assert (tmp_path / unit).is_file()


def _slurm_up() -> bool:
    if os.environ.get("BZS_REPRO_SLURM", "").lower() not in ("1", "true", "yes"):
        return False
    try:
        return (
            subprocess.run(["sinfo", "-h"], capture_output=True, timeout=10, check=False).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.slurm
@pytest.mark.skipif(
    not _slurm_up(), reason="no local Slurm (tests/slurm/local-slurm.sh start; BZS_REPRO_SLURM=1)"
)
def test_through_slurm_killed_and_resumed(paper_mirror, tmp_path):
    """Fig. 3 at smoke scale through the Slurm executor plugin (profile reproduce/profiles/slurm,
    job states by squeue: no accounting database): killed after three units, rerun; every unit
    ran as a Slurm job, finished units were not submitted again, verify passes."""
    slurm = str(REPO / "reproduce" / "profiles" / "slurm")
    cfg = ["--config", "scale=smoke", "targets=fig3", "engine=ase", "out=out"]
    opts = ["--profile", slurm, "--slurm-init-seconds-before-status-checks", "2"]
    cmd = [SNAKEMAKE, "-s", str(SNAKEFILE), *opts, *cfg]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    out = tmp_path / "out"
    t0 = time.time()
    while len(_markers(out, "fig3")) < 3 and time.time() - t0 < 600 and proc.poll() is None:
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)  # as Ctrl-C: the plugin cancels its queued Slurm jobs
    proc.wait(timeout=120)
    # Snakemake removes the outputs of jobs it had not yet seen finish (the marker of a job
    # that ended within the last status interval goes with them): what stays is finished
    before = _markers(out, "fig3")
    assert 1 <= len(before) < 10
    res = _snakemake(tmp_path, *opts, *cfg)
    log = res.stdout + res.stderr
    after = _markers(out, "fig3")
    assert len(after) == 10
    _assert_not_recomputed(out, before, after, in_flight=2)  # two cores: two jobs at a time
    again = sum(after[k] != before[k] for k in before)
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", log)
    assert len(submitted) == 10 - len(before) + again + 2  # the other units, fig3, verify
    assert (out / ".workflow" / "verify-smoke.status").read_text().strip() == "0"
    states = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%i|%T", "--jobs", ",".join(submitted)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(states) == len(submitted)
    assert all(s.endswith("|COMPLETED") for s in states)
