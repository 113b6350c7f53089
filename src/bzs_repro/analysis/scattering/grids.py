"""Grids, conventions and the pattern type of the scattering backends (Q in 1/A, r in A)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ase import Atoms

CU_KALPHA1_A = 1.5406
DEFAULTS = {
    "qmin": 1.0,
    "qmax": 30.0,
    "qdamp": 0.04,
    "rmin": 0.0,
    "rmax": 20.0,
    "rstep": 0.01,
    "biso": 0.3,
}


@dataclass
class Patterns:
    """q (1/A), iq (I(Q), electrons^2, pairs counted once), r (A), gr (G(r), 1/A^2)."""

    q: np.ndarray
    iq: np.ndarray
    r: np.ndarray | None = None
    gr: np.ndarray | None = None


def q_to_two_theta(q, wavelength_A: float = CU_KALPHA1_A):
    """2-theta (degrees) of momentum transfer ``q`` (1/A): q = 4 pi sin(theta) / lambda."""
    return np.degrees(2 * np.arcsin(np.asarray(q) * wavelength_A / (4 * np.pi)))


def two_theta_to_q(two_theta_deg, wavelength_A: float = CU_KALPHA1_A):
    """Momentum transfer (1/A) of a 2-theta angle (degrees)."""
    return 4 * np.pi * np.sin(np.radians(np.asarray(two_theta_deg)) / 2) / wavelength_A


def q_grid(
    qmin: float, qmax: float, qstep: float | None = None, rmax: float = 20.0, rstep: float = 0.01
) -> np.ndarray:
    """DebyeCalculator's Q grid: arange(qmin, qmax, qstep).

    qstep = pi / (rmax + rstep) by default.
    """
    qstep = math.pi / (rmax + rstep) if qstep is None else qstep
    return np.arange(qmin, qmax, qstep, dtype=np.float64)


def cluster(atoms: Atoms) -> Atoms:
    """The discrete structure: the same positions, unwrapped from the box, no periodicity."""
    if len(atoms) == 0:
        raise ValueError("empty structure")
    out = Atoms(atoms.get_chemical_symbols(), positions=atoms.get_positions(wrap=True))
    out.pbc = False
    return out


def species_counts(atoms: Atoms) -> dict[str, int]:
    sym = np.asarray(atoms.get_chemical_symbols())
    return {el: int((sym == el).sum()) for el in sorted(set(sym))}


def max_relative_deviation(a, b) -> float:
    """max |a - b| / |b| (b the reference, positive like I(Q))."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.abs(b)))
