"""Starting configurations for the melt-quench, and the authors' published amorphous model.

Two starts, as compared in the paper's SI Table S4:
- ``melted-crystal``: a Pnma supercell (the paper's 10 240 atoms are 8 x 8 x 8 cells, and the
  authors' amorphous box has the 8 x 8 x 8 aspect ratio), melted by the protocol itself.
- ``random``: atoms placed uniformly at random in a cubic box at a set density, rejecting
  any position closer than ``min_distance`` to an already placed atom.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase import Atoms

from bzs_repro.measures import AMU_G
from bzs_repro.potential import MASSES
from bzs_repro.structures.crystal import bazrs3_pnma

STARTS = ("melted-crystal", "random")


def crystal_supercell(reps: tuple[int, int, int], crystal: Atoms | None = None) -> Atoms:
    """``reps`` repetitions of the 20-atom Pnma cell (default: the room-temperature lattice)."""
    base = (crystal if crystal is not None else bazrs3_pnma()).copy()
    base.calc = None
    return base * tuple(int(r) for r in reps)


# Closest approach per pair of species in a random start (Angstrom; AIRSS-style MINSEP): ~0.85x
# the Pnma crystal's shortest distances (S-S 3.4, Zr-S 2.5, Ba-S 3.1, Zr-Zr 4.9, Ba-Zr 3.8 A).
# A random start with S-S pairs closer than this seeds S-S bonding, where the paper's
# low-energy ACE has a spurious basin 0.8 eV/atom below the crystal (docs/fig2-quench-rate.md).
RANDOM_MIN_DISTANCE_A = {
    ("S", "S"): 2.7,
    ("Zr", "S"): 2.2,
    ("Ba", "S"): 2.6,
    ("Zr", "Zr"): 3.2,
    ("Ba", "Zr"): 3.2,
    ("Ba", "Ba"): 3.4,
}


def _pair_table(min_distance: float | dict | None, species: list[str]) -> np.ndarray:
    """Matrix of the closest approach between species indices (Angstrom)."""
    table = RANDOM_MIN_DISTANCE_A if min_distance is None else min_distance
    out = np.empty((len(species), len(species)))
    for a, sa in enumerate(species):
        for b, sb in enumerate(species):
            if isinstance(table, dict):
                out[a, b] = table.get((sa, sb), table.get((sb, sa), 0.0))
            else:
                out[a, b] = float(table)
    return out


def random_start(
    n_formula_units: int,
    density_g_cm3: float,
    seed: int = 0,
    min_distance: float | dict | None = None,
    max_tries: int = 5000,
) -> Atoms:
    """Ba(n) Zr(n) S(3n) placed at random in a cubic periodic box of the given density, no
    pair closer than ``min_distance`` (one number for all pairs, or {(A, B): d}; default
    :data:`RANDOM_MIN_DISTANCE_A`).

    Rejection sampling with the minimum-image distance to all atoms placed so far
    (hand-written because ASE has no random packer; O(N^2), fine up to ~10^4 atoms).
    Raises ValueError when an atom cannot be placed in ``max_tries`` attempts.
    """
    if n_formula_units < 1 or density_g_cm3 <= 0:
        msg = f"need n_formula_units >= 1 and density > 0 (got {n_formula_units}, {density_g_cm3})"
        raise ValueError(msg)
    symbols = ["Ba"] * n_formula_units + ["Zr"] * n_formula_units + ["S"] * (3 * n_formula_units)
    mass_g = sum(MASSES[s] for s in symbols) * AMU_G
    length = (mass_g / density_g_cm3 * 1e24) ** (1.0 / 3.0)  # Angstrom
    rng = np.random.default_rng(seed)
    # the cations (largest exclusion) first, each species in random positions: denser packing
    # than a random order before random sequential placement jams (at ~4.2 g/cm3 here)
    species = sorted(set(symbols))
    kind = np.array([species.index(x) for x in symbols])
    dmin2 = _pair_table(min_distance, species) ** 2
    pos = np.empty((len(symbols), 3))
    for k in range(len(symbols)):
        need = dmin2[kind[k], kind[:k]]
        for _ in range(max_tries):
            trial = rng.random(3) * length
            d = pos[:k] - trial
            d -= length * np.round(d / length)
            if k == 0 or np.all(np.einsum("ij,ij->i", d, d) >= need):
                pos[k] = trial
                break
        else:
            msg = (
                f"could not place atom {k + 1}/{len(symbols)} ({symbols[k]}) at the minimum "
                f"distances from the others at {density_g_cm3} g/cm3; lower min_distance or "
                "the density"
            )
            raise ValueError(msg)
    atoms = Atoms(symbols, positions=pos, cell=[length] * 3, pbc=True)
    atoms.set_masses([MASSES[s] for s in atoms.get_chemical_symbols()])
    return atoms


def to_cube(atoms: Atoms) -> Atoms:
    """``atoms`` affinely strained into a cubic box of the same volume (a crystal start whose
    box no longer fits the crystal, so that a small melt cannot recrystallise in register)."""
    out = atoms.copy()
    out.set_cell([atoms.get_volume() ** (1.0 / 3.0)] * 3, scale_atoms=True)
    return out


def start_configuration(
    kind: str,
    n_atoms: int,
    density_g_cm3: float = 4.0,
    seed: int = 0,
    crystal: Atoms | None = None,
    reps: tuple[int, int, int] | None = None,
    cubic: bool = False,
) -> Atoms:
    """The melt-quench start ``kind`` ('melted-crystal' or 'random') with ``n_atoms`` atoms.

    For 'melted-crystal', ``reps`` (cells along a, b, c) must give 20 * prod(reps) == n_atoms;
    ``cubic`` strains that supercell into a cube of the same volume (see :func:`to_cube`).
    """
    if kind not in STARTS:
        msg = f"unknown start configuration {kind!r}; choose from {STARTS}"
        raise ValueError(msg)
    if n_atoms % 5:
        msg = f"{n_atoms} atoms is not a whole number of BaZrS3 formula units"
        raise ValueError(msg)
    if kind == "random":
        return random_start(n_atoms // 5, density_g_cm3, seed=seed)
    if reps is None or 20 * int(np.prod(reps)) != n_atoms:
        msg = f"melted-crystal start: reps {reps} do not give {n_atoms} atoms (20 per cell)"
        raise ValueError(msg)
    sc = crystal_supercell(tuple(reps), crystal)
    return to_cube(sc) if cubic else sc


def read_authors_model(path: Path) -> Atoms:
    """The authors' amorphous extxyz, wrapped into its periodic box
    (:func:`bzs_repro.io.authors.read_authors_extxyz`)."""
    from bzs_repro.io.authors import read_authors_extxyz

    return read_authors_extxyz(path)
