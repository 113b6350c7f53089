"""Compare a results folder with the stored expectations and write report.md / report.html.

Statuses, one row per expectation (data/expectations*.toml):

- PASS / FAIL: the row applies to the run's data mode and scale, and the number is (not)
  within the tolerance or bounds. FAIL also: no finite value where one was due.
- DISAGREES: outside the tolerance, but equal (within its own tolerance) to the value that this
  project pinned for a disagreeing source (``known``, e.g. the authors' published file vs the
  paper's text). Any other value is FAIL: a DISAGREES row can still fail.
- KNOWN LIMIT: as DISAGREES, for a pinned limit of the surrogate (surrogate mode only).
- SURROGATE: a number that comes from the surrogate (surrogate mode, or a row marked
  ``surrogate_derived``): beside a paper value it is shown and never compared; against a bound
  or a recorded value it is checked (outside: FAIL or KNOWN LIMIT), but never shown as PASS.
- EXPERIMENT: compared with an experiment the paper quotes (EXAFS): the difference is shown,
  never PASS/FAIL.
- OTHER SCALE: a number reproduced at another scale than the row's: shown, never compared.
- UNAVAILABLE: the number needs an input this machine lacks (``needs``: public nowhere, as
  the DFT data, or public but not obtainable here, as the authors' zipped polycrystals
  offline), and the run said it did not have it.
- NOT RUN: the row applies to a run in the folder, but the number is missing (a step was
  skipped, e.g. an optional extra is not installed) or the target's run failed.
- N/A: the row does not apply to what is in the folder (target absent, other data mode or
  scale with no number).

Rows of kind ``input`` (properties of input files that their sha256 already fixes) are listed
under "Inputs verified" (VERIFIED / MISMATCH), not in the verdict table.

Exit status (:data:`EXIT_CODES`): 0 when the folder holds at least one run, every applicable
row was computed and nothing FAILs; 1 when any row FAILs (or an input MISMATCHes); 3 when
nothing FAILs but the folder is incomplete (no run, a target failed, an applicable row NOT RUN).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from bzs_repro.data.expectations import Expectation, load_expectations
from bzs_repro.results import FAILED_RUN, atomic_write_text

STATUSES = (
    "PASS",
    "FAIL",
    "DISAGREES",
    "KNOWN LIMIT",
    "SURROGATE",
    "EXPERIMENT",
    "OTHER SCALE",
    "UNAVAILABLE",
    "NOT RUN",
    "N/A",
)
OTHER_ENGINE = "recorded with engine"  # the N/A detail of a row of another engine's run
INPUT_STATUSES = ("VERIFIED", "MISMATCH", "NOT RUN", "N/A")
EXIT_OK, EXIT_FAIL, EXIT_INCOMPLETE = 0, 1, 3
EXIT_CODES = {
    EXIT_OK: "every row that applies to the runs in the folder was computed; none FAILs",
    EXIT_FAIL: "at least one row FAILs (or an input file MISMATCHes its expectation)",
    EXIT_INCOMPLETE: "no FAIL, but incomplete: no run in the folder, a target's run failed, or "
    "an applicable row is NOT RUN",
}
SECTIONS = (
    ("paper", "The paper's numbers"),
    ("experiment", "Experiment the paper compares with"),
    ("bound", "Physical and protocol bounds"),
    ("recorded", "Recorded values of this project (regression checks)"),
)


class ResultsError(ValueError):
    """A results folder holds a malformed file (the message names file and key)."""


@dataclass(frozen=True)
class Row:
    exp: Expectation
    status: str
    value: float | None
    scale: str
    data: str
    detail: str = ""
    applicable: bool = True


@dataclass
class TargetState:
    """What the results folder holds for one target."""

    numbers: dict = field(default_factory=dict)
    prov: dict = field(default_factory=dict)
    failed: str = ""  # why the latest run failed ('' if it did not)
    not_produced: dict = field(default_factory=dict)  # key -> why (from the run)
    unavailable: dict = field(default_factory=dict)  # key -> missing public-nowhere input

    @property
    def ran(self) -> bool:
        return bool(self.prov) or bool(self.failed)


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        msg = f"{path}: not valid JSON (line {err.lineno}: {err.msg})"
        raise ResultsError(msg) from err
    except (OSError, UnicodeDecodeError) as err:
        msg = f"{path}: cannot be read ({err})"
        raise ResultsError(msg) from err


def read_numbers(path: Path) -> dict[str, float | None]:
    """numbers.json: an object of key -> finite number or null (else ResultsError)."""
    raw = _read_json(path)
    if not isinstance(raw, dict):
        msg = f"{path}: must hold a JSON object of numbers, not a {type(raw).__name__}"
        raise ResultsError(msg)
    for key, val in raw.items():
        ok = val is None or (isinstance(val, int | float) and not isinstance(val, bool))
        if not ok or (val is not None and not math.isfinite(val)):
            msg = f"{path}: key {key!r} holds {val!r}, not a finite number or null"
            raise ResultsError(msg)
    return raw


def _read_prov(path: Path) -> dict:
    raw = _read_json(path)
    if not isinstance(raw, dict):
        msg = f"{path}: must hold a JSON object, not a {type(raw).__name__}"
        raise ResultsError(msg)
    return raw


def _error_line(folder: Path) -> str:
    f = folder / "error.txt"
    if not f.is_file():
        return ""
    lines = f.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else "failed"


def load_target(results: Path, target: str) -> TargetState:
    """The target's last good results and, if the latest run failed, why."""
    d = Path(results) / target
    st = TargetState()
    if (d / "provenance.json").is_file():
        st.prov = _read_prov(d / "provenance.json")
        if (d / "numbers.json").is_file():
            st.numbers = read_numbers(d / "numbers.json")
        if st.prov.get("failed") or _error_line(d):  # written before failed runs were staged:
            st.failed = str(st.prov.get("failed") or _error_line(d))  # its numbers are the
            st.prov["_failed_only"] = True  # failed run's: never compared
    fr = d / FAILED_RUN
    if (fr / "provenance.json").is_file() or (fr / "error.txt").is_file():
        prov = _read_prov(fr / "provenance.json") if (fr / "provenance.json").is_file() else {}
        st.failed = str(prov.get("failed") or _error_line(fr) or "failed")
        if not st.prov:  # no earlier good run: the failed run says which mode/scale it was
            st.prov = {k: prov[k] for k in ("scale", "data", "engine") if k in prov}
            st.prov["_failed_only"] = True
    st.not_produced = dict(st.prov.get("not_produced") or {})
    st.unavailable = dict(st.prov.get("unavailable") or {})
    return st


def _experiment_detail(exp: Expectation, value: float) -> str:
    diff = value - exp.value
    return (
        f"this work - experiment = {diff:+.4g} {exp.unit} (experimental value "
        f"{exp.value:g} {exp.tolerance}); shown, not a pass/fail test"
    )


def _checked(exp: Expectation, value: float, data: str, surrogate: bool) -> tuple[str, str]:
    """Status and detail of an applicable row with a finite value."""
    if exp.kind == "experiment":
        return "EXPERIMENT", _experiment_detail(exp, value)
    if exp.kind == "input":
        return ("VERIFIED", "") if exp.check(value) else ("MISMATCH", "input file differs")
    if exp.check(value):
        if surrogate:
            return (
                "SURROGATE",
                "surrogate-derived number: within the project's check, not a paper result",
            )
        return "PASS", ""
    for k in exp.known_for(data):
        if k.matches(value):
            return k.status, f"{k.reason} (pinned {k.value:g} {k.tolerance})"
    pinned = "; ".join(
        f"pinned {k.status} value {k.value:g} {k.tolerance}" for k in exp.known_for(data)
    )
    return "FAIL", (f"not the {pinned} either" if pinned else "")


def evaluate(results: Path, expectations: list[Expectation] | None = None) -> list[Row]:
    """One :class:`Row` per expectation for the results folder ``results``."""
    results = Path(results)
    expectations = expectations if expectations is not None else load_expectations()
    cache: dict[str, TargetState] = {}
    rows = []
    for exp in expectations:
        if exp.target not in cache:
            cache[exp.target] = load_target(results, exp.target)
        st = cache[exp.target]
        scale, data = st.prov.get("scale", "-"), st.prov.get("data", "-")
        value = st.numbers.get(exp.key)

        def row(status, detail="", applicable=True, value=value, scale=scale, data=data, exp=exp):
            rows.append(Row(exp, status, value, scale, data, detail, applicable))

        surrogate = data == "surrogate" or exp.surrogate_derived
        if not st.ran:
            row("N/A", "target not run", applicable=False)
        elif data not in exp.data or scale not in exp.scales:
            if exp.key not in st.numbers or st.failed:
                why = (
                    f"applies to data mode {'/'.join(exp.data)}, scale {'/'.join(exp.scales)}; "
                    f"the run was {data}, {scale}"
                )
                row("N/A", why, applicable=False, value=None)
            elif data == "surrogate" and "surrogate" not in exp.data:
                row(
                    "SURROGATE",
                    "surrogate-mode number: not the paper's quantity, not compared",
                    applicable=False,
                )
            elif data not in exp.data:
                row("N/A", f"applies to data mode {'/'.join(exp.data)}", applicable=False)
            else:
                row(
                    "OTHER SCALE",
                    f"compared at scale {'/'.join(exp.scales)} only",
                    applicable=False,
                )
        elif exp.engines and st.prov.get("engine", "-") not in exp.engines:
            row(
                "N/A",
                f"{OTHER_ENGINE} {'/'.join(exp.engines)}; this run used "
                f"{st.prov.get('engine', '-')}",
                applicable=False,
            )
        elif st.failed and st.prov.get("_failed_only"):
            row("NOT RUN", f"the target's run failed: {st.failed}", value=None)
        elif exp.key not in st.numbers:
            if exp.needs and exp.key in st.unavailable:
                row(
                    "UNAVAILABLE", f"needs {exp.needs}: {st.unavailable[exp.key]}", applicable=False
                )
            else:
                row("NOT RUN", st.not_produced.get(exp.key, "number not produced"))
        elif value is None:
            row("FAIL", "the run produced no finite value")
        else:
            status, detail = _checked(exp, float(value), data, surrogate)
            if st.failed:  # earlier good results, but the latest rerun failed
                detail = "; ".join(
                    x
                    for x in (detail, f"from an earlier run: the latest rerun failed ({st.failed})")
                    if x
                )
            row(status, detail)
    return rows


def summary(rows: list[Row]) -> dict[str, int]:
    verdicts = [r for r in rows if r.exp.kind != "input"]
    return {s: sum(r.status == s for r in verdicts) for s in STATUSES}


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.4g}" if abs(x) < 1e4 else f"{x:.6g}"


def _figures(results: Path) -> list[Path]:
    return sorted(results.glob("*/figures/*.png"))


def targets_run(results: Path) -> list[dict]:
    """One dict per target folder in ``results`` (its last good run and any failure)."""
    out = []
    for d in sorted(
        p for p in Path(results).iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        st = load_target(results, d.name)
        if not st.ran:
            continue
        r = {
            k: st.prov.get(k, "-")
            for k in (
                "scale",
                "data",
                "data_reason",
                "engine",
                "engine_detail",
                "wall_time_s",
                "git_commit",
                "notes",
                "resumed",
            )
        }
        r["target"], r["failed"] = d.name, st.failed
        r["earlier_results"] = bool(st.failed) and not st.prov.get("_failed_only")
        out.append(r)
    return out


def exit_status(results: Path, rows: list[Row]) -> tuple[int, list[str]]:
    """The exit status of ``rows`` for ``results`` and the reasons for it (one line each)."""
    runs = targets_run(results)
    reasons = [
        f"FAIL {r.exp.id}: {_fmt(r.value)} vs {r.exp.expected_text()} {r.exp.unit}"
        + (f" ({r.detail})" if r.detail else "")
        for r in rows
        if r.status in ("FAIL", "MISMATCH")
    ]
    if reasons:
        return EXIT_FAIL, reasons
    if not runs:
        return EXIT_INCOMPLETE, [f"incomplete: no target results in {results}"]
    incomplete = [
        f"incomplete: the latest run of {r['target']} failed: {r['failed']}"
        for r in runs
        if r["failed"]
    ]
    incomplete += [
        f"incomplete: {r.exp.id} NOT RUN ({r.detail})" for r in rows if r.status == "NOT RUN"
    ]
    return (EXIT_INCOMPLETE, incomplete) if incomplete else (EXIT_OK, [])


def unchecked_by_engine(rows: list[Row]) -> dict[str, list[str]]:
    """Targets whose recorded rows for their data mode and scale all belong to other engines:
    {target: the engines they were recorded with}."""
    by_target: dict[str, list[Row]] = {}
    for r in rows:
        if r.exp.kind == "recorded" and r.data in r.exp.data and r.scale in r.exp.scales:
            by_target.setdefault(r.exp.target, []).append(r)
    out = {}
    for target, rs in by_target.items():
        if rs and all(r.status == "N/A" and r.detail.startswith(OTHER_ENGINE) for r in rs):
            out[target] = sorted({e for r in rs for e in r.exp.engines})
    return out


def headline(rows: list[Row]) -> str:
    """How many of the paper's printed numbers were compared at their own scale, and how many
    are still owed (and why)."""
    paper = [r for r in rows if r.exp.kind == "paper"]
    cmp_ = [r for r in paper if r.status in ("PASS", "FAIL", "DISAGREES")]
    n = {s: sum(r.status == s for r in paper) for s in STATUSES}
    owed = len(paper) - len(cmp_)
    return (
        f"{len(cmp_)} of the paper's {len(paper)} printed numbers were compared at their own "
        f"scale and data mode ({n['PASS']} PASS, {n['FAIL']} FAIL, {n['DISAGREES']} DISAGREES); "
        f"{owed} are still owed ({n['OTHER SCALE']} reproduced at another scale only, "
        f"{n['UNAVAILABLE']} need data this machine lacks, {n['SURROGATE']} surrogate-mode "
        f"numbers not compared, {n['NOT RUN'] + n['N/A']} not run here)."
    )


def _has_surrogate(runs: list[dict], rows: list[Row]) -> bool:
    """A run in surrogate mode, or a surrogate-derived number: the report says so loudly."""
    return any(r["data"] == "surrogate" for r in runs) or any(
        r.exp.surrogate_derived and r.value is not None for r in rows
    )


def _rows_by_section(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    return [(title, [r for r in rows if r.exp.kind == kind]) for kind, title in SECTIONS]


def write_markdown(results: Path, rows: list[Row], status: int, reasons: list[str]) -> Path:
    s = summary(rows)
    lines = [
        "# bzs-repro verification report",
        "",
        f"**{headline(rows)}**",
        "",
        "Paşca et al., J. Mater. Chem. A 2025, DOI 10.1039/d5ta04536c.",
        "",
        "**Rows:** " + ", ".join(f"{k}: {v}" for k, v in s.items() if v),
        "",
        f"**Exit status {status}:** {EXIT_CODES[status]}.",
        "",
    ]
    lines += [f"- {x}" for x in reasons[:20]] + ([""] if reasons else [])
    runs = targets_run(results)
    if _has_surrogate(runs, rows):
        lines += [
            (
                "> **SURROGATE NUMBERS.** Some numbers come from this project's surrogate (a "
                "CHGNet-labelled re-enactment of the paper's workflow). They are NOT the paper's, "
                "are shown as SURROGATE and never compared with the paper's values."
            ),
            "",
        ]
    lines += [
        "## Runs",
        "",
        "| target | scale | data mode | engine | wall time (s) | status |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        if r["failed"]:
            status_txt = f"latest run FAILED: {r['failed']}" + (
                " (earlier results shown)" if r["earlier_results"] else ""
            )
        else:
            status_txt = "ok" + (
                " (resumed)" if r.get("resumed") and r.get("resumed") != "-" else ""
            )
        eng = r["engine"] + (
            f" ({r['engine_detail']})" if r.get("engine_detail") not in (None, "-", "") else ""
        )
        lines.append(
            f"| {r['target']} | {r['scale']} | {r['data']} | {eng} | "
            f"{r['wall_time_s']} | {status_txt} |"
        )
    for target, engines in unchecked_by_engine(rows).items():
        lines.append(
            f"\n- {target}: **no recorded row applies to this run's engine** (recorded for "
            f"{'/'.join(engines)}): its own numbers are not regression-checked; rerun with "
            f"`--engine {engines[0]}` or record this engine's values (`bzs-repro record`)"
        )
    for r in runs:
        if r["data_reason"] not in ("-", ""):
            lines.append(f"\n- {r['target']}: data mode {r['data']}: {r['data_reason']}")
        for n in r.get("notes") if isinstance(r.get("notes"), list) else []:
            lines.append(f"- {r['target']}: {n}")
    head = (
        "| id | quantity | unit | expected | reproduced | scale | data | status | source | note |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    for title, sect in _rows_by_section(rows):
        if not sect:
            continue
        lines += ["", f"## {title}", "", head]
        for r in sect:
            e = r.exp
            note = "; ".join(x for x in (r.detail, e.note) if x)
            lines.append(
                f"| `{e.id}` | {e.quantity} | {e.unit} | {e.expected_text()} | {_fmt(r.value)} | "
                f"{r.scale} | {r.data} | **{r.status}** | {e.source} | {note} |"
            )
    inputs = [r for r in rows if r.exp.kind == "input"]
    if inputs:
        lines += [
            "",
            "## Inputs verified",
            "",
            (
                "Properties of the input files (already fixed by their sha256): "
                "not reproduced numbers."
            ),
            "",
            "| id | quantity | expected | found | status |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{r.exp.id}` | {r.exp.quantity} | {r.exp.expected_text()} | "
            f"{_fmt(r.value)} | {r.status} |"
            for r in inputs
        ]
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
.PASS,.VERIFIED{background:#d4f7d4}.FAIL,.MISMATCH{background:#f7d4d4}.DISAGREES,.KNOWN-LIMIT{background:#f7e0c8}
.SURROGATE{background:#fde9b3}.EXPERIMENT{background:#e8dcf7}.OTHER-SCALE{background:#dde6f7}
.NOT-RUN{background:#eee}.UNAVAILABLE,.N-A{background:#f6f6f6;color:#666}.banner{background:#fde9b3;
padding:1em;border:2px solid #c90;font-weight:bold}img{max-width:900px;display:block}"""


def write_html(results: Path, rows: list[Row], status: int, reasons: list[str]) -> Path:
    esc = html.escape
    s = summary(rows)
    out = [
        (
            f"<!doctype html><html><head><meta charset='utf-8'><title>bzs-repro report</title>"
            f"<style>{_CSS}</style></head><body>"
        ),
        "<h1>bzs-repro verification report</h1>",
        f"<p><b>{esc(headline(rows))}</b></p>",
        "<p>Paşca et al., J. Mater. Chem. A 2025, DOI 10.1039/d5ta04536c.</p>",
        "<p><b>Rows:</b> " + esc(", ".join(f"{k}: {v}" for k, v in s.items() if v)) + "</p>",
        f"<p><b>Exit status {status}:</b> {esc(EXIT_CODES[status])}.</p>",
    ]
    if reasons:
        out.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in reasons[:20]) + "</ul>")
    runs = targets_run(results)
    if _has_surrogate(runs, rows):
        out.append(
            "<p class='banner'>SURROGATE NUMBERS: some numbers are this project's "
            "re-enactment (CHGNet reference), NOT the paper's; they are shown as SURROGATE and "
            "never compared with the paper's values.</p>"
        )
    out.append(
        "<h2>Runs</h2><table><tr><th>target</th><th>scale</th><th>data</th>"
        "<th>engine</th><th>wall time (s)</th><th>data mode reason</th><th>notes</th></tr>"
    )
    for r in runs:
        notes = "<br>".join(
            esc(str(n)) for n in (r.get("notes") if isinstance(r.get("notes"), list) else [])
        )
        if r["failed"]:
            notes = f"<b>latest run FAILED: {esc(str(r['failed']))}</b><br>" + notes
        eng = str(r["engine"]) + (
            f" ({r['engine_detail']})" if r.get("engine_detail") not in (None, "-", "") else ""
        )
        out.append(
            f"<tr><td>{esc(str(r['target']))}</td><td>{esc(str(r['scale']))}</td>"
            f"<td>{esc(str(r['data']))}</td><td>{esc(eng)}</td>"
            f"<td>{esc(str(r['wall_time_s']))}</td><td>{esc(str(r['data_reason']))}</td>"
            f"<td>{notes}</td></tr>"
        )
    out.append("</table>")
    for title, sect in _rows_by_section(rows):
        if not sect:
            continue
        out.append(
            f"<h2>{esc(title)}</h2><table><tr><th>id</th><th>quantity</th><th>unit</th>"
            "<th>expected</th><th>reproduced</th><th>scale</th><th>data</th><th>status</th>"
            "<th>source</th><th>tolerance justification</th><th>note</th></tr>"
        )
        for r in sect:
            e = r.exp
            note = "; ".join(x for x in (r.detail, e.note) if x)
            cls = r.status.replace(" ", "-").replace("/", "-")
            out.append(
                f"<tr class='{cls}'><td><code>{esc(e.id)}</code></td><td>{esc(e.quantity)}</td>"
                f"<td>{esc(e.unit)}</td><td>{esc(e.expected_text())}</td><td>{_fmt(r.value)}</td>"
                f"<td>{esc(r.scale)}</td><td>{esc(r.data)}</td><td><b>{r.status}</b></td>"
                f"<td>{esc(e.source)}</td><td>{esc(e.justification)}</td><td>{esc(note)}</td></tr>"
            )
        out.append("</table>")
    inputs = [r for r in rows if r.exp.kind == "input"]
    if inputs:
        out.append(
            "<h2>Inputs verified</h2><p>Properties of the input files (already fixed by their "
            "sha256): not reproduced numbers.</p><table><tr><th>id</th><th>quantity</th>"
            "<th>expected</th><th>found</th><th>status</th></tr>"
        )
        out += [
            f"<tr class='{r.status.replace(' ', '-').replace('/', '-')}'>"
            f"<td><code>{esc(r.exp.id)}</code></td>"
            f"<td>{esc(r.exp.quantity)}</td><td>{esc(r.exp.expected_text())}</td>"
            f"<td>{_fmt(r.value)}</td>"
            f"<td>{r.status}</td></tr>"
            for r in inputs
        ]
        out.append("</table>")
    figs = _figures(results)
    if figs:
        out.append("<h2>Figures</h2>")
        for f in figs:
            rel = f.relative_to(results)
            out.append(
                f"<h3>{esc(rel.parent.parent.name)}: {esc(f.stem)}</h3>"
                f"<img src='{esc(str(rel))}' alt='{esc(f.stem)}'>"
            )
    out.append("</body></html>")
    path = results / "report.html"
    atomic_write_text(path, "\n".join(out) + "\n")
    return path


def verify(results: Path, expectations_file: Path | None = None) -> tuple[list[Row], int]:
    """Write report.md and report.html into ``results``; return the rows and the exit status
    (:data:`EXIT_CODES`)."""
    rows, status, _ = verify_with_reasons(results, expectations_file)
    return rows, status


def verify_with_reasons(
    results: Path, expectations_file: Path | None = None
) -> tuple[list[Row], int, list[str]]:
    """As :func:`verify`, also returning one line per reason for a non-zero status."""
    results = Path(results)
    if not results.is_dir():
        msg = f"results folder {results} does not exist" + (
            " (it is a file)" if results.exists() else ""
        )
        raise FileNotFoundError(msg)
    rows = evaluate(results, load_expectations(expectations_file) if expectations_file else None)
    status, reasons = exit_status(results, rows)
    write_markdown(results, rows, status, reasons)
    write_html(results, rows, status, reasons)
    return rows, status, reasons
