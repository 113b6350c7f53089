"""pyace's atomic environment from ASE's neighbour list, reused between steps (Verlet skin).

pyace's own builders (``build_atomic_env`` and ``ACENeighborList``) grow faster than the
number of atoms: measured on the paper's ACE, one force call of the 10 240-atom Pnma cell
spends 3.4 s building the environment and 0.6 s evaluating it (960 atoms: 0.06 s / 0.05 s),
so the embedded engine fell to 0.25x native LAMMPS at that size. Here ASE's linear-scaling
``neighbor_list`` finds the pairs within cutoff + skin once; each later call only moves the
atoms and their periodic images (``x = positions[origin] + shift @ cell``) until some image has
moved more than skin/2 since the list was built (LAMMPS' ``neighbor`` criterion, with a bound
for images outside the list when the cell changes), or the atoms' identities change. The
evaluator applies the potential's own cutoff, so energies, forces and virials equal pyace's to
round-off
(tests/test_potential.py). Hand-written: pyace exposes the environment's arrays but no
builder that reuses a neighbour list.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

SKIN_A = 1.0  # Angstrom, beyond the potential's cutoff (LAMMPS' default for metal units: 2.0)


class VerletEnvironment:
    """Builds and refreshes a pyace ``ACEAtomicEnvironment`` for one system."""

    def __init__(self, cutoff: float, mapper: dict, skin: float = SKIN_A) -> None:
        self.cutoff, self.skin, self.mapper = float(cutoff), float(skin), mapper
        self._key = None
        self.builds = 0

    def _build(self, atoms: Atoms) -> None:
        from pyace.catomicenvironment import ACEAtomicEnvironment

        n = len(atoms)
        i, j, shift = neighbor_list("ijS", atoms, self.cutoff + self.skin)
        # every periodic image that is a neighbour becomes one ghost row after the n atoms
        images, ghost = np.unique(np.column_stack([j, shift]), axis=0, return_inverse=True)
        ghost = ghost.reshape(-1)
        is_image = np.any(images[:, 1:] != 0, axis=1)
        row = np.full(len(images), -1)
        row[is_image] = n + np.arange(int(is_image.sum()))
        row[~is_image] = images[~is_image, 0]
        target = row[ghost]
        # canonical order (real atoms by index, then images by (atom, shift)): pairs beyond the
        # cutoff add exact zeros, so sums do not depend on when the list was built and a
        # resumed run stays bit-identical to an uninterrupted one
        order = np.lexsort((target, i))
        counts = np.bincount(i, minlength=n)
        self._origin = np.concatenate([np.arange(n), images[is_image, 0]]).astype(int)
        self._shift = np.vstack([np.zeros((n, 3)), images[is_image, 1:]]).astype(float)
        symbols = np.array(atoms.get_chemical_symbols(), dtype="S2")
        try:
            types = np.array([self.mapper[s] for s in symbols], dtype=int)
        except KeyError as err:
            msg = f"Unsupported species type: {err}. Supported elements: {sorted(self.mapper)}"
            raise ValueError(msg) from None
        ae = ACEAtomicEnvironment()
        ae.x = self._positions(atoms)
        ae.species_type = types[self._origin].tolist()
        ae.neighbour_list = [a.tolist() for a in np.split(target[order], np.cumsum(counts)[:-1])]
        ae.origins = self._origin.tolist()
        self.ae = ae
        self._x0 = self._positions(atoms)
        self._cell0 = atoms.cell.array.copy()
        self._smax = float(np.abs(self._shift).max()) if len(self._shift) else 0.0
        self._key = (n, atoms.numbers.tobytes(), tuple(atoms.pbc))
        self.builds += 1

    def _positions(self, atoms: Atoms) -> np.ndarray:
        return atoms.positions[self._origin] + self._shift @ atoms.cell.array

    def environment(self, atoms: Atoms):
        """The environment of ``atoms`` (rebuilt only when the skin criterion demands it)."""
        if not np.all(atoms.pbc):
            msg = "the Verlet environment handles fully periodic cells only"
            raise ValueError(msg)
        key = (len(atoms), atoms.numbers.tobytes(), tuple(atoms.pbc))
        if self._key != key:
            self._build(atoms)
            return self.ae
        x = self._positions(atoms)
        moved = np.sqrt(np.max(np.einsum("ij,ij->i", x - self._x0, x - self._x0)))
        # an image not in the list moves by its atom's displacement + shift . (cell change):
        # bounded through the largest shift in the list plus one cell
        dcell = np.linalg.norm(atoms.cell.array - self._cell0, axis=1).sum() * (self._smax + 1)
        if moved + dcell > self.skin / 2:
            self._build(atoms)
            return self.ae
        self.ae.x = x
        return self.ae


@cache
def verlet_calculator_class():
    """``PyACECalculator`` whose environment of a periodic cell is a :class:`VerletEnvironment`
    (pyace imported on first use)."""
    from pyace import PyACECalculator

    class VerletPyACECalculator(PyACECalculator):
        def get_atomic_env(self, atoms):
            if not atoms.pbc.all():
                return super().get_atomic_env(atoms)
            if getattr(self, "_verlet", None) is None:
                self._verlet = VerletEnvironment(self.cutoff, self.elements_mapper_dict)
            self.ae = self._verlet.environment(atoms)
            return self.ae

    return VerletPyACECalculator
