"""Compare a results folder with the stored expectations and write report.md / report.html.

Statuses, one row per expectation:
- PASS / FAIL: the row applies to the run's data mode and scale, and the number is (not)
  within the tolerance or bounds;
- OTHER SCALE: a paper number reproduced at a smaller scale: shown side by side, never PASS;
- SURROGATE: a number from the surrogate data mode beside a paper value: shown, never compared;
- DISAGREES: a FAIL that the expectation documents as a disagreement within the paper's own
  sources (its ``discrepancy`` field says which); shown loudly, it does not fail the run;
- NOT RUN: the target was not run, failed, or did not produce the number.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path

from bzs_repro.data.expectations import Expectation, load_expectations
from bzs_repro.results import atomic_write_text

STATUSES = ("PASS", "FAIL", "DISAGREES", "OTHER SCALE", "SURROGATE", "NOT RUN")


@dataclass(frozen=True)
class Row:
    exp: Expectation
    status: str
    value: float | None
    scale: str
    data: str
    detail: str = ""


def _load_target(results: Path, target: str) -> tuple[dict, dict, str]:
    d = results / target
    numbers, prov, error = {}, {}, ""
    if (d / "numbers.json").is_file():
        numbers = json.loads((d / "numbers.json").read_text())
    if (d / "provenance.json").is_file():
        prov = json.loads((d / "provenance.json").read_text())
    if (d / "error.txt").is_file():
        lines = (d / "error.txt").read_text().strip().splitlines()
        error = lines[-1] if lines else "failed"
    return numbers, prov, error


def evaluate(results: Path, expectations: list[Expectation] | None = None) -> list[Row]:
    """One :class:`Row` per expectation for the results folder ``results``."""
    results = Path(results)
    expectations = expectations if expectations is not None else load_expectations()
    cache: dict[str, tuple[dict, dict, str]] = {}
    rows = []
    for exp in expectations:
        if exp.target not in cache:
            cache[exp.target] = _load_target(results, exp.target)
        numbers, prov, error = cache[exp.target]
        scale, data = prov.get("scale", "-"), prov.get("data", "-")
        value = numbers.get(exp.key)
        if not prov or exp.key not in numbers:
            why = error or ("target not run" if not prov else "number not produced")
            if prov and data not in exp.data:
                why = f"applies to data mode {'/'.join(exp.data)}, the run was {data}"
            rows.append(Row(exp, "NOT RUN", None, scale, data, why))
        elif data not in exp.data:
            if data == "surrogate":
                rows.append(Row(exp, "SURROGATE", value, scale, data,
                                "surrogate-mode number: not the paper's quantity, not compared"))  # fmt: skip
            else:
                rows.append(Row(exp, "NOT RUN", value, scale, data,
                                f"applies to data mode {'/'.join(exp.data)}"))  # fmt: skip
        elif scale not in exp.scales:
            rows.append(Row(exp, "OTHER SCALE", value, scale, data,
                            f"compared at scale {'/'.join(exp.scales)} only"))  # fmt: skip
        elif value is None or (isinstance(value, float) and not math.isfinite(value)):
            rows.append(Row(exp, "FAIL", None, scale, data, "the run produced no finite value"))
        else:
            if exp.check(value):
                rows.append(Row(exp, "PASS", value, scale, data))
            elif exp.discrepancy:
                rows.append(Row(exp, "DISAGREES", value, scale, data, exp.discrepancy))
            else:
                rows.append(Row(exp, "FAIL", value, scale, data))
    return rows


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.4g}" if abs(x) < 1e4 else f"{x:.6g}"


def summary(rows: list[Row]) -> dict[str, int]:
    return {s: sum(r.status == s for r in rows) for s in STATUSES}


def _figures(results: Path) -> list[Path]:
    return sorted(results.glob("*/figures/*.png"))


def _targets_run(results: Path) -> list[dict]:
    out = []
    for prov_file in sorted(results.glob("*/provenance.json")):
        prov = json.loads(prov_file.read_text())
        out.append({k: prov.get(k, "-") for k in
                    ("target", "scale", "data", "data_reason", "engine", "wall_time_s",
                     "git_commit", "failed", "notes")})  # fmt: skip
    return out


def write_markdown(results: Path, rows: list[Row]) -> Path:
    s = summary(rows)
    lines = [
        "# bzs-repro verification report",
        "",
        "Paşca et al., J. Mater. Chem. A 2025, DOI 10.1039/d5ta04536c.",
        "",
        "**Summary:** " + ", ".join(f"{k}: {v}" for k, v in s.items()),
        "",
    ]
    runs = _targets_run(results)
    if any(r["data"] == "surrogate" for r in runs):
        lines += [
            (
                "> **SURROGATE DATA MODE.** Some targets ran on this project's surrogate (a "
                "CHGNet-labelled re-enactment of the paper's workflow). Their numbers are NOT the "
                "paper's and are never compared with the paper's values."
            ),
            "",
        ]
    lines += ["## Runs", "", "| target | scale | data mode | engine | wall time (s) | status |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for r in runs:
        status = f"FAILED: {r['failed']}" if r.get("failed") not in (None, "-") else "ok"
        lines.append(f"| {r['target']} | {r['scale']} | {r['data']} | {r['engine']} | "
                     f"{r['wall_time_s']} | {status} |")  # fmt: skip
    for r in runs:
        if r["data_reason"] not in ("-", ""):
            lines.append(f"\n- {r['target']}: data mode {r['data']}: {r['data_reason']}")
        for n in r.get("notes") or []:
            lines.append(f"- {r['target']}: {n}")
    lines += ["", "## Numbers", "",
              "| id | quantity | unit | paper / expected | reproduced | scale | data | status | source | note |",
              "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        e = r.exp
        note = "; ".join(x for x in (r.detail, e.note) if x)
        lines.append(
            f"| `{e.id}` | {e.quantity} | {e.unit} | {e.expected_text()} | {_fmt(r.value)} | "
            f"{r.scale} | {r.data} | **{r.status}** | {e.source} | {note} |"
        )
    figs = _figures(results)
    if figs:
        lines += ["", "## Figures", ""]
        for f in figs:
            rel = f.relative_to(results)
            lines += [f"### {rel.parent.parent.name}: {f.stem}", "", f"![{f.stem}]({rel})", ""]
    path = results / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}
table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;padding:3px 6px}
.PASS{background:#d4f7d4}.FAIL{background:#f7d4d4}.DISAGREES{background:#f7e0c8}.SURROGATE{background:#fde9b3}
.OTHER-SCALE{background:#dde6f7}.NOT-RUN{background:#eee}.banner{background:#fde9b3;
padding:1em;border:2px solid #c90;font-weight:bold}img{max-width:900px;display:block}"""


def write_html(results: Path, rows: list[Row]) -> Path:
    esc = html.escape
    s = summary(rows)
    out = [(f"<!doctype html><html><head><meta charset='utf-8'><title>bzs-repro report</title>"
           f"<style>{_CSS}</style></head><body>"),
           "<h1>bzs-repro verification report</h1>",
           "<p>Paşca et al., J. Mater. Chem. A 2025, DOI 10.1039/d5ta04536c.</p>",
           "<p><b>Summary:</b> " + esc(", ".join(f"{k}: {v}" for k, v in s.items())) + "</p>"]  # fmt: skip
    runs = _targets_run(results)
    if any(r["data"] == "surrogate" for r in runs):
        out.append("<p class='banner'>SURROGATE DATA MODE in some targets: their numbers are "
                   "this project's re-enactment, NOT the paper's, and are never compared with "
                   "the paper's values.</p>")  # fmt: skip
    out.append(
        "<h2>Runs</h2><table><tr><th>target</th><th>scale</th><th>data</th>"
        "<th>engine</th><th>wall time (s)</th><th>data mode reason</th><th>notes</th></tr>"
    )
    for r in runs:
        notes = "<br>".join(esc(n) for n in (r.get("notes") or []))
        if r.get("failed") not in (None, "-"):
            notes = f"<b>FAILED: {esc(str(r['failed']))}</b><br>" + notes
        out.append(f"<tr><td>{esc(str(r['target']))}</td><td>{esc(str(r['scale']))}</td>"
                   f"<td>{esc(str(r['data']))}</td><td>{esc(str(r['engine']))}</td>"
                   f"<td>{esc(str(r['wall_time_s']))}</td><td>{esc(str(r['data_reason']))}</td>"
                   f"<td>{notes}</td></tr>")  # fmt: skip
    out.append("</table><h2>Numbers</h2><table><tr><th>id</th><th>quantity</th><th>unit</th>"
               "<th>paper / expected</th><th>reproduced</th><th>scale</th><th>data</th>"
               "<th>status</th><th>source</th><th>tolerance justification</th><th>note</th></tr>")  # fmt: skip
    for r in rows:
        e = r.exp
        note = "; ".join(x for x in (r.detail, e.note) if x)
        cls = r.status.replace(" ", "-")
        out.append(
            f"<tr class='{cls}'><td><code>{esc(e.id)}</code></td><td>{esc(e.quantity)}</td>"
            f"<td>{esc(e.unit)}</td><td>{esc(e.expected_text())}</td><td>{_fmt(r.value)}</td>"
            f"<td>{esc(r.scale)}</td><td>{esc(r.data)}</td><td><b>{r.status}</b></td>"
            f"<td>{esc(e.source)}</td><td>{esc(e.justification)}</td><td>{esc(note)}</td></tr>"
        )
    out.append("</table>")
    figs = _figures(results)
    if figs:
        out.append("<h2>Figures</h2>")
        for f in figs:
            rel = f.relative_to(results)
            out.append(f"<h3>{esc(rel.parent.parent.name)}: {esc(f.stem)}</h3>"
                       f"<img src='{esc(str(rel))}' alt='{esc(f.stem)}'>")  # fmt: skip
    out.append("</body></html>")
    path = results / "report.html"
    atomic_write_text(path, "\n".join(out) + "\n")
    return path


def verify(results: Path, expectations_file: Path | None = None) -> tuple[list[Row], int]:
    """Write report.md and report.html into ``results``; return rows and the exit status
    (1 if any row FAILs, else 0)."""
    results = Path(results)
    if not results.is_dir():
        msg = f"results folder {results} does not exist"
        raise FileNotFoundError(msg)
    rows = evaluate(results, load_expectations(expectations_file) if expectations_file else None)
    write_markdown(results, rows)
    write_html(results, rows)
    return rows, int(any(r.status == "FAIL" for r in rows))
