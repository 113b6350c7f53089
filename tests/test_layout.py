"""The layers of docs/architecture.md, read from the code: what each package may import, and the
one engine interface both engines satisfy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "bzs_repro"


def _imports(path: Path) -> set[str]:
    """Every ``bzs_repro...`` module a file imports (top level or inside functions), with the
    imported names as ``module:name``."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bzs_repro"):
            out.add(node.module)
            out.update(f"{node.module}:{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("bzs_repro"))
    return out


def _package(name: str) -> list[Path]:
    return sorted((SRC / name).glob("*.py"))


@pytest.mark.parametrize("package", ["analysis", "structures"])
def test_analysis_and_structures_neither_simulate_nor_choose_a_potential(package):
    for path in _package(package):
        bad = {
            m
            for m in _imports(path)
            if m.startswith(("bzs_repro.engines", "bzs_repro.relaxed", "bzs_repro.pipelines"))
            or m in ("bzs_repro.potential:calculator", "bzs_repro.potential:resolve_data_mode")
        }
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_engines_import_neither_analysis_nor_structures():
    for path in _package("engines"):
        bad = {
            m
            for m in _imports(path)
            if m.startswith(("bzs_repro.analysis", "bzs_repro.structures", "bzs_repro.pipelines"))
        }
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_both_engines_satisfy_the_one_interface():
    from bzs_repro.engines import ENGINES, get_engine
    from bzs_repro.engines.base import Engine, MDResult, RelaxResult, SimulationFailed

    for name in ENGINES:
        engine = get_engine(name)
        assert isinstance(engine, Engine), name
        # the result types and the failure are the interface's, not a copy per engine
        assert engine.SimulationFailed is SimulationFailed
        assert engine.MDResult is MDResult
        assert engine.RelaxResult is RelaxResult


def test_paper_constants_are_defined_once():
    """The amu in g once (measures.AMU_G, CODATA 2018 from ase.units)."""
    hits = [
        p
        for p in SRC.rglob("*.py")
        if "1.66053906660e-24" in p.read_text() or "1.6605390666e-24" in p.read_text()
    ]
    assert hits == []
    from ase.units import create_units

    from bzs_repro.measures import AMU_G

    assert pytest.approx(1.66053906660e-24, rel=1e-15) == AMU_G
    assert create_units("2018")["_amu"] * 1e3 == AMU_G
