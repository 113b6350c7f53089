"""The command line and the project metadata (CITATION.cff)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bzs_repro.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_expectations_table_and_json(capsys):
    assert main(["expectations"]) == 0
    table = capsys.readouterr().out
    assert "fig2.density_g_cm3" in table
    assert "3.94 ± 0.05" in table
    assert main(["expectations", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_id = {r["id"]: r for r in rows}
    assert by_id["fig1.rmse_energy_low_energy_meV_atom"]["value"] == 13.9
    assert by_id["fig1.rmse_energy_full_meV_atom"]["unit"] == "meV/atom"


def test_fetch_from_the_mirror(paper_mirror, capsys):
    assert main(["fetch", "ace-low-energy", "gb-sgm31"]) == 0
    out = capsys.readouterr().out
    assert str(paper_mirror / "potential" / "ACE-low-energy-struct.yaml") in out


def test_fetch_offline_without_mirror_is_one_clear_error(tmp_path, monkeypatch, capsys):
    from bzs_repro.data.registry import default_registry

    monkeypatch.setenv("BZS_REPRO_DATA_MIRROR", str(tmp_path / "no-mirror"))
    monkeypatch.setenv("BZS_REPRO_CACHE", str(tmp_path / "cache"))
    default_registry.cache_clear()
    try:
        # an unroutable URL template keeps this test offline whatever the network
        reg = default_registry()
        for name, art in list(reg.artifacts.items()):
            reg.artifacts[name] = art.__class__(**{**art.__dict__, "url": "http://127.0.0.1:9/x"})
        assert main(["fetch", "amorphous-model-alt"]) == 1
    finally:
        default_registry.cache_clear()
    err = capsys.readouterr().err
    assert "amorphous-model-alt" in err
    assert "http://127.0.0.1:9/x" in err
    assert "BZS_REPRO_DATA_MIRROR" in err


def test_unknown_target_is_rejected(capsys):
    assert main(["run", "fig99", "--data", "paper"]) == 2
    assert "unknown target 'fig99'" in capsys.readouterr().err


def test_console_script_help():
    out = subprocess.run(
        [sys.executable, "-m", "bzs_repro.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for cmd in ("run", "verify", "fetch", "expectations", "build"):
        assert cmd in out


def test_citation_cff_is_valid():
    cffconvert = pytest.importorskip("cffconvert")
    text = (REPO / "CITATION.cff").read_text()
    cffconvert.Citation(text).validate()  # raises on a schema violation
    assert "preferred-citation:" in text
    assert "10.1039/d5ta04536c" in text
    with pytest.raises(Exception, match="dooi"):
        cffconvert.Citation(text.replace("doi:", "dooi:")).validate()
