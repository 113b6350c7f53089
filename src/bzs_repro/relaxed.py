"""Structures relaxed with a potential: where structures/ (atoms), potential.py (calculators)
and the optimisers meet. The pipelines and the build commands use it; structures/ itself
builds atoms and never chooses a potential or relaxes."""

from __future__ import annotations

import logging

from ase import Atoms

from bzs_repro.structures.crystal import bazrs3_pnma

log = logging.getLogger(__name__)


def relax_crystal(calc, atoms: Atoms | None = None, fmax: float = 1e-4, steps: int = 1000) -> Atoms:
    """Relax positions and the (orthorhombic) cell of the crystal at zero pressure.

    Uses ASE's BFGS on a FrechetCellFilter with the shear components masked, so the cell
    stays orthorhombic. Returns a new Atoms with the calculator attached.
    """
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS

    atoms = (atoms or bazrs3_pnma()).copy()
    atoms.calc = calc
    filt = FrechetCellFilter(atoms, mask=[1, 1, 1, 0, 0, 0])
    BFGS(filt, logfile=None).run(fmax=fmax, steps=steps)
    return atoms


def relax_crystal_strained(
    calc, b_A: float, atoms: Atoms | None = None, fmax: float = 1e-4, steps: int = 1000
) -> Atoms:
    """The crystal with its b axis (the GB cells' tilt axis) held at ``b_A`` Angstrom, positions
    and the a, c lengths relaxed at zero stress (the bulk a strained cell is compared with)."""
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS

    atoms = (atoms or relax_crystal(calc)).copy()
    cell = atoms.cell.array.copy()
    cell[1] *= b_A / atoms.cell.lengths()[1]
    atoms.set_cell(cell, scale_atoms=True)
    atoms.calc = calc
    filt = FrechetCellFilter(atoms, mask=[1, 0, 1, 0, 0, 0])
    BFGS(filt, logfile=None).run(fmax=fmax, steps=steps)
    return atoms


def relaxation_calculator(data: str = "auto"):
    """(variant, calculator): the full-dataset ACE where available (paper's choice for
    polycrystals), else the low-energy one (logged; the pipeline reports which). A file that
    exists but is refused (checksum, malformed) is an error, never a reason to switch."""
    from bzs_repro.data.registry import DataUnavailableError
    from bzs_repro.potential import calculator, resolve_data_mode

    reasons = []
    for variant in ("full-dataset", "low-energy"):
        try:
            mode, _ = resolve_data_mode(data, variant)
            return variant, calculator(variant, mode)
        except DataUnavailableError as err:  # absent, not refused: fall back, loudly
            log.warning("%s ACE unavailable (%s)", variant, err)
            reasons.append(f"{variant}: {err}")
    raise RuntimeError("no ACE potential available: " + "; ".join(reasons))
