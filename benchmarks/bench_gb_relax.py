"""Relaxation time of a ~1000-atom [001] tilt GB cell (Sigma31) with the embedded engine.

The paper: a ~1000-atom GB cell relaxes in seconds on a 128-core node (LAMMPS). Here: ASE
FIRE + pyace, positions + the cell length normal to the boundary, fmax 0.05 eV/A, BLAS
limited to one thread. Writes $BENCH_OUT/bench_gb_relax.json (default results/bench).

    python benchmarks/bench_gb_relax.py [--quick]     # --quick: ~300 atoms, fmax 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="~300 atoms, fmax 0.1 (CI)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    from threadpoolctl import threadpool_limits

    from bzs_repro.analysis.gb_energy import BulkReference, gb_energy
    from bzs_repro.engines.ase_engine import relax
    from bzs_repro.potential import calculator, resolve_data_mode
    from bzs_repro.protocols import Relax
    from bzs_repro.relaxed import relax_crystal
    from bzs_repro.structures import gb

    data, _ = resolve_data_mode("auto")
    calc = calculator("low-energy", data)
    crystal = relax_crystal(calc)
    bulk = BulkReference.from_crystal(crystal)
    a, _, c = crystal.cell.lengths()
    thickness, fmax = (10.0, 0.1) if args.quick else (32.0, 0.05)
    bc = gb.build_bicrystal(crystal, gb.find_sigma(31, a, c), thickness)
    t0 = time.perf_counter()
    with threadpool_limits(1):
        res = relax(bc.atoms, calc, Relax(fmax=fmax, max_steps=3000, cell="normal", normal_axis=1))
    wall = time.perf_counter() - t0
    out = {
        "benchmark": "gb_relax",
        "data": data,
        "natoms": len(res.atoms),
        "fmax_eV_A": fmax,
        "steps": res.steps,
        "converged": res.converged,
        "wall_s": round(wall, 2),
        "s_per_step": round(wall / max(res.steps, 1), 4),
        "egb_J_m2": round(gb_energy(res.atoms, res.energy_eV, bulk), 4),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }
    print(json.dumps(out, indent=2))
    dest = Path(os.environ.get("BENCH_OUT", "results/bench"))
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "bench_gb_relax.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
