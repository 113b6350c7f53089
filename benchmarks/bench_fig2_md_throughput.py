"""Throughput of the embedded MD engine (ASE + pyace, paper's low-energy ACE) for Fig. 2.

Atom-steps per second at 160, 1 280 and 10 240 atoms (the smoke, ~reduced and paper sizes
of the amorphous model), NVE velocity Verlet and NPT LangevinBAOAB (the melt-quench's
integrator), so the cost of each scale is predictable; fig2 prints its estimate from the
same measurement before a long run starts. Writes BENCH_OUT/bench_fig2_md_throughput.json.

    python benchmarks/bench_fig2_md_throughput.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

SIZES = {160: (2, 2, 2), 1280: (4, 4, 4), 10240: (8, 8, 8)}


def npt_throughput(atoms, calc, steps: int) -> float:
    from ase import units
    from ase.md.langevinbaoab import LangevinBAOAB
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    atoms = atoms.copy()
    atoms.calc = calc
    MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.default_rng(0))
    dyn = LangevinBAOAB(
        atoms,
        2 * units.fs,
        temperature_K=300,
        externalstress=0.0,
        hydrostatic=True,
        T_tau=100 * units.fs,
        P_tau=1000 * units.fs,
        rng=np.random.default_rng(1),
    )
    dyn.run(1)
    t = time.perf_counter()
    dyn.run(steps)
    return len(atoms) * steps / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps (CI)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from bzs_repro.engines.ase_engine import throughput_atom_steps_per_s
    from bzs_repro.potential import calculator
    from bzs_repro.structures.amorphous import crystal_supercell

    calc = calculator("low-energy", "paper")
    rows = []
    for n, reps in SIZES.items():
        steps = max(2, (2000 if not args.quick else 300) // (n // 160) ** 1)
        atoms = crystal_supercell(reps)
        nve = throughput_atom_steps_per_s(atoms, calc, steps=steps)
        npt = npt_throughput(atoms, calc, steps)
        rows.append(
            {
                "n_atoms": n,
                "steps": steps,
                "nve_atom_steps_per_s": round(nve, 1),
                "npt_atom_steps_per_s": round(npt, 1),
            }
        )
    print(f"{'atoms':>7} {'steps':>6} {'NVE atom-steps/s':>17} {'NPT atom-steps/s':>17}")
    for r in rows:
        print(
            f"{r['n_atoms']:>7} {r['steps']:>6} {r['nve_atom_steps_per_s']:>17.0f} "
            f"{r['npt_atom_steps_per_s']:>17.0f}"
        )
    out = Path(os.environ.get("BENCH_OUT", "results/bench"))
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "fig2_md_throughput",
        "engine": "ase+pyace",
        "potential": "paper low-energy ACE",
        "threads": os.environ.get("OMP_NUM_THREADS"),
        "cpu": platform.processor() or platform.machine(),
        "quick": args.quick,
        "rows": rows,
    }
    (out / "bench_fig2_md_throughput.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
