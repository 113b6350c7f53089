"""``bzs-repro build gb|polycrystal``: structures for the user's own studies, written as extxyz
(nothing half-written), built on the paper potential's relaxed crystal where it is available."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ase import Atoms

from bzs_repro.structures.gb import build_bicrystal, find_sigma, low_angle
from bzs_repro.structures.polycrystal import (
    build_polycrystal,
    composition_report,
    random_params,
    read_atomsk_params,
    write_atomsk_params,
)

log = logging.getLogger(__name__)


def _lattice_crystal(lattice) -> Atoms:
    from bzs_repro.structures.crystal import bazrs3_pnma

    if lattice:
        return bazrs3_pnma(*lattice)
    try:  # the paper potential's relaxed crystal when available
        from bzs_repro.potential import calculator
        from bzs_repro.relaxed import relax_crystal

        return relax_crystal(calculator("low-energy", "paper"))
    except Exception as err:  # noqa: BLE001 - fall back to the room-temperature lattice
        log.warning("paper potential unavailable (%s): using the room-temperature lattice", err)
        return bazrs3_pnma()


def build_gb(args) -> int:
    """`bzs-repro build gb (--grain-rotation DEG | --misorientation DEG | --sigma N)
    [--lattice a b c] --out FILE`.

    --grain-rotation: each grain rotated by +-DEG (the paper's low-angle labels);
    --misorientation: the angle between the grains (2 x the grain rotation); the boundary is
    built unrelaxed with grains of --thickness Angstrom (default 20); --lattice a b c (Pnma,
    b = tilt axis)."""
    from ase.io import write

    crystal = _lattice_crystal(getattr(args, "lattice", None))
    crystal.calc = None
    a, _, c = crystal.cell.lengths()
    if getattr(args, "sigma", None):
        choice = find_sigma(int(args.sigma), a, c)
    elif getattr(args, "grain_rotation", None) is not None:
        choice = low_angle(float(args.grain_rotation), a, c)
    else:  # the misorientation is twice each grain's rotation
        choice = low_angle(float(args.misorientation) / 2.0, a, c)
    bc = build_bicrystal(crystal, choice, thickness_A=float(getattr(args, "thickness", 20.0)))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.extxyz")  # nothing half-written
    try:
        write(tmp, bc.atoms, format="extxyz")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    print(bc.describe())
    print(f"wrote {out}")
    return 0


def default_seed(lattice=None, data: str = "auto") -> tuple[Atoms, str]:
    """The seed unit cell and a sentence saying what it is: ``bazrs3_pnma(*lattice)`` when
    ``lattice`` is given, else the crystal relaxed with the potential in use (full-dataset
    ACE where available, else low-energy)."""
    from bzs_repro.relaxed import relax_crystal, relaxation_calculator
    from bzs_repro.structures.crystal import bazrs3_pnma

    if lattice is not None:
        return bazrs3_pnma(*lattice), f"Pnma cell with a,b,c = {tuple(lattice)} A (given)"
    _variant, calc = relaxation_calculator(data)
    seed = relax_crystal(calc)
    abc = ", ".join(f"{v:.4f}" for v in seed.cell.lengths())
    return seed, f"Pnma crystal relaxed with {calc.bzs_label} ACE: a,b,c = {abc} A"


def build_polycrystal_cmd(args) -> int:
    """``bzs-repro build polycrystal``: build, write extxyz (+ parameter file), print report."""
    if args.atomsk_params is not None:
        params = read_atomsk_params(args.atomsk_params)
        origin = f"Atomsk parameters {args.atomsk_params}"
    else:
        if args.box is None:
            raise ValueError("--grains needs --box L (Angstrom)")
        params = random_params(args.grains, args.box, args.seed)
        origin = f"random: {args.grains} grains, box {args.box} A, seed {args.seed}"
    seed, seed_text = default_seed(args.lattice)
    atoms = build_polycrystal(params, seed)
    atoms.info["polycrystal_origin"] = origin
    atoms.info["polycrystal_seed"] = seed_text
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.extxyz")  # nothing half-written
    try:
        atoms.write(tmp, format="extxyz")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    par = write_atomsk_params(
        params, out.with_name(out.stem + "_param.txt"), f"bzs-repro (seed {args.seed})"
    )
    print(f"{len(atoms)} atoms, {params.n_grains} grains ({origin}); seed: {seed_text}")
    print(
        f"removed {atoms.info['polycrystal_removed_close']} atoms closer than "
        f"{atoms.info['polycrystal_min_distance_A']} A across GBs and "
        f"{atoms.info['polycrystal_removed_balance']} to keep BaZrS3 stoichiometry"
    )
    for row in composition_report(atoms):
        print("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    print(f"wrote {out} and {par}")
    return 0
