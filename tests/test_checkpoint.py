"""Checkpoints: one atomic unit, a damaged one falls back to the previous, and a killed and
resumed NPT run (SIGKILL, real processes) ends bit-for-bit where an uninterrupted one ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk

from bzs_repro.engines import checkpoint

SCRIPT = r"""
import sys
from pathlib import Path
import numpy as np
from ase.build import bulk
from ase.calculators.lj import LennardJones
from bzs_repro.engines.ase_engine import run_md
from bzs_repro.protocols import MDProtocol, MDStage

wd = Path(sys.argv[1])
atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
stages = (MDStage("heat", "npt", 1.2, 40.0, 80.0), MDStage("hold", "nvt", 0.8, 80.0))
proto = MDProtocol(stages, dt_fs=4.0, tdamp_fs=100.0, pdamp_fs=500.0, seed=3, thermo_every=10,
                   checkpoint_every=20, initial_T_K=40.0, barostat="iso")
res = run_md(atoms, calc, proto, workdir=wd, progress=False, trajectory_every=50)
np.save(wd / "final.npy", np.hstack([res.atoms.positions, res.atoms.get_momenta()]))
np.save(wd / "cell.npy", res.atoms.cell.array)
"""


def _start(wd: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(wd)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _step(wd: Path) -> int:
    try:
        return json.loads((wd / "checkpoint.ckpt" / "state.json").read_text())["step"]
    except (OSError, ValueError, KeyError):
        return -1


def _finish(wd: Path) -> None:
    proc = _start(wd)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]


@pytest.mark.slow
def test_sigkilled_runs_resume_to_the_uninterrupted_result(tmp_path):
    ref = tmp_path / "ref"
    _finish(ref)
    killed = tmp_path / "killed"
    rng = np.random.default_rng(0)
    steps = []
    for _ in range(4):  # each time: wait for a new checkpoint, then SIGKILL at a random moment
        before = _step(killed)
        proc = _start(killed)
        while proc.poll() is None and _step(killed) == before:
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0.0, 0.3)))
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        steps.append(_step(killed))
    _finish(killed)
    assert len(steps) >= 3, steps  # killed mid-run three times or more
    assert steps == sorted(steps), steps  # progress kept
    assert np.array_equal(np.load(ref / "final.npy"), np.load(killed / "final.npy"))
    assert np.array_equal(np.load(ref / "cell.npy"), np.load(killed / "cell.npy"))
    # the trajectory holds each frame once (frames after a checkpoint are rewritten, not doubled)
    assert (ref / "trajectory.extxyz").read_bytes() == (killed / "trajectory.extxyz").read_bytes()


def test_checkpoint_is_one_unit_and_a_damaged_one_falls_back(tmp_path, caplog):
    atoms = bulk("Zr", "hcp", a=3.2).repeat((2, 2, 2))
    atoms.set_momenta(np.random.default_rng(1).normal(size=(len(atoms), 3)))
    checkpoint.save(tmp_path, atoms, {"fingerprint": "f", "step": 10})
    atoms2 = atoms.copy()
    atoms2.positions += 0.1
    ck = checkpoint.save(tmp_path, atoms2, {"fingerprint": "f", "step": 20})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.ckpt", "checkpoint.ckpt.prev"]
    got, state = checkpoint.load(tmp_path, "f", len(atoms))
    assert state["step"] == 20
    assert np.array_equal(got.positions, atoms2.positions)  # binary: exact
    assert np.array_equal(got.get_momenta(), atoms.get_momenta())
    # damage the newest: reported, and the previous one is used
    data = bytearray((ck / "arrays.npz").read_bytes())
    data[-40] ^= 0xFF
    (ck / "arrays.npz").write_bytes(bytes(data))
    got, state = checkpoint.load(tmp_path, "f", len(atoms))
    assert state["step"] == 10
    assert np.array_equal(got.positions, atoms.positions)
    assert "failed its check" in caplog.text
    # another protocol: ignored
    assert checkpoint.load(tmp_path, "other", len(atoms)) is None


def test_interrupted_save_leaves_the_previous_checkpoint(tmp_path):
    atoms = bulk("Zr", "hcp", a=3.2)
    checkpoint.save(tmp_path, atoms, {"fingerprint": "f", "step": 5})
    # a kill after the current one was moved aside and before the new one was renamed in
    (tmp_path / "checkpoint.ckpt").rename(tmp_path / "checkpoint.ckpt.prev")
    (tmp_path / ".checkpoint.ckpt.tmp-1-x").mkdir()
    _, state = checkpoint.load(tmp_path, "f", len(atoms))
    assert state["step"] == 5
    checkpoint.save(tmp_path, atoms, {"fingerprint": "f", "step": 6})
    assert not list(tmp_path.glob(".checkpoint.ckpt.tmp-*"))
    assert json.loads((tmp_path / "checkpoint.ckpt" / "state.json").read_text())["step"] == 6


def test_resume_at_a_stage_boundary_is_bit_identical(tmp_path):
    """A checkpoint exactly at the end of a stage: the next stage starts with fresh thermostat
    and barostat chains on resume, as it does uninterrupted (NPT heat, then NPT hold)."""
    from ase.calculators.lj import LennardJones
    from conftest import rewind_checkpoint

    from bzs_repro.engines.ase_engine import run_md
    from bzs_repro.protocols import MDProtocol, MDStage

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    stages = (MDStage("heat", "npt", 0.16, 40.0, 80.0), MDStage("hold", "npt", 0.16, 80.0))
    proto = MDProtocol(
        stages,
        dt_fs=4.0,
        tdamp_fs=100.0,
        pdamp_fs=500.0,
        seed=3,
        thermo_every=10,
        checkpoint_every=40,
        initial_T_K=40.0,
        barostat="iso",
    )
    ref = run_md(atoms, calc, proto, progress=False)
    wd = tmp_path / "wd"
    run_md(atoms, calc, proto, workdir=wd, progress=False)
    # back to the checkpoint at step 40 = end of "heat"
    assert rewind_checkpoint(wd) == (80, 40)
    again = run_md(atoms, calc, proto, workdir=wd, progress=False)
    assert again.resumed_from_step == 40
    assert np.array_equal(again.atoms.positions, ref.atoms.positions)
    assert np.array_equal(again.atoms.cell.array, ref.atoms.cell.array)
