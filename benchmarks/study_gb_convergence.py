"""E_GBf of two boundaries against grain thickness and force tolerance (Fig. 3's reduced scale).

    python benchmarks/study_gb_convergence.py [--engine lammps|ase] [--out FILE.md]

The fig3 recipe (reproduce/fig3/config.toml: FIRE, positions + the cell length normal to the
boundary, E_GBf = (E - N_fu e_fu) / 2A against the relaxed crystal) for Sigma31 (u = 2a + c)
and the 9.5 degree low-angle boundary (u = 6a + c), each at several grain thicknesses and
force tolerances, with the paper's low-energy ACE. Writes a Markdown table (default
docs/data/gb-convergence.md) and prints it. Not a test: minutes with native LAMMPS.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

THICKNESS_A = (6.0, 10.0, 15.0, 25.0, 35.0)
FMAX = (0.25, 0.05, 0.01)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--engine", default="lammps")
    p.add_argument("--out", type=Path, default=Path("docs/data/gb-convergence.md"))
    a = p.parse_args(argv)
    from bzs_repro.analysis.gb_energy import BulkReference, gb_energy
    from bzs_repro.engines import get_engine
    from bzs_repro.potential import calculator
    from bzs_repro.protocols import Relax
    from bzs_repro.relaxed import relax_crystal
    from bzs_repro.structures import gb

    engine = get_engine(a.engine)
    calc = calculator("low-energy", "paper")
    crystal = relax_crystal(calc)
    bulk = BulkReference.from_crystal(crystal)
    la, _, lc = crystal.cell.lengths()
    boundaries = {"Sigma31": gb.find_sigma(31, la, lc), "9.5 deg": gb.low_angle(9.5, la, lc)}
    rows = []
    for name, choice in boundaries.items():
        for t in THICKNESS_A:
            at0 = gb.build_bicrystal(crystal, choice, t).atoms
            for fmax in FMAX:
                proto = Relax(fmax=fmax, max_steps=5000, cell="normal", normal_axis=1)
                t0 = time.time()
                res = engine.relax(at0, calc, proto)
                rows.append(
                    (
                        name,
                        t,
                        len(at0),
                        fmax,
                        res.steps,
                        res.converged,
                        gb_energy(res.atoms, res.energy_eV, bulk),
                        time.time() - t0,
                    )
                )
                print(rows[-1], flush=True)
    head = (
        "| boundary | grain thickness (A) | atoms | fmax (eV/A) | steps | converged "
        "| E_GBf (J/m2) | wall (s) |"
    )
    intro = (
        "E_GBf (J/m2) of two [001] tilt boundaries against grain thickness and fmax, paper's "
        f"low-energy ACE, engine {a.engine}, FIRE (positions + normal cell length), 2026-12-08 "
        "(`benchmarks/study_gb_convergence.py`)."
    )
    lines = [intro, "", head, "|---|---:|---:|---:|---:|---|---:|---:|"]
    for name, t, n, fmax, steps, conv, e, wall in rows:
        lines.append(
            f"| {name} | {t:g} | {n} | {fmax:g} | {steps} | {conv} | {e:.4f} | {wall:.0f} |"
        )
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
