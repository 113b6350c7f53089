"""Benchmark: the fig1 fitting workflow (CHGNet labels + linear ACE) at smoke scale.

Goal (issue #4): smoke-scale data generation + fit + errors in under 10 minutes on 2 cores.
Also measures the labelling rate (structures/s) and the design-matrix + solve time, and
(without --quick) the quality MD of the committed surrogate potentials (20 ps NPT 300 K,
10 ps NVT 3000 K, 160 atoms), whose outcome is recorded in data/fixtures/surrogate.

    python benchmarks/bench_fitting.py [--quick]     # JSON into $BENCH_OUT (results/bench)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

GOAL_S = 600.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke workflow only, no quality MD")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from bzs_repro.fitting.errors import predict
    from bzs_repro.fitting.fit import calculator_from_fit
    from bzs_repro.fitting.workflow import fig1_config, run_workflow, workflow_config
    from bzs_repro.reference import get_reference

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = fig1_config("smoke")
        ref = get_reference(cfg.get("reference", "chgnet"))
        t0 = time.time()
        result = run_workflow(workflow_config(cfg), ref, Path(tmp), progress=False)
        t_wf = time.time() - t0
        t1 = time.time()
        rmse = {}
        for variant, fit in result.fits.items():
            calc = calculator_from_fit(fit, Path(tmp), variant)
            pred = predict(result.test(variant), calc, result.e0, progress=False)
            rmse[variant] = round(pred.energy_rmse_meV(), 2)
        t_err = time.time() - t1
        total = t_wf + t_err
        n = len(result.structures)
        rows.append(
            {
                "case": "smoke workflow (generate, label, iterate, fit both variants) + errors",
                "wall_s": round(total, 1),
                "goal_s": GOAL_S,
                "ok": total < GOAL_S,
                "n_structures": n,
                "n_atoms": int(sum(len(a) for a in result.structures)),
                "test_rmse_meV_atom": rmse,
                "timings_s": {k: round(v, 1) for k, v in result.timings.items()},
            }
        )
        t2 = time.time()
        sample = result.structures[: min(40, n)]
        ref.label(sample, progress=False)
        dt = time.time() - t2
        rows.append(
            {
                "case": "CHGNet labelling rate",
                "structures_per_s": round(len(sample) / dt, 1),
                "atoms_per_s": round(sum(len(a) for a in sample) / dt, 1),
            }
        )
    if not args.quick:
        from bzs_repro.fitting.workflow import quality_checks
        from bzs_repro.potential import surrogate_path
        from bzs_repro.relaxed import relax_crystal

        crystal = relax_crystal(ref.calculator(), fmax=1e-3)
        for variant in ("low-energy", "full-dataset"):
            t3 = time.time()
            q = quality_checks(surrogate_path(variant), crystal, md=True, progress=False)
            rows.append(
                {
                    "case": f"quality MD, surrogate {variant}",
                    "wall_s": round(time.time() - t3, 1),
                    **q,
                }
            )

    out = Path(os.environ.get("BENCH_OUT", "results/bench"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_fitting.json").write_text(json.dumps(rows, indent=1, default=str) + "\n")
    print(f"{'case':<62} result")
    for r in rows:
        rest = {k: v for k, v in r.items() if k != "case"}
        print(f"{r['case']:<62} {json.dumps(rest, default=str)[:200]}")


if __name__ == "__main__":
    main()
