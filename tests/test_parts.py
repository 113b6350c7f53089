"""Units of work (``run --part``): each runs alone into the shared work/ folder, leaves a
marker, never runs beside the target's own run, and the target's run reuses what they finished
instead of computing it again (bit for bit)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from bzs_repro.cli import main
from bzs_repro.results import ResultsInUse, RunSettings, TargetRun, part_marker, target_lock
from bzs_repro.targets import load_target, run_target

# A toy target of two units; each unit's result is a file in work/, and every computation is
# counted in a log beside it, so that a test sees what was computed and what was reused.
RUNNER = """
import os
from pathlib import Path

def parts(cfg):
    return {name: "md" for name in cfg["units"]}

def _unit(run, name):
    out = run.work_dir / f"{name}.result"
    if not out.is_file():
        with (run.work_dir.parent / "computed.log").open("a") as fh:
            fh.write(name + "\\n")
        if os.environ.get("TOY_FAIL") == name:
            raise RuntimeError(f"unit {name} blew up")
        out.write_text(str(len(name) * 1.5))
    return float(out.read_text())

def run_part(run, cfg, part):
    _unit(run, part)

def run(run, cfg):
    run.record("toy.total", sum(_unit(run, n) for n in cfg["units"]))
"""
CONFIG = """target = "toy"
title = "toy target of two units"
runner = "toy_parts_runner:run"
[common]
units = ["alpha", "beta-2"]
[scales.smoke]
"""


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toy_parts_runner.py").write_text(RUNNER)
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = tmp_path / "reproduce" / "toy" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(CONFIG)
    return load_target(cfg), RunSettings("smoke", "paper", "ase", tmp_path / "out")


def _computed(settings) -> list[str]:
    log = settings.out / "toy" / "work" / "computed.log"
    return log.read_text().split() if log.is_file() else []


def test_units_then_the_target_reuses_them(toy):
    target, settings = toy
    assert target.parts("smoke") == {"alpha": "md", "beta-2": "md"}
    for part in ("alpha", "beta-2"):
        run_target(target, settings, part=part)
        marker = json.loads(part_marker(settings.out, "toy", part).read_text())
        assert (marker["part"], marker["data"], marker["engine"]) == (part, "paper", "ase")
    assert _computed(settings) == ["alpha", "beta-2"]
    assert not (settings.out / "toy" / "numbers.json").exists()  # units publish nothing
    run_target(target, settings)  # the gathering run
    assert _computed(settings) == ["alpha", "beta-2"]  # nothing computed twice
    nums = json.loads((settings.out / "toy" / "numbers.json").read_text())
    assert nums == {"toy.total": 1.5 * 5 + 1.5 * 6}
    # the markers survive the target's publish (they live in work/)
    assert part_marker(settings.out, "toy", "alpha").is_file()


def test_a_failed_unit_leaves_its_error_and_no_marker(toy, monkeypatch):
    target, settings = toy
    monkeypatch.setenv("TOY_FAIL", "alpha")
    with pytest.raises(RuntimeError, match="blew up"):
        run_target(target, settings, part="alpha")
    marker = part_marker(settings.out, "toy", "alpha")
    assert not marker.exists()
    assert "blew up" in marker.with_suffix(".error.txt").read_text()
    assert not list(marker.parent.glob(".alpha.staging-*"))
    monkeypatch.delenv("TOY_FAIL")
    run_target(target, settings, part="alpha")
    assert marker.is_file()


def test_units_exclude_the_target_run_and_each_other_but_not_other_units(toy):
    target, settings = toy
    with target_lock(settings.out, "toy"), pytest.raises(ResultsInUse):
        run_target(target, settings, part="alpha")  # the target's own run holds its results
    with target_lock(settings.out, "toy", shared=True):  # a unit is running
        with pytest.raises(ResultsInUse):
            run_target(target, settings)  # ... so the gathering run must wait
        with target_lock(settings.out, "toy.part-alpha"), pytest.raises(ResultsInUse):
            run_target(target, settings, part="alpha")  # the same unit twice
        done = []  # another unit of the same target runs beside it (another thread)
        t = threading.Thread(
            target=lambda: done.append(run_target(target, settings, part="beta-2"))
        )
        t.start()
        t.join()
        assert done
        assert part_marker(settings.out, "toy", "beta-2").is_file()


def test_unknown_unit_is_one_line_and_exit_2(capsys):
    assert main(["run", "fig2", "--part", "s3-1e99"]) == 2
    err = capsys.readouterr().err
    assert "no unit 's3-1e99'" in err
    assert "main" in err
    assert main(["run", "all", "--part", "main"]) == 2
    assert main(["run", "fig1", "--part", "x"]) == 2  # fig1 is one unit
    assert "none: it runs as one unit" in capsys.readouterr().err


def test_work_folder_is_per_data_mode_and_engine(tmp_path):
    runs = [
        TargetRun("toy", RunSettings("smoke", data, engine, tmp_path))
        for data, engine in (("paper", "ase"), ("surrogate", "ase"), ("paper", "lammps"))
    ]
    folders = {r.work_dir for r in runs}
    assert len(folders) == 3  # a surrogate run never resumes a paper-mode checkpoint
    assert {f.name for f in folders} == {"paper-ase", "surrogate-ase", "paper-lammps"}


def test_parts_of_the_paper_targets_follow_their_configs(capsys):
    assert main(["parts", "all", "--scale", "paper", "--json"]) == 0
    units = json.loads(capsys.readouterr().out)
    # fig2: the crystal's NPT, the main 1e13 run, Table S3's three other rates, S4's start
    assert list(units["fig2"]) == [
        "crystal-npt",
        "main",
        "s3-1e12",
        "s3-1e14",
        "s3-1e15",
        "s4-random",
    ]
    assert len(units["fig3"]) == 10
    assert "gb-sigma31" in units["fig3"]
    assert list(units["fig4"]) == ["relax-8grains", "relax-50grains", "relax-6grains"]
    assert units["fig1"] == {}
    assert units["figS3"] == {}
    assert main(["parts", "fig2", "--scale", "smoke", "--json"]) == 0
    # smoke: no slower rate (table_s3_rates = []), the random start of S4
    assert list(json.loads(capsys.readouterr().out)["fig2"]) == ["crystal-npt", "main", "s4-random"]


def test_a_cached_relaxation_is_read_back_bit_for_bit(paper_calc, relaxed_crystal, tmp_path):
    """fig3's unit: the relaxation a workflow job did is what the target's run reads."""
    from bzs_repro.engines import get_engine
    from bzs_repro.engines.checkpoint import relax_cached
    from bzs_repro.protocols import Relax

    engine = get_engine("ase")
    start = relaxed_crystal.copy()
    start.calc = None
    start.rattle(0.05, seed=1)
    protocol = Relax(fmax=0.05, max_steps=40, optimizer="FIRE")
    first, state = relax_cached(engine, start, paper_calc, protocol, tmp_path, "cell")
    assert not state["reused"]
    assert first.steps > 0

    class NoRelax:  # a second call must not relax again
        def relax(self, *a, **k):
            raise AssertionError("relaxed twice")

    again, state = relax_cached(NoRelax(), start, paper_calc, protocol, tmp_path, "cell")
    assert state["reused"]
    assert np.array_equal(again.atoms.positions, first.atoms.positions)
    assert np.array_equal(again.atoms.cell.array, first.atoms.cell.array)
    assert (again.energy_eV, again.steps, again.converged) == (
        first.energy_eV,
        first.steps,
        first.converged,
    )
    assert "momenta" not in again.atoms.arrays
    # another protocol (or start) is another relaxation
    _other, state = relax_cached(
        engine, start, paper_calc, Relax(fmax=0.2, max_steps=40, optimizer="FIRE"), tmp_path, "cell"
    )
    assert not state["reused"]


def test_a_finished_md_is_recognised_and_read_back(paper_calc, relaxed_crystal, tmp_path):
    """fig2's unit: a finished melt-quench is read back without its start being rebuilt."""
    from bzs_repro.engines import checkpoint, get_engine
    from bzs_repro.protocols import MDProtocol, MDStage

    engine = get_engine("ase")
    proto = MDProtocol((MDStage("nvt", "nvt", 0.02, 300.0),), dt_fs=1.0, seed=4, thermo_every=10)
    atoms = relaxed_crystal.copy()
    atoms.calc = None
    assert not checkpoint.is_finished(tmp_path, proto, len(atoms))
    res = engine.run_md(atoms, paper_calc, proto, workdir=tmp_path, progress=False)
    assert checkpoint.is_finished(tmp_path, proto, len(atoms))
    longer = MDProtocol((MDStage("nvt", "nvt", 0.04, 300.0),), dt_fs=1.0, seed=4, thermo_every=10)
    assert not checkpoint.is_finished(tmp_path, longer, len(atoms))
    assert not checkpoint.is_finished(tmp_path, proto, len(atoms) + 1)
    again = engine.run_md(atoms, paper_calc, proto, workdir=tmp_path, progress=False)
    assert np.array_equal(again.atoms.positions, res.atoms.positions)
    assert again.thermo == res.thermo
