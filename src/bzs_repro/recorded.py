"""This project's own values at smoke scale, recorded from several seeds (``kind = "recorded"``).

``bzs-repro record RESULTS_DIR...`` (or ``nox -s record``) reads results folders of the same
targets run with different ``--seed`` values, in paper and in surrogate mode, and writes

- data/recorded/smoke_seeds.csv: every seed's value of every recorded number (the table the
  tolerances come from);
- data/expectations_recorded.toml: one ``recorded`` row per (data mode, number): the mean of
  the seeds, tolerance ``max(4 x sample std, 0.1 % of |mean|)`` (exact counts that agree in
  every seed: tolerance 0), so that the main job is a regression check of the software.

Wall times, speed-ups and other machine-dependent numbers are not recorded, nor the residuals
of implementation cross-checks (``*_dev_rel``, ``*_rel_dev``: float round-off, ~1e-5, that
differs between CPUs and thread counts; their ``bound`` rows guard them). ``bzs-repro record
data/recorded/smoke_seeds.csv`` rewrites the rows from the table alone (after a rule change);
given with results folders, their (mode, scale, engine, target) groups replace the table's.
Rows are per engine (``engines = [...]``): the engines integrate the same equations, but a
truncated smoke-scale relaxation or a chaotic MD trajectory is engine-specific. On another
platform (other CPU family or wheels) the MD diverges and an MD-derived number is a new sample
of the seeds' distribution: 4 sigma of three seeds admits it ~93 % of the time (Student t, 2
degrees of freedom), so more seeds make the rows robust there. Numbers that pass through the
CHGNet reference (float32 torch kernels, chosen per CPU) differ between machines even without
MD: figS3.band_rms_difference_THz in surrogate mode gave 0.4641 THz on one machine and 0.4804
on another of the same kind (thread count and target order changed nothing); the table holds
runs of both machines (seed column ``machine-b-*``), and their spread sets that row's tolerance.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import defaultdict
from pathlib import Path

from bzs_repro.paths import data_dir
from bzs_repro.results import atomic_write_text

# machine- or load-dependent numbers, and round-off residuals of cross-checks: never recorded
EXCLUDE = re.compile(r"(wall|_time_|timing|speedup|throughput|_s_total|seconds|_dev_rel|_rel_dev)")
MIN_SEEDS = 3
# values below this in every seed but not exactly 0 are round-off (the lowest phonon frequency,
# ~1e-8 THz): a relative tolerance on them fails on another machine; bound rows guard them
ROUND_OFF_ZERO = 1e-6
SIGMAS = 4.0
REL_FLOOR = 1e-3
# numbers that need an input a run may lack (the run marks them unavailable): the row says so
NEEDS = {
    "fig1.crosscheck_paper_ace_": "the paper's low-energy ACE (offline mirror or download), "
    "also in surrogate mode",
}


def collect(folders: list[Path]) -> list[dict]:
    """One row per (folder, target, number): mode, scale, seed, target, key, value."""
    rows = []
    for folder in folders:
        for prov_file in sorted(Path(folder).glob("*/provenance.json")):
            prov = json.loads(prov_file.read_text())
            if prov.get("failed"):
                continue
            nums = json.loads((prov_file.parent / "numbers.json").read_text())
            cfg = prov.get("config", {})
            seed = cfg.get("seed", cfg.get("workflow", {}).get("seed", "-"))
            for key, val in nums.items():
                if val is None or EXCLUDE.search(key) or not math.isfinite(val):
                    continue
                rows.append(
                    {
                        "mode": prov["data"],
                        "scale": prov["scale"],
                        "seed": seed,
                        # targets that ran MD or relaxations hold their engine's values
                        "engine": prov.get("engine", "ase") if prov.get("engine_detail") else "any",
                        "target": prov["target"],
                        "key": key,
                        "value": float(val),
                    }
                )
    return rows


def tolerance(values: list[float]) -> float:
    """max(4 x sample std, 0.1 % of |mean|); 0 for exact counts equal in every seed."""
    n = len(values)
    mean = sum(values) / n
    if all(v == values[0] for v in values) and all(float(v).is_integer() for v in values):
        return 0.0
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return max(SIGMAS * std, REL_FLOOR * abs(mean), 1e-12)


UNITS = (
    ("_g_cm3", "g/cm3"),
    ("_J_m2", "J/m2"),
    ("_meV_atom", "meV/atom"),
    ("_meV_A", "meV/A"),
    ("_eV_A", "eV/A"),
    ("_eV", "eV"),
    ("_THz", "THz"),
    ("_deg", "deg"),
    ("_pct", "%"),
    ("_percent", "%"),
    ("_A", "Angstrom"),
)


def unit_of(key: str) -> str:
    """The unit named by the key's suffix (the project's naming), else '1'."""
    name = key.split(".")[-1] if "." in key else key
    name = re.sub(r"_(\d+grains|single|8grains|6grains)$", "", name)
    base = key.rsplit(".", 2)
    for cand in (name, *base):
        for suffix, unit in UNITS:
            if cand.endswith(suffix) or f"{suffix}_" in cand:
                return unit
    return "1"


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def expectations_toml(rows: list[dict], table_name: str) -> str:
    """The ``recorded`` rows as TOML (numbers present and finite in at least MIN_SEEDS seeds)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["mode"], r["scale"], r["engine"], r["key"])].append(r)
    out = [
        "# Recorded values of this project (kind = recorded), written by `bzs-repro record`",
        f"# from the seeds' values in {table_name}: do not edit by hand; re-record after an",
        "# intended change of results (and say why in the commit). Tolerance: max(4 x sample",
        "# std of the seeds, 0.1 % of |mean|); exact counts equal in every seed: 0.",
        "",
    ]
    for (mode, scale, engine, key), grp in sorted(groups.items()):
        vals = [g["value"] for g in grp]
        if max(abs(v) for v in vals) < ROUND_OFF_ZERO and any(v != 0.0 for v in vals):
            continue  # a numerical zero (e.g. an acoustic frequency at Gamma): round-off only
        seeds = sorted({str(g["seed"]) for g in grp})
        if len(vals) < MIN_SEEDS:
            continue
        mean, tol = sum(vals) / len(vals), tolerance(vals)
        spread = f"seeds {', '.join(seeds)}: {min(vals):.6g} .. {max(vals):.6g}"
        out += [
            "[[expectation]]",
            f'id = "{key}:recorded-{scale}-{mode}{_engine_suffix(engine)}"',
            "quantity = "
            + _toml_str(
                f"{key}: this project value at {scale} scale, {mode} mode"
                + ("" if engine == "any" else f", {engine} engine")
                + " (not the paper number)"
            ),
            f'unit = "{unit_of(key)}"',
            'kind = "recorded"',
            f"value = {mean!r}",
            f"tolerance = {{ abs = {tol!r} }}",
            "justification = "
            + _toml_str(
                f"mean of {len(vals)} seeds ({spread}); "
                "tolerance from their scatter, a regression check of the software"
            ),
            f"source = {_toml_str(f'{table_name} (bzs-repro record)')}",
            f'data = ["{mode}"]',
            f'scales = ["{scale}"]',
        ]
        if engine != "any":
            out.append(f'engines = ["{engine}"]')
        if key.startswith("fig1.reenact_"):
            out.append("surrogate_derived = true")
        for prefix, needs in NEEDS.items():
            if key.startswith(prefix):
                out.append(f"needs = {_toml_str(needs)}")
        out.append("")
    return "\n".join(out)


def record(folders: list[Path], data: Path | None = None) -> tuple[Path, Path, int]:
    """Write the seeds' table and the recorded expectations; return both paths and the row count."""
    data = Path(data or data_dir())
    tables = [Path(f) for f in folders if Path(f).suffix == ".csv"]
    fresh = collect([f for f in folders if Path(f).suffix != ".csv"])
    redone = {(r["mode"], r["scale"], r["engine"], r["target"]) for r in fresh}
    rows = [
        r
        for t in tables
        for r in read_table(t)
        if not EXCLUDE.search(r["key"])
        and (r["mode"], r["scale"], r["engine"], r["target"]) not in redone
    ]
    rows += fresh
    if not rows:
        msg = f"no successful target results in {', '.join(map(str, folders))}"
        raise ValueError(msg)
    table = data / "recorded" / "smoke_seeds.csv"
    table.parent.mkdir(parents=True, exist_ok=True)
    lines = ["mode,scale,engine,seed,target,key,value"]
    cols = ("mode", "scale", "engine", "seed", "target", "key")
    for r in sorted(
        rows, key=lambda r: (r["mode"], r["engine"], r["target"], r["key"], str(r["seed"]))
    ):
        lines.append(",".join(str(r[k]) for k in cols) + f",{r['value']!r}")
    atomic_write_text(table, "\n".join(lines) + "\n")
    text = expectations_toml(rows, "data/recorded/smoke_seeds.csv")
    dest = data / "expectations_recorded.toml"
    atomic_write_text(dest, text)
    return table, dest, text.count("[[expectation]]")


def _engine_suffix(engine: str) -> str:
    """Row ids of the ASE engine (the first recorded) and engine-free targets have none."""
    return "" if engine in ("ase", "any") else f"-{engine}"


def read_table(path: Path) -> list[dict]:
    """The seeds' table (one without an engine column: ``any`` for fig1 and figS3, which use
    no engine, ``ase`` for the others)."""
    with Path(path).open() as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["engine"] = r.get("engine") or ("any" if r["target"] in ("fig1", "figS3") else "ase")
        r["value"] = float(r["value"])
    return rows
