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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="160 and 1 280 atoms, fewer steps (CI)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from bzs_repro.engines import ase_engine, lammps_engine
    from bzs_repro.potential import calculator, resolve_data_mode
    from bzs_repro.structures.crystal import relax_crystal

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
                    row["ase_atom_steps_per_s"] / row["native_pace_product_atom_steps_per_s"], 3)
                row["embedded_over_native_recursive"] = round(
                    row["ase_atom_steps_per_s"] / row["native_pace_recursive_atom_steps_per_s"], 3)
            os.environ.pop("BZS_REPRO_LAMMPS_PAIR", None)
            os.environ.pop("BZS_REPRO_PACE_ALGORITHM", None)
        rows.append(row)
        print(f"  {n:6d} atoms done", flush=True)

    print(
        f"\nEngines, NVE 1 fs, {data} potential ({why}); OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    )
    nan = float("nan")
    print(f"{'atoms':>7} {'steps':>6} {'ASE':>8} {'pace prod':>10} {'pace rec':>9} {'bridge':>8} "
          f"{'ASE/prod':>9} {'ASE/rec':>8}   (atom-steps/s, one core)")  # fmt: skip
    for r in rows:
        print(f"{r['n_atoms']:>7} {r['steps']:>6} {r['ase_atom_steps_per_s']:>8.0f} "
              f"{r.get('native_pace_product_atom_steps_per_s', nan):>10.0f} "
              f"{r.get('native_pace_recursive_atom_steps_per_s', nan):>9.0f} "
              f"{r.get('lammps_bridge_atom_steps_per_s', nan):>8.0f} "
              f"{r.get('embedded_over_native_product', nan):>9.2f} "
              f"{r.get('embedded_over_native_recursive', nan):>8.2f}")  # fmt: skip
    goal = next((r for r in rows if r["n_atoms"] == 960), {})
    if "embedded_over_native_product" in goal:
        ok = goal["embedded_over_native_product"] >= 0.8
        print(f"embedded/native (pace product) on 960-atom Pnma: {goal['embedded_over_native_product']:.2f} "
              f"(goal >= 0.8: {'met' if ok else 'NOT met'})")  # fmt: skip
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
