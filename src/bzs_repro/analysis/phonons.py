"""Phonons of the Pnma crystal with phonopy (finite displacements, any ASE calculator).

Frequencies in THz. The band path is the standard one for a simple orthorhombic lattice
(Setyawan & Curtarolo, Comput. Mater. Sci. 49, 299 (2010), ORC): G-X-S-Y-G-Z-U-R-T-Z|Y-T|U-X|S-R,
with X, Y, Z along the cell's own a, b, c (Pnma setting, b the long axis).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms

ORC_POINTS = {
    "G": (0.0, 0.0, 0.0),
    "X": (0.5, 0.0, 0.0),
    "Y": (0.0, 0.5, 0.0),
    "Z": (0.0, 0.0, 0.5),
    "S": (0.5, 0.5, 0.0),
    "U": (0.5, 0.0, 0.5),
    "T": (0.0, 0.5, 0.5),
    "R": (0.5, 0.5, 0.5),
}
ORC_PATH = (("G", "X", "S", "Y", "G", "Z", "U", "R", "T", "Z"), ("Y", "T"), ("U", "X"), ("S", "R"))


@dataclass
class Bands:
    """Phonon dispersion along a path: distances (1/A), frequencies (n_q, n_modes) in THz,
    label positions and names, segment breaks."""

    distances: np.ndarray
    frequencies: np.ndarray
    tick_positions: list[float]
    tick_labels: list[str]
    segment_ends: list[int]

    @property
    def min_frequency(self) -> float:
        return float(self.frequencies.min())

    @property
    def max_frequency(self) -> float:
        return float(self.frequencies.max())

    def n_imaginary(self, tol_THz: float) -> int:
        """Number of (q, mode) points below -tol_THz (imaginary modes shown as negative)."""
        return int(np.sum(self.frequencies < -abs(tol_THz)))


def _to_phonopy_atoms(atoms: Atoms):
    from phonopy.structure.atoms import PhonopyAtoms

    return PhonopyAtoms(
        symbols=atoms.get_chemical_symbols(),
        cell=np.asarray(atoms.cell),
        scaled_positions=atoms.get_scaled_positions(),
        masses=atoms.get_masses(),
    )


def force_constants(
    crystal: Atoms, calc, supercell=(2, 2, 2), displacement_A: float = 0.01, progress: bool = True
):
    """A phonopy object with force constants from finite displacements (``displacement_A``
    Angstrom, symmetry-reduced, +/-) of the ``supercell`` of ``crystal``, forces from ``calc``."""
    from phonopy import Phonopy
    from tqdm.auto import tqdm

    ph = Phonopy(
        _to_phonopy_atoms(crystal), supercell_matrix=np.diag(supercell), primitive_matrix="P"
    )
    ph.generate_displacements(distance=displacement_A, is_plusminus=True)
    forces = []
    for sc in tqdm(
        ph.supercells_with_displacements, desc="phonon displacements", disable=not progress
    ):
        a = Atoms(sc.symbols, cell=sc.cell, scaled_positions=sc.scaled_positions, pbc=True)
        a.calc = calc
        f = a.get_forces()
        forces.append(f - f.mean(axis=0))  # remove the net drift force
    ph.forces = np.array(forces)
    ph.produce_force_constants()
    ph.symmetrize_force_constants()
    return ph


def band_structure(ph, path=ORC_PATH, npoints: int = 51) -> Bands:
    """Dispersion of ``ph`` along ``path`` (tuples of ORC_POINTS labels; segments joined
    inside a tuple, broken between tuples)."""
    from phonopy.phonon.band_structure import get_band_qpoints_and_path_connections

    qpaths = [[ORC_POINTS[k] for k in seg] for seg in path]
    qpoints, connections = get_band_qpoints_and_path_connections(qpaths, npoints=npoints)
    ph.run_band_structure(qpoints, path_connections=connections, with_eigenvectors=False)
    band = ph.band_structure
    bs = {"distances": band.distances, "frequencies": band.frequencies}
    ticks = [float(bs["distances"][0][0])]
    labels = [path[0][0]]
    seg_i = 0
    for k, seg in enumerate(path):
        if k > 0:  # a break in the path: two labels share one tick
            labels[-1] = f"{labels[-1]}|{seg[0]}"
        for j in range(len(seg) - 1):
            ticks.append(float(bs["distances"][seg_i][-1]))
            labels.append(seg[j + 1])
            seg_i += 1
    labels = [x.replace("G", r"$\Gamma$") for x in labels]
    segments = [np.asarray(d) for d in bs["distances"]]
    return Bands(
        np.concatenate(segments),
        np.vstack(bs["frequencies"]),
        ticks,
        labels,
        list(np.cumsum([len(d) for d in segments])),
    )


def dos(ph, mesh=(8, 8, 8), sigma_THz: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Total phonon DOS on a Gamma-centred ``mesh``: (frequencies THz, states/THz)."""
    ph.run_mesh(list(mesh))
    ph.run_total_dos(sigma=sigma_THz)
    d = ph.total_dos
    return np.asarray(d.frequency_points), np.asarray(d.dos)


def read_band_yaml(path: Path) -> Bands:
    """A phonopy band.yaml (or a .zip holding one), e.g. the authors' Fig. S3 data."""
    import yaml

    path = Path(path)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith(".yaml"))
            text = z.read(name).decode()
    else:
        text = path.read_text()
    data = yaml.safe_load(text)
    dist = np.array([p["distance"] for p in data["phonon"]])
    freq = np.array([[b["frequency"] for b in p["band"]] for p in data["phonon"]])
    n = (
        int(data.get("segment_nqpoint", [len(dist)])[0])
        if data.get("segment_nqpoint")
        else len(dist)
    )
    ticks = [float(dist[0])] + [
        float(dist[i - 1]) for i in np.cumsum(data.get("segment_nqpoint", [n]))
    ]
    labels = [str(x) for x in data.get("labels", [])]
    return Bands(
        dist,
        freq,
        ticks,
        [lab for pair in labels for lab in pair][: len(ticks)] if labels else [],
        [len(dist)],
    )
