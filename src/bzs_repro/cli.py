"""Command line: ``bzs-repro run|verify|fetch|expectations|targets|build``."""

from __future__ import annotations

import argparse
import json
import logging
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
        print(f"unknown target {unknown[0]!r}; known: {', '.join(targets) or 'none'}",
              file=sys.stderr)  # fmt: skip
        return 2
    data, reason = resolve_data_mode(args.data)
    print(f"data mode: {data} ({reason})", file=sys.stderr)
    settings = RunSettings(args.scale, data, args.engine, Path(args.out), reason)
    failed = []
    for name in names:
        try:
            run_target(targets[name], settings)
        except Exception as exc:  # keep going with the other targets; the report says why
            log.exception("target %s failed", name)
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            if args.target != "all":
                break
    if args.verify:
        from bzs_repro.verify import summary, verify

        rows, status = verify(Path(args.out))
        print(f"report: {Path(args.out) / 'report.md'}  " + json.dumps(summary(rows)))
        if status:
            failed.append("verification: some numbers FAIL (see the report)")
    for f in failed:
        print(f"FAILED {f}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from bzs_repro.verify import summary, verify

    rows, status = verify(Path(args.results), args.expectations)
    print(f"wrote {Path(args.results) / 'report.md'} and report.html: " + json.dumps(summary(rows)))
    for r in rows:
        if r.status == "FAIL":
            print(f"FAIL {r.exp.id}: {r.value} vs {r.exp.expected_text()} {r.exp.unit}")
    return status


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
        print(f"{e.id:44s} {e.expected_text():>18s} {e.unit:10s} {e.kind:8s} "
              f"{'/'.join(e.data):16s} {'/'.join(e.scales):22s} {e.source}")  # fmt: skip
    return 0


def _cmd_targets(_args: argparse.Namespace) -> int:
    from bzs_repro.targets import discover_targets

    for name, t in discover_targets().items():
        print(f"{name:8s} {t.title}  [scales: {', '.join(t.raw.get('scales', {}))}]")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    if args.kind == "gb":
        from bzs_repro.structures.gb import cli_build
    else:
        from bzs_repro.structures.polycrystal import cli_build
    return cli_build(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bzs-repro",
        description="Reproduce Pasca et al., J. Mater. Chem. A 2025 (BaZrS3 ACE potential).",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a target (figure/table) or 'all'")
    r.add_argument("target", help="target name (see `bzs-repro targets`) or 'all'")
    r.add_argument("--scale", choices=["smoke", "reduced", "paper"], default="smoke")
    r.add_argument("--data", choices=["auto", "paper", "surrogate"], default="auto")
    r.add_argument("--engine", choices=["ase", "lammps"], default="ase")
    r.add_argument("--out", default="results", help="results folder (default: results)")
    r.add_argument("--verify", action="store_true", help="write the report after running")
    r.set_defaults(func=_cmd_run)

    v = sub.add_parser("verify", help="compare a results folder with the expectations")
    v.add_argument("--results", default="results")
    v.add_argument("--expectations", type=Path, default=None, help=argparse.SUPPRESS)
    v.set_defaults(func=_cmd_verify)

    f = sub.add_parser("fetch", help="download/verify the paper's published files")
    f.add_argument("names", nargs="*", help="registry names (see --list)")
    f.add_argument("--all", action="store_true")
    f.add_argument("--list", action="store_true", help="list registry files and local copies")
    f.set_defaults(func=_cmd_fetch)

    e = sub.add_parser("expectations", help="print the stored expectations")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_cmd_expectations)

    t = sub.add_parser("targets", help="list the reproducible targets")
    t.set_defaults(func=_cmd_targets)

    b = sub.add_parser("build", help="build structures for your own studies")
    bsub = b.add_subparsers(dest="kind", required=True)
    gb = bsub.add_parser("gb", help="[001] tilt grain-boundary bicrystal")
    g = gb.add_mutually_exclusive_group(required=True)
    g.add_argument("--misorientation", type=float, metavar="DEG")
    g.add_argument("--sigma", type=int, metavar="N")
    gb.add_argument("--lattice", type=float, nargs=3, metavar=("A", "B", "C"))
    gb.add_argument(
        "--thickness",
        type=float,
        default=20.0,
        help="grain thickness normal to the boundary (Angstrom)",
    )
    gb.add_argument("--out", required=True, type=Path)
    gb.set_defaults(func=_cmd_build)
    pc = bsub.add_parser("polycrystal", help="periodic Voronoi polycrystal (Atomsk style)")
    g = pc.add_mutually_exclusive_group(required=True)
    g.add_argument("--atomsk-params", type=Path, metavar="FILE")
    g.add_argument("--grains", type=int, metavar="N")
    pc.add_argument("--box", type=float, metavar="L", help="box side in Angstrom (with --grains)")
    pc.add_argument("--seed", type=int, default=0)
    pc.add_argument("--lattice", type=float, nargs=3, metavar=("A", "B", "C"))
    pc.add_argument("--out", required=True, type=Path)
    pc.set_defaults(func=_cmd_build)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, KeyError, RuntimeError) as err:
        if args.verbose:
            raise
        print(f"bzs-repro: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
