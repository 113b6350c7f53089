"""Engines side by side: atom-steps per second of the ASE engine, native LAMMPS ML-PACE and the
LAMMPS pyace bridge, and the embedded/native ratio.

The ratio (issue 13's goal: >= 0.8 per core) is measured on the 960-atom Pnma supercell
(4x3x4 cells) in one run: the ASE engine (pyace, .yace, recursive evaluator) against native
``pair_style pace`` (product, ML-PACE's default, and recursive, the LAMMPS engine's default),
all on one core. Native needs a build (``nox -s lammps``; BZS_REPRO_LAMMPS_PREFIX).

Same system (relaxed Pnma supercells of 160, 1 280 and 10 240 atoms), same potential (the
paper's low-energy ACE, or the surrogate when the paper's file is absent), NVE at 1 fs from
300 K velocities, on the cores this process may use (OMP_NUM_THREADS, default 1). The bridge
evaluates pyace exactly as the ASE engine does, so its cost is the same force call plus
LAMMPS' integration and the callback copy: the bridge exists to run the production decks in
CI, not to be fast. Paper scale belongs to the containers' native ML-PACE (MPI/GPU).
Writes $BENCH_OUT/bench_engines.json (default results/bench).

    python benchmarks/bench_engines.py [--quick]     # --quick: 160 and 1 280 atoms only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

SIZES = {160: (2, 2, 2), 960: (4, 3, 4), 1280: (4, 4, 4), 10240: (8, 8, 8)}
ATOM_STEPS = 32_000  # per measurement (about 5 s at ~7 000 atom-steps/s); --quick: a quarter


def mpi_throughput(atoms, calc, ranks: int, steps: int) -> float | None:
    """Native ``lmp`` NVE on ``ranks`` MPI ranks (mpiexec), one OpenMP thread each: atom-steps
    per second from LAMMPS' own "Loop time" (start-up and read-in excluded); None without
    mpiexec or a native build."""
    import re
    import shutil
    import subprocess
    import tempfile

    from ase.io.lammpsdata import write_lammps_data

    from bzs_repro.engines import lammps_decks as decks
    from bzs_repro.engines.lammps_engine import _native_prefix
    from bzs_repro.potential import MASSES, SPECIES, yace_file

    prefix = _native_prefix()
    if prefix is None or shutil.which("mpiexec") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        a = atoms.copy()
        a.set_masses([MASSES[x] for x in a.get_chemical_symbols()])
        with open(f"{tmp}/start.data", "w") as fd:
            write_lammps_data(fd, a, specorder=list(SPECIES), masses=True, units="metal")
        lines = decks.setup_lines(
            f"{tmp}/start.data", "pace", SPECIES, str(yace_file(calc.bzs_potential_path))
        )
        lines += [
            "velocity all create 300 1 dist gaussian",
            "fix 1 all nve",
            "timestep 0.001",
            "run 5",
            f"run {steps}",
        ]
        Path(f"{tmp}/in.bench").write_text("\n".join(lines) + "\n")
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        out = subprocess.run(
            [
                "mpiexec",
                "-n",
                str(ranks),
                str(prefix / "bin" / "lmp"),
                "-in",
                f"{tmp}/in.bench",
                "-log",
                "none",
                "-nocite",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    loops = re.findall(r"Loop time of ([0-9.eE+-]+) on (\d+) procs for (\d+) steps", out)
    t, procs, n = loops[-1]
    assert int(procs) == ranks, loops
    assert int(n) == steps, loops
    return len(atoms) * steps / float(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="160 and 1 280 atoms, fewer steps (CI)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from bzs_repro.engines import ase_engine, lammps_engine
    from bzs_repro.potential import calculator, resolve_data_mode
    from bzs_repro.relaxed import relax_crystal

    data, why = resolve_data_mode("auto")
    calc = calculator("low-energy", data)
    try:
        status = lammps_engine.lammps_status()
    except lammps_engine.LammpsUnavailable as err:
        status = {"error": str(err)}
    crystal = relax_crystal(calc)
    budget = ATOM_STEPS // (4 if args.quick else 1)
    rows = []
    for n, reps in SIZES.items():
        if args.quick and n > 1280:
            continue
        atoms = crystal.repeat(reps)
        steps = max(2, budget // n)
        row = {"n_atoms": n, "steps": steps}
        row["ase_atom_steps_per_s"] = round(
            ase_engine.throughput_atom_steps_per_s(atoms, calc, steps=steps), 1
        )
        if "error" not in status:
            os.environ["BZS_REPRO_LAMMPS_PAIR"] = "bridge"
            bridge = lammps_engine.throughput_atom_steps_per_s(atoms, calc, steps=steps)
            row["lammps_bridge_atom_steps_per_s"] = round(bridge, 1)
            row["bridge_over_ase"] = round(bridge / row["ase_atom_steps_per_s"], 3)
            if status.get("ml_pace"):
                os.environ["BZS_REPRO_LAMMPS_PAIR"] = "pace"
                for algo in ("product", "recursive"):
                    os.environ["BZS_REPRO_PACE_ALGORITHM"] = algo
                    nat = lammps_engine.throughput_atom_steps_per_s(atoms, calc, steps=steps)
                    row[f"native_pace_{algo}_atom_steps_per_s"] = round(nat, 1)
                row["embedded_over_native_product"] = round(
                    row["ase_atom_steps_per_s"] / row["native_pace_product_atom_steps_per_s"], 3
                )
                row["embedded_over_native_recursive"] = round(
                    row["ase_atom_steps_per_s"] / row["native_pace_recursive_atom_steps_per_s"], 3
                )
                for ranks in (1, 2):  # the CPU image's model: MPI ranks x OpenMP threads
                    if n >= 960:
                        got = mpi_throughput(atoms, calc, ranks, steps)
                        if got is not None:
                            row[f"native_lmp_{ranks}rank_atom_steps_per_s"] = round(got, 1)
            os.environ.pop("BZS_REPRO_LAMMPS_PAIR", None)
            os.environ.pop("BZS_REPRO_PACE_ALGORITHM", None)
        rows.append(row)
        print(f"  {n:6d} atoms done", flush=True)

    print(
        f"\nEngines, NVE 1 fs, {data} potential ({why}); "
        f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    )
    nan = float("nan")
    print(
        f"{'atoms':>7} {'steps':>6} {'ASE':>8} {'pace prod':>10} {'pace rec':>9} {'bridge':>8} "
        f"{'ASE/prod':>9} {'ASE/rec':>8}   (atom-steps/s, one core)"
    )
    for r in rows:
        print(
            f"{r['n_atoms']:>7} {r['steps']:>6} {r['ase_atom_steps_per_s']:>8.0f} "
            f"{r.get('native_pace_product_atom_steps_per_s', nan):>10.0f} "
            f"{r.get('native_pace_recursive_atom_steps_per_s', nan):>9.0f} "
            f"{r.get('lammps_bridge_atom_steps_per_s', nan):>8.0f} "
            f"{r.get('embedded_over_native_product', nan):>9.2f} "
            f"{r.get('embedded_over_native_recursive', nan):>8.2f}"
        )
    for r in rows:
        if "native_lmp_2rank_atom_steps_per_s" in r:
            one, two = (
                r["native_lmp_1rank_atom_steps_per_s"],
                r["native_lmp_2rank_atom_steps_per_s"],
            )
            print(
                f"native lmp (pace recursive) {r['n_atoms']} atoms, MPI: 1 rank {one:.0f}, "
                f"2 ranks {two:.0f} atom-steps/s (x{two / one:.2f})"
            )
    goal = next((r for r in rows if r["n_atoms"] == 960), {})
    if "embedded_over_native_product" in goal:
        ok = goal["embedded_over_native_product"] >= 0.8
        print(
            "embedded/native (pace product) on 960-atom Pnma: "
            f"{goal['embedded_over_native_product']:.2f} "
            f"(goal >= 0.8: {'met' if ok else 'NOT met'})"
        )
    elif "error" not in status:
        print("native ML-PACE not in this LAMMPS build: `nox -s lammps` to measure the ratio")
    if "error" in status:
        print(f"LAMMPS bridge not measured: {status['error']}")
    out = Path(os.environ.get("BENCH_OUT", "results/bench"))
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "bench_engines",
        "quick": args.quick,
        "data": data,
        "omp_num_threads": os.environ["OMP_NUM_THREADS"],
        "lammps": {k: v for k, v in status.items() if k != "packages"},
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
        },
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": rows,
    }
    (out / "bench_engines.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {out / 'bench_engines.json'}")


if __name__ == "__main__":
    main()
