"""Fig. 2 melt-quench at slower rates: when and why does the liquid decompose (S-S bonding)?

    python benchmarks/study_fig2_decomposition.py VARIANT [VARIANT ...] [--out DIR]
    python benchmarks/study_fig2_decomposition.py --list

Each variant is one MD protocol on the 640-atom start of the issue (4x4x2 Pnma cells strained
into a cube), run with the project's engines; a frame every ``frame_ps`` is analysed for the
S-S bonded fraction (S atoms with another S closer than SS_BOND_A), CN(Zr) (S within 3.1 A)
and density, so the moment the decomposition starts is visible. Output: DIR/VARIANT.csv
(time series) and DIR/summary.csv (last frame). Not a test: minutes to tens of minutes each
(native LAMMPS + ML-PACE: --engine lammps with BZS_REPRO_LAMMPS_PREFIX set).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from bzs_repro.analysis.amorphous import SS_BOND_A, structure_summary
from bzs_repro.engines import get_engine
from bzs_repro.engines.base import SimulationFailed
from bzs_repro.potential import calculator
from bzs_repro.protocols import MDProtocol, MDStage, meltquench_protocol, quench_time_ps
from bzs_repro.relaxed import relax_crystal
from bzs_repro.structures.amorphous import start_configuration

BASE = {  # the run: fig2 smoke settings changed to 640 atoms, 1e14 K/s
    "n_atoms": 640,
    "crystal_reps": [4, 4, 2],
    "start_box": "cubic",
    "T_melt_K": 3500.0,
    "T_liquid_K": 3000.0,
    "T_final_K": 300.0,
    "pressure_GPa": 0.0,
    "dt_fs": 2.0,
    "tdamp_fs": 100.0,
    "pdamp_fs": 1000.0,
    "barostat": "iso",
    "melt_ps": 4.0,
    "liquid_ps": 4.0,
    "quench_rate_K_per_s": 1e14,
    "equil_ps": 6.0,
    "seed": 1,
    "thermo_every": 50,
    "checkpoint_every": 500,
}


def _md(cfg: dict, stages: tuple[MDStage, ...]) -> MDProtocol:
    """The study's protocol: ``stages`` with fig2's dt and damping, velocities at the first
    stage's temperature, iso barostat."""
    return MDProtocol(
        stages,
        dt_fs=cfg["dt_fs"],
        tdamp_fs=cfg["tdamp_fs"],
        pdamp_fs=cfg["pdamp_fs"],
        seed=cfg["seed"],
        thermo_every=50,
        checkpoint_every=500,
        initial_T_K=stages[0].T_start_K,
        barostat="iso",
    )


def _hot(cfg: dict, ensemble: str, T: float, ps: float) -> MDProtocol:
    return _md(cfg, (MDStage("hold", ensemble, ps, T, pressure_GPa=0.0),))


VARIANTS = {
    # the liquid stages of the protocol: NVT 3500 K melt, then NPT 3000 K, 0 GPa
    "npt3000": lambda c: _hot(c, "npt", 3000.0, 8.0),
    "nvt3000": lambda c: _hot(c, "nvt", 3000.0, 8.0),  # at the start's (crystal) density
    "npt2500": lambda c: _hot(c, "npt", 2500.0, 8.0),
    "npt2000": lambda c: _hot(c, "npt", 2000.0, 8.0),
    "npt3000-full": lambda c: _hot(c, "npt", 3000.0, 8.0),  # full-dataset potential
    # whole melt-quench protocols
    "issue-1e14": lambda c: meltquench_protocol(c),
    "issue-1e15": lambda c: meltquench_protocol(c, 1e15),
}


def _protocol(name: str, cfg: dict) -> MDProtocol:
    if name in VARIANTS:
        return VARIANTS[name](cfg)
    # "mq:T_LIQ:RATE[:MELT_PS]": NVT melt at T_LIQ, NPT quench from T_LIQ at RATE (K/s)
    if name.startswith("mq:"):
        parts = name.split(":")[1:]
        t_liq, rate = float(parts[0]), float(parts[1])
        melt = float(parts[2]) if len(parts) > 2 else 4.0
        st = (
            MDStage("melt", "nvt", melt, t_liq),
            MDStage("quench", "npt", quench_time_ps(t_liq, 300.0, rate), t_liq, 300.0),
            MDStage("equilibrate", "npt", cfg["equil_ps"], 300.0),
        )
        return _md(cfg, st)
    # "seq:STAGE,STAGE,...", STAGE = ENS@T x PS (hold) or ENS@T1-T2 r RATE (ramp at RATE K/s),
    # e.g. seq:nvt@3500x4,npt@2500x8 or
    # seq:nvt@3500x4,nvt@3500-2000r1e14,npt@2000-300r1e14,npt@300x6
    if name.startswith("seq:"):
        import re

        stages = []
        for k, spec in enumerate(name[4:].split(",")):
            m = re.fullmatch(r"(nvt|npt)@([\d.]+)(?:-([\d.]+))?(?:x([\d.]+)|r([\d.e+]+))", spec)
            if m is None:
                raise SystemExit(f"bad stage {spec!r} in {name!r}")
            ens, t1, t2, ps, rate = m.groups()
            t1f, t2f = float(t1), float(t2 or t1)
            time_ps = float(ps) if ps else quench_time_ps(t1f, t2f, float(rate))
            stages.append(MDStage(f"s{k}-{ens}", ens, time_ps, t1f, t2f if t2 else None))
        return _md(cfg, tuple(stages))
    msg = (
        f"unknown variant {name!r}; known: {', '.join(VARIANTS)}, mq:T_LIQ:RATE[:MELT_PS], seq:..."
    )
    raise SystemExit(msg)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("variants", nargs="*")
    p.add_argument("--list", action="store_true")
    p.add_argument("--engine", default="lammps")
    p.add_argument("--data", default="paper")
    p.add_argument("--frame-ps", type=float, default=0.5)
    p.add_argument("--dt-fs", type=float, default=None, help="time step (default 2 fs, fig2's)")
    p.add_argument("--tdamp-fs", type=float, default=None, help="thermostat time constant (100 fs)")
    p.add_argument("--prerelax", action="store_true", help="300 FIRE steps at fixed cell first")
    p.add_argument(
        "--expand-pct",
        type=float,
        default=0.0,
        help="expand the start box by this volume percentage (the training data's "
        "NVT melts: 5-20 %%)",
    )
    p.add_argument("--out", type=Path, default=Path("results/study-fig2"))
    a = p.parse_args(argv)
    if a.list or not a.variants:
        print("\n".join([*VARIANTS, "mq:T_LIQ:RATE[:MELT_PS]"]))
        return 0
    from ase.io import read

    engine = get_engine(a.engine)
    a.out.mkdir(parents=True, exist_ok=True)
    for name in a.variants:
        cfg = dict(BASE)
        cfg["dt_fs"] = a.dt_fs or cfg["dt_fs"]
        cfg["tdamp_fs"] = a.tdamp_fs or cfg["tdamp_fs"]
        variant = "full-dataset" if name.endswith("-full") else "low-energy"
        calc = calculator(variant, a.data)
        crystal = relax_crystal(calculator("low-energy", a.data))
        atoms = start_configuration(
            "melted-crystal",
            cfg["n_atoms"],
            crystal=crystal,
            reps=tuple(cfg["crystal_reps"]),
            cubic=True,
        )
        if a.expand_pct:
            atoms.set_cell(atoms.cell * (1 + a.expand_pct / 100) ** (1 / 3), scale_atoms=True)
        if a.prerelax:  # as fig2 does for a strained (cubic) or random start
            from bzs_repro.protocols import Relax

            atoms = engine.relax(atoms, calc, Relax(fmax=0.5, max_steps=300)).atoms
        proto = _protocol(name, cfg)
        every = max(1, round(a.frame_ps * 1000 / proto.dt_fs))
        wd = a.out / (
            name.replace(":", "_").replace(",", "_").replace("@", "")
            + (f"-expand{a.expand_pct:g}" if a.expand_pct else "")
            + ("-prerelax" if a.prerelax else "")
            + (f"-dt{a.dt_fs:g}" if a.dt_fs else "")
            + (f"-tdamp{a.tdamp_fs:g}" if a.tdamp_fs else "")
        )
        t0 = time.time()
        try:
            res = engine.run_md(atoms, calc, proto, workdir=wd, label=name, trajectory_every=every)
        except SimulationFailed as err:  # the paper's failure criterion: a result of the study
            res = None
            failure = str(err)
        thermo = {r["step"]: r for r in (res.thermo if res else [])}
        rows = []
        traj = wd / "trajectory.extxyz"
        for k, frame in enumerate(read(traj, index=":") if traj.is_file() else []):
            step = (k + 1) * every
            s = structure_summary(frame, backend="ase")
            th = thermo.get(step, {})
            rows.append(
                {
                    "step": step,
                    "time_ps": step * proto.dt_fs / 1000,
                    "stage": th.get("stage"),
                    "T_K": round(th.get("T_K", float("nan")), 1),
                    "density_g_cm3": round(s["density_g_cm3"], 4),
                    "ss_bonded_fraction": round(s["ss_bonded_fraction"], 4),
                    "cn_zr_mean": round(s["cn_zr_mean"], 3),
                    "zrs_bond_mean_A": round(s["zrs_bond_mean_A"], 4),
                }
            )
        with open(wd.with_suffix(".csv"), "w", newline="") as fd:
            if not rows:
                rows = [{"step": 0}]
            w = csv.DictWriter(fd, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        if res is None:
            summary = {
                "variant": name,
                "expand_pct": a.expand_pct,
                "potential": variant,
                "engine": a.engine,
                "wall_s": round(time.time() - t0),
                "FAILED": failure,
                "last_frame": rows[-1] if rows else None,
            }
            with open(a.out / "summary.jsonl", "a") as fd:
                fd.write(json.dumps(summary) + "\n")
            print(json.dumps(summary), flush=True)
            continue
        last = structure_summary(res.atoms, backend="ase")
        summary = {
            "variant": name,
            "expand_pct": a.expand_pct,
            "prerelax": a.prerelax,
            "dt_fs": cfg["dt_fs"],
            "tdamp_fs": cfg["tdamp_fs"],
            "potential": variant,
            "engine": a.engine,
            "n_atoms": len(res.atoms),
            "wall_s": round(time.time() - t0),
            "density_g_cm3": round(last["density_g_cm3"], 3),
            "cn_zr_mean": round(last["cn_zr_mean"], 2),
            "cn_zr_fractions": {k: round(v, 3) for k, v in last["cn_zr_fractions"].items()},
            "zrs_bond_mean_A": round(last["zrs_bond_mean_A"], 3),
            f"ss_bonded_fraction(<{SS_BOND_A} A)": round(last["ss_bonded_fraction"], 3),
        }
        with open(a.out / "summary.jsonl", "a") as fd:
            fd.write(json.dumps(summary) + "\n")
        print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
