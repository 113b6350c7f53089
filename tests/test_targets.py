"""Target discovery, the results layout and provenance, failures and data-mode resolution."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from bzs_repro.results import RunSettings
from bzs_repro.targets import discover_targets, load_target, run_target


@pytest.fixture
def toy_target(tmp_path, monkeypatch):
    """A target folder whose runner relaxes nothing but records real numbers of the crystal."""
    mod = tmp_path / "toy_runner.py"
    mod.write_text(
        textwrap.dedent("""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from bzs_repro.measures import density_g_cm3
        from bzs_repro.structures.crystal import bazrs3_pnma
        from bzs_repro.analysis.coordination import bonds

        def run(run, cfg):
            atoms = bazrs3_pnma().repeat(cfg["repeat"])
            run.record("toy.natoms", len(atoms))
            run.record("toy.density_g_cm3", density_g_cm3(atoms))
            run.record("toy.cn_zr_mean", bonds(atoms, "Zr", "S").mean_cn)
            fig, ax = plt.subplots()
            ax.plot([0, 1], [0, 1])
            run.save_figure(fig, "line")
            run.save_structure(atoms, "crystal")
            run.note("toy target")

        def fail(run, cfg):
            run.record("toy.natoms", 1)
            raise RuntimeError("deliberate failure")
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("toy_runner", None)
    folder = tmp_path / "reproduce" / "toy"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(
        textwrap.dedent("""
        target = "toy"
        title = "A toy target"
        runner = "toy_runner:run"
        [common]
        repeat = [1, 1, 1]
        [scales.smoke]
        [scales.reduced]
        repeat = [2, 2, 2]
    """)
    )
    return folder / "config.toml"


def test_run_writes_the_standard_layout(toy_target, tmp_path):
    target = load_target(toy_target)
    settings = RunSettings("reduced", "paper", "ase", tmp_path / "out", "test")
    run_target(target, settings)
    out = tmp_path / "out" / "toy"
    numbers = json.loads((out / "numbers.json").read_text())
    assert numbers["toy.natoms"] == 160  # the reduced tier's repeat (2, 2, 2) x 20 atoms
    assert numbers["toy.cn_zr_mean"] == 6.0
    assert numbers["toy.density_g_cm3"] == pytest.approx(4.355, abs=0.002)
    assert (out / "figures" / "line.png").stat().st_size > 0
    assert (out / "figures" / "line.pdf").stat().st_size > 0
    assert (out / "structures" / "crystal.extxyz").read_text().startswith("160\n")
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["scale"] == "reduced"
    assert prov["data"] == "paper"
    assert prov["engine"] == "ase"
    assert prov["config"]["repeat"] == [2, 2, 2]
    assert "ase" in prov["packages"]
    assert "python-ace" in prov["packages"]
    assert prov["notes"] == ["toy target"]
    assert prov["wall_time_s"] >= 0


def test_failure_leaves_error_and_no_stale_numbers(toy_target, tmp_path):
    text = toy_target.read_text().replace("toy_runner:run", "toy_runner:fail")
    toy_target.write_text(text)
    settings = RunSettings("smoke", "paper", "ase", tmp_path / "out", "test")
    stale = tmp_path / "out" / "toy" / "numbers.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"toy.cn_zr_mean": 6.0}')  # from an earlier run
    with pytest.raises(RuntimeError, match="deliberate"):
        run_target(load_target(toy_target), settings)
    failed = tmp_path / "out" / "toy" / "failed-run"
    assert "deliberate failure" in (failed / "error.txt").read_text()
    assert json.loads((failed / "provenance.json").read_text())["failed"].startswith("RuntimeError")
    # what the failed run computed is kept beside (for inspection), never in place of, the
    # earlier run's numbers, which stay as they were
    assert json.loads((failed / "numbers.json").read_text()) == {"toy.natoms": 1.0}
    assert json.loads(stale.read_text()) == {"toy.cn_zr_mean": 6.0}


def test_config_typos_and_unknown_tiers_are_errors(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text('target = "x"\ntitle = "x"\nrunner = "a:b"\n[scales.huge]\n')
    with pytest.raises(ValueError, match="unknown scale tiers"):
        load_target(bad)
    bad.write_text('target = "x"\ntitle = "x"\nrunnr = "a:b"\n')
    with pytest.raises(ValueError, match="unknown keys"):
        load_target(bad)


def test_missing_tier_is_named(toy_target):
    with pytest.raises(KeyError, match=r"no \[scales.paper\]"):
        load_target(toy_target).config("paper")


def test_project_targets_have_runners_and_smoke_tier():
    for name, target in discover_targets().items():
        assert callable(target.load_runner()), name
        assert "smoke" in target.raw["scales"], name


def test_auto_data_mode_prefers_the_paper_mirror(paper_mirror):
    from bzs_repro.potential import resolve_data_mode

    mode, reason = resolve_data_mode("auto")
    assert mode == "paper"
    assert str(paper_mirror) in reason
