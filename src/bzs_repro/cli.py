"""Command line: ``bzs-repro run|verify|record|fetch|expectations|parts|targets|build``.

Exit status: 0 success; 1 a number FAILs; 2 bad usage or input (one line names the culprit);
3 incomplete (a target failed, or applicable numbers were not produced). ``--debug`` shows
tracebacks.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("bzs_repro")


def _cmd_run(args: argparse.Namespace) -> int:
    from bzs_repro.potential import resolve_data_mode
    from bzs_repro.results import RunSettings
    from bzs_repro.targets import discover_targets, run_target

    targets = discover_targets()
    names = list(targets) if args.target == "all" else [args.target]
    unknown = [n for n in names if n not in targets]
    if unknown:
        print(
            f"unknown target {unknown[0]!r}; known: {', '.join(targets) or 'none'}", file=sys.stderr
        )
        return 2
    if args.part is not None and (args.target == "all" or args.verify):
        print("--part runs one unit of one target (no 'all', no --verify)", file=sys.stderr)
        return 2
    if args.part is not None:  # a bad unit name fails before any work (one line, exit 2)
        targets[args.target].check_part(args.scale, args.part)
    out = _writable_out(Path(args.out))
    data, reason = resolve_data_mode(args.data)
    if data == "surrogate":  # the project's own files: checked before any work (paper: sha256)
        from bzs_repro.potential import PAPER_POTENTIALS, potential_path

        for variant in PAPER_POTENTIALS:
            potential_path(variant, data)
    print(f"data mode: {data} ({reason})", file=sys.stderr)
    engine, engine_reason = _resolve_engine(args.engine)
    if args.ranks is not None:
        if engine != "lammps" and args.ranks > 1:
            msg = f"--ranks {args.ranks} needs the LAMMPS engine (engine here: {engine})"
            raise ValueError(msg)
        from bzs_repro.engines.lammps_engine import RANKS_ENV

        os.environ[RANKS_ENV] = str(args.ranks)
        engine_reason += f", {args.ranks} MPI rank(s) per MD run"
    print(f"engine: {engine} ({engine_reason})", file=sys.stderr)
    settings = RunSettings(args.scale, data, engine, out, reason, engine_reason)
    failed = []
    for name in names:
        try:
            run_target(targets[name], settings, seed=args.seed, part=args.part)
        except Exception as exc:  # keep going with the other targets; the report says why
            log.debug("target %s failed", name, exc_info=True)
            failed.append(
                f"{name}: {type(exc).__name__}: {_one_line(exc)} (details: "
                f"{out / name / 'failed-run' / 'error.txt'})"
            )
            print(f"FAILED {failed[-1]}", file=sys.stderr)
            if args.target != "all":
                break
    if args.verify:
        return _report(out, None)
    return EXIT_INCOMPLETE if failed else 0


EXIT_INCOMPLETE = 3


def _resolve_engine(requested: str) -> tuple[str, str]:
    """``auto``: native LAMMPS + ML-PACE when a build with it loads, else the embedded engine."""
    if requested != "auto":
        return requested, f"requested (--engine {requested})"
    from bzs_repro.engines import lammps_engine

    try:
        st = lammps_engine.lammps_status()
    except lammps_engine.LammpsUnavailable as err:
        return "ase", f"auto: no LAMMPS module ({_one_line(err)[:120]})"
    if st["ml_pace"]:
        return "lammps", f"auto: native LAMMPS {st['version']} with ML-PACE ({st['module']})"
    return (
        "ase",
        f"auto: the LAMMPS build at {st['module']} has no ML-PACE (pyace embedded is faster)",
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 400 else text[:400] + " ..."


def _writable_out(out: Path) -> Path:
    """``out`` as a results folder that can be written (ValueError naming it otherwise)."""
    if out.exists() and not out.is_dir():
        msg = f"--out {out} is a file, not a folder"
        raise ValueError(msg)
    _check_writable(out, out)
    return out


def _check_writable(out: Path, start: Path) -> None:
    """The nearest existing folder at or above ``start`` must be writable (ValueError naming
    ``--out``): what will be created below it can then be written."""
    import os

    probe = start
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        msg = f"--out {out}: {probe} is not a writable folder"
        raise ValueError(msg)


def _report(results: Path, expectations: Path | None) -> int:
    from bzs_repro.verify import headline, summary, verify_with_reasons

    rows, status, reasons = verify_with_reasons(results, expectations)
    print(
        f"report: {results / 'report.md'} (and report.html): "
        + json.dumps({k: v for k, v in summary(rows).items() if v})
    )
    print(headline(rows))
    for line in reasons[:40]:
        print(line, file=sys.stderr)
    if len(reasons) > 40:
        print(f"... and {len(reasons) - 40} more (see the report)", file=sys.stderr)
    print(f"exit status {status}", file=sys.stderr)
    return status


def _cmd_verify(args: argparse.Namespace) -> int:
    return _report(Path(args.results), args.expectations)


def _cmd_record(args: argparse.Namespace) -> int:
    from bzs_repro.recorded import record

    table, dest, n = record([Path(f) for f in args.folders])
    print(f"wrote {table} and {dest} ({n} recorded rows)")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from bzs_repro.data.registry import ChecksumError, DataUnavailableError, default_registry

    reg = default_registry()
    if args.list:
        for row in reg.status():
            print(f"{row['name']:24s} {row['local']}")
        return 0
    if not args.all and not args.names:
        print("name a registry file, or use --all / --list", file=sys.stderr)
        return 2
    names = list(reg.artifacts) if args.all else args.names
    status = 0
    for name in names:
        try:
            print(f"{name}: {reg.fetch(name)}")
        except (DataUnavailableError, ChecksumError, KeyError) as err:
            print(f"{name}: ERROR {err}", file=sys.stderr)
            status = 1
    return status


def _cmd_expectations(args: argparse.Namespace) -> int:
    from bzs_repro.data.expectations import load_expectations

    exps = load_expectations()
    if args.json:
        print(json.dumps([e.model_dump(exclude_none=True) for e in exps], indent=2))
        return 0
    header = (
        f"{'id':44s} {'expected':>18s} {'unit':10s} {'kind':8s} {'data':16s} {'scales':22s} source"
    )
    print(header)
    print("-" * len(header))
    for e in exps:
        print(
            f"{e.id:44s} {e.expected_text():>18s} {e.unit:10s} {e.kind:8s} "
            f"{'/'.join(e.data):16s} {'/'.join(e.scales):22s} {e.source}"
        )
    return 0


def _cmd_parts(args: argparse.Namespace) -> int:
    from bzs_repro.targets import discover_targets

    targets = discover_targets()
    names = list(targets) if args.target == "all" else [args.target]
    if any(n not in targets for n in names):
        print(f"unknown target {args.target!r}; known: {', '.join(targets)}", file=sys.stderr)
        return 2
    units = {n: targets[n].parts(args.scale) for n in names}
    if args.json:
        print(json.dumps(units, indent=2))
        return 0
    for name, parts in units.items():
        line = ", ".join(f"{p} ({k})" for p, k in parts.items()) or "one unit (the target)"
        print(f"{name:8s} {line}")
    return 0


def _cmd_targets(_args: argparse.Namespace) -> int:
    from bzs_repro.targets import discover_targets

    for name, t in discover_targets().items():
        print(f"{name:8s} {t.title}  [scales: {', '.join(t.raw.get('scales', {}))}]")
    return 0


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _positive(text: str) -> float:
    """argparse type: a finite number > 0 (lattice lengths, thicknesses, boxes in Angstrom)."""
    import math

    x = _number(text)
    if not math.isfinite(x) or x <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number > 0")
    return x


def _positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (MPI ranks)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number >= 1")
    return int(text)


def _finite(text: str) -> float:
    """argparse type: a finite angle within +-360 degrees."""
    import math

    x = _number(text)
    if not math.isfinite(x) or abs(x) > 360:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite angle within +-360 degrees")
    return x


def _out_file(path: Path) -> Path:
    """``--out`` of a build: a file path (not a folder) in a writable folder."""
    if path.is_dir():
        msg = f"--out {path} is a folder; give a file name, e.g. {path / 'cell.extxyz'}"
        raise ValueError(msg)
    _check_writable(path, path.parent)
    return path


def _cmd_build(args: argparse.Namespace) -> int:
    args.out = _out_file(Path(args.out))
    from bzs_repro import build

    return build.build_gb(args) if args.kind == "gb" else build.build_polycrystal_cmd(args)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block): 'bzs-repro: error: ...', exit 2."""

    def error(self, message: str):
        self.exit(2, f"bzs-repro: error: {self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bzs-repro",
        description="Reproduce Pasca et al., J. Mater. Chem. A 2025 (BaZrS3 ACE potential).",
    )
    p.add_argument(
        "-v",
        "--verbose",
        "--debug",
        action="store_true",
        help="debug logging, and tracebacks of errors",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a target (figure/table) or 'all'")
    r.add_argument("target", help="target name (see `bzs-repro targets`) or 'all'")
    r.add_argument("--scale", choices=["smoke", "reduced", "paper"], default="smoke")
    r.add_argument("--data", choices=["auto", "paper", "surrogate"], default="auto")
    r.add_argument(
        "--engine",
        choices=["ase", "lammps", "auto"],
        default="auto",
        help="auto (default): native LAMMPS + ML-PACE when a build with it is found "
        "(BZS_REPRO_LAMMPS_PREFIX, the images), else ase (ASE + pyace, embedded); "
        "the report says which ran and why",
    )
    r.add_argument(
        "--ranks",
        type=_positive_int,
        default=None,
        metavar="N",
        help="MPI ranks of each LAMMPS MD run (--engine lammps, native ML-PACE; "
        "threads per rank: OMP_NUM_THREADS)",
    )
    r.add_argument("--out", default="results", help="results folder (default: results)")
    r.add_argument(
        "--part",
        default=None,
        metavar="UNIT",
        help="run one unit of the target into --out (e.g. fig2 --part s3-1e14; list: "
        "`bzs-repro parts TARGET`); the target's own run then reuses it",
    )
    r.add_argument(
        "--verify",
        action="store_true",
        help="write the report after running; the exit status is then verify's",
    )
    r.add_argument(
        "--seed",
        type=int,
        default=None,
        help="override every 'seed' of the target's config (recorded in provenance)",
    )
    r.set_defaults(func=_cmd_run)

    v = sub.add_parser(
        "verify",
        help="compare a results folder with the expectations",
        description="Write report.md/report.html for a results folder. Exit status: 0 every "
        "number that applies to the runs in the folder was computed and none FAILs; 1 a number "
        "FAILs; 3 incomplete (empty folder, a target's latest run failed, or an applicable "
        "number is NOT RUN); 2 bad input (a malformed numbers.json, expectations file, ...).",
    )
    v.add_argument("--results", default="results")
    v.add_argument("--expectations", type=Path, default=None, help=argparse.SUPPRESS)
    v.set_defaults(func=_cmd_verify)

    rc = sub.add_parser("record", help="record this project's values from seed runs (maintainers)")
    rc.add_argument("folders", nargs="+", help="results folders, one per seed and data mode")
    rc.set_defaults(func=_cmd_record)

    f = sub.add_parser("fetch", help="download/verify the paper's published files")
    f.add_argument("names", nargs="*", help="registry names (see --list)")
    f.add_argument("--all", action="store_true")
    f.add_argument("--list", action="store_true", help="list registry files and local copies")
    f.set_defaults(func=_cmd_fetch)

    e = sub.add_parser("expectations", help="print the stored expectations")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_cmd_expectations)

    pa = sub.add_parser("parts", help="list the units of work of a target (workflow jobs)")
    pa.add_argument("target", help="target name or 'all'")
    pa.add_argument("--scale", choices=["smoke", "reduced", "paper"], default="smoke")
    pa.add_argument("--json", action="store_true")
    pa.set_defaults(func=_cmd_parts)

    t = sub.add_parser("targets", help="list the reproducible targets")
    t.set_defaults(func=_cmd_targets)

    b = sub.add_parser("build", help="build structures for your own studies")
    bsub = b.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    gb = bsub.add_parser("gb", help="[001] tilt grain-boundary bicrystal")
    g = gb.add_mutually_exclusive_group(required=True)
    g.add_argument(
        "--grain-rotation",
        type=_finite,
        metavar="DEG",
        help="each grain rotated by +-DEG about the tilt axis (the paper's low-angle labels)",
    )
    g.add_argument(
        "--misorientation",
        type=_finite,
        metavar="DEG",
        help="the angle between the two grains (twice the grain rotation)",
    )
    g.add_argument("--sigma", type=int, metavar="N", help="a CSL boundary, e.g. 31")
    gb.add_argument("--lattice", type=_positive, nargs=3, metavar=("A", "B", "C"))
    gb.add_argument(
        "--thickness",
        type=_positive,
        default=20.0,
        help="grain thickness normal to the boundary (Angstrom)",
    )
    gb.add_argument("--out", required=True, type=Path)
    gb.set_defaults(func=_cmd_build)
    pc = bsub.add_parser("polycrystal", help="periodic Voronoi polycrystal (Atomsk style)")
    g = pc.add_mutually_exclusive_group(required=True)
    g.add_argument("--atomsk-params", type=Path, metavar="FILE")
    g.add_argument("--grains", type=int, metavar="N")
    pc.add_argument(
        "--box", type=_positive, metavar="L", help="box side in Angstrom (with --grains)"
    )
    pc.add_argument("--seed", type=int, default=0)
    pc.add_argument("--lattice", type=_positive, nargs=3, metavar=("A", "B", "C"))
    pc.add_argument("--out", required=True, type=Path)
    pc.set_defaults(func=_cmd_build)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a one-line usage error
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("bzs-repro: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # one line naming the culprit; the traceback under --debug
        if args.verbose:
            raise
        from bzs_repro.extras import MissingExtra

        code = EXIT_INCOMPLETE if isinstance(err, MissingExtra) else 2
        print(f"bzs-repro: error: {_one_line(err)}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
