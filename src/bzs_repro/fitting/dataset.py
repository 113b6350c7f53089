"""Training-set generator following the paper's recipe (FACTS.md, "The potential").

Structure families and their ``config_type`` labels (as in the authors' data set):

- ``bulk``: random structures at the BaZrS3 composition (random cell, random positions with a
  minimum interatomic distance), the RSS part of the paper's data;
- ``dimer``: isolated pairs of every species combination in a large box;
- ``crys``: the Pnma crystal, strained and rattled;
- ``MD``: snapshots of hot NVT MD (3500-4500 K at 5-20 % expanded volume), driven by the
  reference (iteration 0) or by the previous ACE iteration (iteration >= 1);
- ``npt``: snapshots of NPT melt-quench runs;
- ``crys-amorph``: crystal-amorphous interfaces (half of a crystal supercell molten with the
  other half held fixed).

Every structure carries ``info["config_type"]`` and ``info["iteration"]``; the labels are
attached by a :mod:`bzs_repro.reference` labeller. Output is extxyz (:func:`write_dataset`).
Lengths in Angstrom, temperatures in K, densities in g/cm3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms, units
from ase.geometry import get_distances

from bzs_repro.fitting._tables import dataclass_from_table
from bzs_repro.measures import AMU_G, density_g_cm3
from bzs_repro.potential import MASSES, SPECIES

CONFIG_TYPES = ("bulk", "dimer", "crys", "MD", "npt", "crys-amorph")
FORMULA = {"Ba": 1, "Zr": 1, "S": 3}


def _with_masses(atoms: Atoms) -> Atoms:
    atoms.set_masses([MASSES[s] for s in atoms.get_chemical_symbols()])
    return atoms


def _tag(atoms: Atoms, config_type: str, iteration: int, **info) -> Atoms:
    atoms.info["config_type"] = config_type
    atoms.info["iteration"] = int(iteration)
    atoms.info.update(info)
    return atoms


def random_structure(
    rng: np.random.Generator,
    formula_units: int = 4,
    density_g_cm3: float = 4.0,
    min_distance: float = 2.0,
    max_tries: int = 2000,
) -> Atoms:
    """One random BaZrS3 structure: a random triclinic cell (angles 75-105 deg, axis ratios
    up to 1.5) of the given density, atoms inserted at random with every pair at least
    ``min_distance`` Angstrom apart (periodic images included)."""
    symbols = [s for s, n in FORMULA.items() for _ in range(n * formula_units)]
    rng.shuffle(symbols)
    mass_g = sum(MASSES[s] for s in symbols) * AMU_G
    volume = mass_g / density_g_cm3 * 1e24  # A^3
    for _ in range(50):
        lengths = rng.uniform(1.0, 1.5, 3)
        angles = np.radians(rng.uniform(75.0, 105.0, 3))
        from ase.geometry import cellpar_to_cell

        cell = cellpar_to_cell([*lengths, *np.degrees(angles)])
        scale = (volume / abs(np.linalg.det(cell))) ** (1 / 3)
        cell = cell * scale
        positions: list[np.ndarray] = []
        for _s in symbols:
            for _try in range(max_tries):
                p = rng.random(3) @ cell
                if not positions:
                    break
                _, d = get_distances(p, np.array(positions), cell=cell, pbc=True)
                if d.min() >= min_distance:
                    break
            else:
                break  # too dense for this cell: draw a new one
            positions.append(p)
        if len(positions) == len(symbols):
            return _with_masses(Atoms(symbols, positions=positions, cell=cell, pbc=True))
    msg = f"no random structure with min distance {min_distance} A at {density_g_cm3} g/cm3"
    raise RuntimeError(msg)


def random_structures(
    n: int,
    rng: np.random.Generator,
    formula_units: Sequence[int] = (2, 4),
    density_range: tuple[float, float] = (3.0, 4.6),
    min_distance: float = 2.0,
    iteration: int = 0,
) -> list[Atoms]:
    """``n`` random structures (config_type ``bulk``), density drawn uniformly in g/cm3."""
    out = []
    for _ in range(n):
        fu = int(rng.choice(formula_units))
        rho = rng.uniform(*density_range)
        out.append(_tag(random_structure(rng, fu, rho, min_distance), "bulk", iteration))
    return out


def dimers(distances: Sequence[float], box: float = 20.0, iteration: int = 0) -> list[Atoms]:
    """Pairs of every species combination at ``distances`` (A) in a cubic box of side ``box``."""
    out = []
    pairs = [(a, b) for i, a in enumerate(SPECIES) for b in SPECIES[i:]]
    for a, b in pairs:
        for d in distances:
            atoms = Atoms([a, b], positions=[[0, 0, 0], [d, 0, 0]], cell=[box] * 3, pbc=True)
            atoms.center()
            out.append(_tag(_with_masses(atoms), "dimer", iteration, pair=f"{a}-{b}", distance=d))
    return out


def crystal_variants(
    crystal: Atoms,
    n: int,
    rng: np.random.Generator,
    strain_max: float = 0.06,
    rattle_A: float = 0.08,
    supercells: Sequence[tuple[int, int, int]] = ((1, 1, 1),),
    iteration: int = 0,
) -> list[Atoms]:
    """The crystal itself plus ``n`` strained (random symmetric strain, each component up to
    ``strain_max``) and rattled (Gaussian, ``rattle_A`` A) copies (config_type ``crys``)."""
    out = [_tag(crystal.copy(), "crys", iteration, variant="relaxed")]
    for i in range(n):
        sc = supercells[i % len(supercells)]
        atoms = crystal.repeat(sc)
        eps = rng.uniform(-strain_max, strain_max, (3, 3))
        eps = 0.5 * (eps + eps.T)
        atoms.set_cell(atoms.cell @ (np.eye(3) + eps), scale_atoms=True)
        atoms.positions += rng.normal(0.0, rattle_A, atoms.positions.shape)
        out.append(_tag(atoms, "crys", iteration, variant="strained+rattled"))
    return out


def _runs(n: int, desc: str):
    """range(n) with a progress bar on a terminal (MD runs of the data generator)."""
    from tqdm.auto import tqdm

    return tqdm(range(n), desc=desc, leave=False, disable=None, unit="run")


def _langevin_snapshots(
    atoms: Atoms,
    calc,
    T_K: float,
    steps: int,
    every: int,
    rng: np.random.Generator,
    dt_fs: float = 2.0,
    fixed: Sequence[int] = (),
    npt_ramp: tuple[float, float] | None = None,
) -> list[Atoms]:
    """Snapshots (every ``every`` steps) of Langevin NVT (or, with ``npt_ramp`` = (T0, T1), of
    LangevinBAOAB NPT at 0 GPa with T ramped linearly from T0 to T1). A run that brings two
    atoms closer than 1 A (the paper's failure criterion) stops and keeps what it had."""
    from ase.constraints import FixAtoms
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    from bzs_repro.measures import min_pair_distance

    atoms = atoms.copy()
    if len(fixed):
        atoms.set_constraint(FixAtoms(indices=list(fixed)))
    atoms.calc = calc
    T0 = npt_ramp[0] if npt_ramp else T_K
    MaxwellBoltzmannDistribution(atoms, temperature_K=T0, rng=rng)
    if npt_ramp:
        import warnings

        from ase.md.langevinbaoab import LangevinBAOAB

        warnings.filterwarnings("ignore", message="Using heuristic P_mass")

        dyn = LangevinBAOAB(
            atoms,
            dt_fs * units.fs,
            temperature_K=T0,
            externalstress=0.0,
            hydrostatic=False,
            T_tau=100 * units.fs,
            P_tau=1000 * units.fs,
            rng=rng,
        )
    else:
        dyn = Langevin(
            atoms, dt_fs * units.fs, temperature_K=T_K, friction=0.01, rng=rng, fixcm=False
        )
    snaps: list[Atoms] = []
    for block in range(steps // every):
        if npt_ramp:
            T = npt_ramp[0] + (npt_ramp[1] - npt_ramp[0]) * (block + 1) / (steps // every)
            dyn.set_temperature(temperature_K=T)
        try:
            dyn.run(every)
        except Exception:  # noqa: BLE001  (a potential that blows up: keep earlier snapshots)
            break
        if not np.isfinite(atoms.positions).all() or min_pair_distance(atoms, below=1.0) < 1.0:
            break
        snap = atoms.copy()
        snap.calc = None
        snap.set_constraint()
        snaps.append(snap)
    return snaps


def hot_md_snapshots(
    crystal: Atoms,
    calc,
    n_runs: int,
    rng: np.random.Generator,
    supercell=(1, 1, 1),
    T_range: tuple[float, float] = (3500.0, 4500.0),
    expansion_range: tuple[float, float] = (0.05, 0.20),
    steps: int = 200,
    every: int = 25,
    iteration: int = 0,
    driver: str = "reference",
) -> list[Atoms]:
    """Hot NVT MD (config_type ``MD``): the crystal supercell at a volume expanded by 5-20 %
    melted at 3500-4500 K (the paper's ML-driven melting), snapshots every ``every`` steps."""
    out = []
    for _ in _runs(n_runs, "hot MD"):
        T = float(rng.uniform(*T_range))
        x = float(rng.uniform(*expansion_range))
        atoms = crystal.repeat(supercell)
        atoms.set_cell(atoms.cell * (1 + x) ** (1 / 3), scale_atoms=True)
        for s in _langevin_snapshots(atoms, calc, T, steps, every, rng):
            out.append(
                _tag(s, "MD", iteration, T_K=round(T, 1), expansion=round(x, 3), driver=driver)
            )
    return out


def melt_quench_snapshots(
    crystal: Atoms,
    calc,
    n_runs: int,
    rng: np.random.Generator,
    supercell=(1, 1, 1),
    T_melt: float = 3000.0,
    T_final: float = 300.0,
    steps: int = 400,
    every: int = 40,
    iteration: int = 1,
    driver: str = "ace",
) -> list[Atoms]:
    """NPT melt-quench snapshots (config_type ``npt``): T ramped from ``T_melt`` to ``T_final``
    K over ``steps`` MD steps of 2 fs at 0 GPa (a fast quench, ~1e15 K/s at smoke scale)."""
    out = []
    for _ in _runs(n_runs, "melt-quench MD"):
        atoms = crystal.repeat(supercell)
        atoms.set_cell(atoms.cell * 1.05 ** (1 / 3), scale_atoms=True)
        for s in _langevin_snapshots(
            atoms, calc, T_melt, steps, every, rng, npt_ramp=(T_melt, T_final)
        ):
            out.append(
                _tag(s, "npt", iteration, driver=driver, density_g_cm3=round(density_g_cm3(s), 3))
            )
    return out


def crystal_md_snapshots(
    crystal: Atoms,
    calc,
    n_runs: int,
    rng: np.random.Generator,
    supercell=(1, 1, 1),
    T_range: tuple[float, float] = (300.0, 1200.0),
    steps: int = 300,
    every: int = 30,
    iteration: int = 1,
    driver: str = "ace",
) -> list[Atoms]:
    """Thermal snapshots of the crystal (config_type ``crys``): NPT at 0 GPa and a random
    temperature in ``T_range`` K (lattice vibrations and thermal expansion)."""
    out = []
    for _ in _runs(n_runs, "crystal MD"):
        T = float(rng.uniform(*T_range))
        for s in _langevin_snapshots(
            crystal.repeat(supercell), calc, T, steps, every, rng, npt_ramp=(T, T)
        ):
            out.append(_tag(s, "crys", iteration, variant="NPT", T_K=round(T, 1), driver=driver))
    return out


def crystal_amorphous_interfaces(
    crystal: Atoms,
    calc,
    n_runs: int,
    rng: np.random.Generator,
    supercell=(2, 1, 1),
    T_K: float = 3000.0,
    steps: int = 150,
    every: int = 50,
    iteration: int = 1,
    driver: str = "ace",
) -> list[Atoms]:
    """Crystal-amorphous interfaces (config_type ``crys-amorph``): the half x < L/2 of a
    crystal supercell is held fixed while the other half is molten at ``T_K`` (NVT)."""
    out = []
    for _ in _runs(n_runs, "interface MD"):
        atoms = crystal.repeat(supercell)
        frac = atoms.get_scaled_positions()[:, 0]
        fixed = np.flatnonzero(frac < 0.5)
        for s in _langevin_snapshots(atoms, calc, T_K, steps, every, rng, fixed=fixed):
            out.append(_tag(s, "crys-amorph", iteration, driver=driver))
    return out


@dataclass
class Recipe:
    """How many structures of each family one iteration generates (from a config table)."""

    n_random: int = 20
    random_formula_units: tuple[int, ...] = (2, 4)
    random_density: tuple[float, float] = (3.0, 4.6)
    min_distance: float = 2.0
    dimer_distances: tuple[float, ...] = (1.8, 2.0, 2.2, 2.5, 2.8, 3.2, 3.7, 4.5, 5.5)
    n_crys: int = 20
    strain_max: float = 0.06
    rattle_A: float = 0.08
    md_runs: int = 2
    md_steps: int = 200
    md_every: int = 25
    md_supercell: tuple[int, int, int] = (1, 1, 1)
    npt_runs: int = 1
    npt_steps: int = 400
    npt_every: int = 40
    interface_runs: int = 1
    interface_steps: int = 150
    interface_every: int = 50
    crys_md_runs: int = 1
    crys_md_steps: int = 300
    crys_md_every: int = 30
    # iterations >= 1: hot NVT MD at the crystal's own density (2500-3500 K), where a potential
    # fitted only to expanded melts is pulled into unsampled close contacts
    dense_md_runs: int = 1
    dense_md_steps: int = 300
    dense_md_every: int = 20

    @classmethod
    def from_config(cls, cfg: dict) -> Recipe:
        return dataclass_from_table(cls, cfg, "dataset recipe")


def initial_structures(
    recipe: Recipe, crystal: Atoms, ref_calc, rng: np.random.Generator
) -> list[Atoms]:
    """Iteration 0 (unlabelled): random structures, dimers, crystal variants and hot MD
    driven by the reference (``ref_calc``)."""
    out = random_structures(
        recipe.n_random,
        rng,
        recipe.random_formula_units,
        recipe.random_density,
        recipe.min_distance,
    )
    out += dimers(recipe.dimer_distances)
    out += crystal_variants(crystal, recipe.n_crys, rng, recipe.strain_max, recipe.rattle_A)
    out += hot_md_snapshots(
        crystal,
        ref_calc,
        recipe.md_runs,
        rng,
        recipe.md_supercell,
        steps=recipe.md_steps,
        every=recipe.md_every,
        driver="reference",
    )
    return out


def iteration_structures(
    recipe: Recipe, crystal: Atoms, ace_calc, rng: np.random.Generator, iteration: int
) -> list[Atoms]:
    """Iteration >= 1 (unlabelled): hot MD, NPT melt-quench, crystal-amorphous interfaces and
    thermal crystal snapshots, all driven by the previous ACE iteration (``ace_calc``)."""
    out = hot_md_snapshots(
        crystal,
        ace_calc,
        recipe.md_runs,
        rng,
        recipe.md_supercell,
        steps=recipe.md_steps,
        every=recipe.md_every,
        iteration=iteration,
        driver="ace",
    )
    out += melt_quench_snapshots(
        crystal,
        ace_calc,
        recipe.npt_runs,
        rng,
        recipe.md_supercell,
        steps=recipe.npt_steps,
        every=recipe.npt_every,
        iteration=iteration,
    )
    out += crystal_amorphous_interfaces(
        crystal,
        ace_calc,
        recipe.interface_runs,
        rng,
        steps=recipe.interface_steps,
        every=recipe.interface_every,
        iteration=iteration,
    )
    out += hot_md_snapshots(
        crystal,
        ace_calc,
        recipe.dense_md_runs,
        rng,
        recipe.md_supercell,
        T_range=(2500.0, 3500.0),
        expansion_range=(0.0, 0.03),
        steps=recipe.dense_md_steps,
        every=recipe.dense_md_every,
        iteration=iteration,
        driver="ace",
    )
    out += crystal_md_snapshots(
        crystal,
        ace_calc,
        recipe.crys_md_runs,
        rng,
        recipe.md_supercell,
        steps=recipe.crys_md_steps,
        every=recipe.crys_md_every,
        iteration=iteration,
    )
    return out


def assign_splits(structures: Sequence[Atoms], test_fraction: float, seed: int) -> None:
    """Set ``info["split"]`` to "train" or "test": a seeded random ``test_fraction`` of every
    config_type (at least one test structure where a type has >= 4 members)."""
    rng = np.random.default_rng(seed)
    by_type: dict[str, list[int]] = {}
    for i, a in enumerate(structures):
        by_type.setdefault(a.info.get("config_type", "unknown"), []).append(i)
    for _ctype, idx in sorted(by_type.items()):
        n_test = round(test_fraction * len(idx))
        if n_test == 0 and len(idx) >= 4 and test_fraction > 0:
            n_test = 1
        test = set(rng.choice(idx, size=n_test, replace=False).tolist()) if n_test else set()
        for i in idx:
            structures[i].info["split"] = "test" if i in test else "train"


def write_dataset(structures: Sequence[Atoms], path: Path) -> Path:
    """Write labelled structures as extxyz (energy, forces, stress + info), atomically."""
    from ase.io import write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp, list(structures), format="extxyz")
    tmp.replace(path)
    return path


def read_dataset(path: Path) -> list[Atoms]:
    """Read a labelled extxyz data set (see :class:`bzs_repro.reference.FileReference`)."""
    from bzs_repro.reference import FileReference

    return FileReference(path).structures()


def summary(structures: Sequence[Atoms]) -> list[dict]:
    """Rows (config_type, split, n_structures, n_atoms, energy range eV/atom) of a data set."""
    import itertools

    from bzs_repro.reference import labels

    rows = []
    key = lambda a: (a.info.get("config_type", "?"), a.info.get("split", "?"))
    for (ctype, split), group in itertools.groupby(sorted(structures, key=key), key=key):
        group = list(group)
        e = np.array([labels(a)["energy"] / len(a) for a in group])
        rows.append(
            {
                "config_type": ctype,
                "split": split,
                "n_structures": len(group),
                "n_atoms": int(sum(len(a) for a in group)),
                "E_min_eV_atom": round(float(e.min()), 4),
                "E_max_eV_atom": round(float(e.max()), 4),
            }
        )
    return rows
