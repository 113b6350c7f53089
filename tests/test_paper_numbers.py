"""The paper's printed numbers live in data/expectations.toml only: the pipelines quote them from
there (notes, tables, figure captions), never from a second copy."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bzs_repro.data.expectations import load_expectations, paper_value

PIPELINES = Path(__file__).resolve().parents[1] / "src" / "bzs_repro" / "pipelines"


def test_paper_value_reads_the_expectations():
    assert paper_value("fig2.density_g_cm3") == 3.94
    assert paper_value("fig2.zrs_bond_mean_A:exafs") == 2.593
    with pytest.raises(KeyError, match=r"no expectation 'fig9\.x'"):
        paper_value("fig9.x")


def _code_literals(path: Path) -> list[str]:
    """The string and number literals of a module's code, without its docstrings (which may
    say what is compared with what) and comments."""
    tree = ast.parse(path.read_text())
    docs = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            docs.add(id(first.value))
    return [
        str(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and id(n) not in docs and isinstance(n.value, str | float)
    ]


def test_no_paper_number_is_written_in_a_pipeline():
    """Every single-valued paper or experiment number of the expectations, searched as a literal
    in the pipelines' code (decimal numbers with a point: 3.94, 0.925, 2.575, 5.87 ...)."""
    values = {
        e.value
        for e in load_expectations()
        if e.kind in ("paper", "experiment") and e.value is not None and e.value != int(e.value)
    }
    found = []
    for path in PIPELINES.glob("*.py"):
        code = "\n".join(_code_literals(path))
        for v in values:
            if re.search(rf"(?<![\d.]){re.escape(repr(float(v)))}(?![\d])", code):
                found.append(f"{path.name}: {v}")
    assert found == []
