"""Engines side by side: atom-steps per second of the ASE engine and the LAMMPS pyace bridge.

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

SIZES = {160: (2, 2, 2), 1280: (4, 4, 4), 10240: (8, 8, 8)}
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
            bridge = lammps_engine.throughput_atom_steps_per_s(atoms, calc, steps=steps)
            row["lammps_bridge_atom_steps_per_s"] = round(bridge, 1)
            row["bridge_over_ase"] = round(bridge / row["ase_atom_steps_per_s"], 3)
        rows.append(row)
        print(f"  {n:6d} atoms done", flush=True)

    print(
        f"\nEngines, NVE 1 fs, {data} potential ({why}); OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    )
    print(
        f"{'atoms':>7} {'steps':>6} {'ASE atom-steps/s':>17} {'LAMMPS bridge':>14} {'bridge/ASE':>10}"
    )
    for r in rows:
        b = r.get("lammps_bridge_atom_steps_per_s", float("nan"))
        print(f"{r['n_atoms']:>7} {r['steps']:>6} {r['ase_atom_steps_per_s']:>17.0f} {b:>14.0f} "
              f"{r.get('bridge_over_ase', float('nan')):>10.2f}")  # fmt: skip
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
