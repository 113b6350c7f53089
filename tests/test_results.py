"""The results folder: a failed rerun never changes a good result, runs are locked, a publish
cut by a kill is completed, files get the user's umask."""

from __future__ import annotations

import json
import os
import stat

import pytest

from bzs_repro.cli import main
from bzs_repro.results import FAILED_RUN, ResultsInUse, RunSettings, TargetRun, recover, target_lock
from bzs_repro.targets import load_target, run_target
from bzs_repro.verify import EXIT_INCOMPLETE, EXIT_OK, verify

RUNNER = """
import os
def run(run, cfg):
    run.record("toy.value", cfg["value"])
    run.skipped([], "")
    (run.dir / "figures" / "toy.png").write_bytes(b"png")
    if os.environ.get("TOY_FAIL"):
        raise RuntimeError("the mirror was tampered with")
"""
CONFIG = """target = "toy"
title = "toy target"
runner = "toy_runner:run"
[common]
value = 1.5
seed = 3
[scales.smoke]
"""
EXP = """[[expectation]]
id = "toy.value"
quantity = "q"
unit = "1"
kind = "bound"
min = 1.0
max = 2.0
justification = "test"
source = "test"
data = ["paper"]
scales = ["smoke"]
"""


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toy_runner.py").write_text(RUNNER)
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = tmp_path / "reproduce" / "toy" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(CONFIG)
    (tmp_path / "exp.toml").write_text(EXP)
    return (
        load_target(cfg),
        RunSettings("smoke", "paper", "ase", tmp_path / "out"),
        tmp_path / "exp.toml",
    )


def test_failed_rerun_leaves_the_good_results_and_adds_its_error(toy, monkeypatch):
    target, settings, exp = toy
    run_target(target, settings)
    d = settings.out / "toy"
    good = (d / "numbers.json").read_text()
    assert verify(settings.out, exp)[1] == EXIT_OK
    monkeypatch.setenv("TOY_FAIL", "1")
    with pytest.raises(RuntimeError, match="tampered"):
        run_target(target, settings)
    assert (d / "numbers.json").read_text() == good  # untouched
    assert "tampered" in (d / FAILED_RUN / "error.txt").read_text()
    assert json.loads((d / FAILED_RUN / "provenance.json").read_text())["failed"].startswith(
        "RuntimeError"
    )
    rows, status = verify(settings.out, exp)
    assert status == EXIT_INCOMPLETE
    assert "latest rerun failed" in rows[0].detail
    assert not list(settings.out.glob(".toy.staging-*"))
    monkeypatch.delenv("TOY_FAIL")
    run_target(target, settings)
    assert not (d / FAILED_RUN).exists()  # a successful run clears the failure
    assert verify(settings.out, exp)[1] == EXIT_OK


def test_work_folder_survives_publishing(toy):
    target, settings, _ = toy
    run_target(target, settings)
    (settings.out / "toy" / "work" / "checkpoint.marker").write_text("x")
    run_target(target, settings)
    assert (settings.out / "toy" / "work" / "checkpoint.marker").read_text() == "x"
    assert (settings.out / "toy" / "figures" / "toy.png").is_file()


def test_a_second_run_into_the_same_results_is_refused_naming_the_pid(toy):
    target, settings, _ = toy
    with (
        target_lock(settings.out, "toy"),
        pytest.raises(ResultsInUse, match=f"in use by PID {os.getpid()}"),
    ):
        run_target(target, settings)
    run_target(target, settings)  # released


def test_publish_cut_by_a_kill_is_completed_on_the_next_run(toy):
    target, settings, _ = toy
    run_target(target, settings)
    d = settings.out / "toy"
    (d / "work" / "ck").write_text("state")
    # killed after the old folder was moved aside, before the new one moved in
    d.rename(settings.out / ".toy.old-1-ab")
    recover(settings.out, "toy")
    assert (d / "numbers.json").is_file()
    assert (d / "work" / "ck").is_file()
    # killed after the new one moved in, before work/ followed
    new = TargetRun("toy", settings)
    new.numbers = {"toy.value": 1.7}
    new._write()
    d.rename(settings.out / ".toy.old-2-cd")
    new.staging_dir.rename(d)
    recover(settings.out, "toy")
    assert json.loads((d / "numbers.json").read_text()) == {"toy.value": 1.7}
    assert (d / "work" / "ck").read_text() == "state"
    assert not list(settings.out.glob(".toy.old-*"))


def test_seed_override_and_umask(toy):
    target, settings, _ = toy
    old = os.umask(0o022)
    try:
        run = run_target(target, settings, seed=11)
    finally:
        os.umask(old)
    assert run.config["seed"] == 11
    mode = stat.S_IMODE((settings.out / "toy" / "numbers.json").stat().st_mode)
    assert mode == 0o644


def test_out_that_is_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["run", "figS3", "--out", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"bzs-repro: error: --out {f} is a file, not a folder"]
