"""The scattering backends: this project's fast Debye path and DebyeCalculator, behind one
interface (as pymatgen's AbstractDiffractionPatternCalculator.get_pattern): the same
arguments, the same :class:`Patterns`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from ase import Atoms

from bzs_repro.analysis.scattering.grids import DEFAULTS, Patterns, q_grid, species_counts
from bzs_repro.analysis.scattering.kernels import PairHistogram, pair_histogram
from bzs_repro.analysis.scattering.sums import gr_from_pair_iq, iq_from_histogram


def fast_patterns(
    atoms: Atoms,
    q=None,
    r=None,
    dr_A: float | None = None,
    biso: float = DEFAULTS["biso"],
    qdamp: float = DEFAULTS["qdamp"],
    gr_q=None,
    n_threads: int | None = None,
    hist: PairHistogram | None = None,
) -> Patterns:
    """I(Q) on ``q`` and (if ``r`` is given) G(r) from I(Q) on ``gr_q`` (default: DebyeCalculator's
    default Q grid), both from one pass over the pairs of the discrete structure."""
    q = q_grid(DEFAULTS["qmin"], DEFAULTS["qmax"]) if q is None else np.asarray(q, float)
    gq = q_grid(DEFAULTS["qmin"], DEFAULTS["qmax"]) if gr_q is None else np.asarray(gr_q, float)
    q_max = max(q.max(), gq.max() if r is not None else 0.0)
    hist = hist or pair_histogram(atoms, dr_A, n_threads, q_max=q_max)
    counts = species_counts(atoms)
    iq = iq_from_histogram(hist, q, biso, True, counts)
    gr = None
    if r is not None:
        pair = iq_from_histogram(hist, gq, biso, include_self=False)
        gr = gr_from_pair_iq(gq, pair, counts, r, qdamp)
    return Patterns(q, iq, None if r is None else np.asarray(r), gr)


# ---------------------------------------------------------------- DebyeCalculator
def debyecalculator_patterns(
    atoms: Atoms,
    qmin: float = 1.0,
    qmax: float = 30.0,
    qstep: float | None = None,
    gr: bool = True,
    device: str = "cpu",
    **kwargs,
) -> Patterns:
    """I(Q) (and G(r) with DebyeCalculator's defaults) of the discrete structure with
    DebyeCalculator; ``kwargs`` go to its constructor (rmax, rstep, biso, qdamp, ...)."""
    import warnings

    import torch
    from debyecalculator import DebyeCalculator

    dev = "cuda" if device == "auto" and torch.cuda.is_available() else device
    dev = "cpu" if dev == "auto" else dev
    structure = (atoms.get_chemical_symbols(), atoms.get_positions())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        calc = DebyeCalculator(qmin=qmin, qmax=qmax, qstep=qstep, device=dev, **kwargs)
        q, iq = calc.iq(structure)
        out = Patterns(np.asarray(q, float), np.asarray(iq, float))
        if gr:
            gcalc = DebyeCalculator(device=dev, **kwargs)
            r, g = gcalc.gr(structure)
            out.r, out.gr = np.asarray(r, float), np.asarray(g, float)
    return out


@runtime_checkable
class ScatteringBackend(Protocol):
    """A way to compute the patterns of a discrete structure: I(Q) on ``q`` (1/A) and, with
    ``r`` (A), G(r) with DebyeCalculator's conventions; both backends return the same
    :class:`Patterns` on the same grids, so that a cross-check is a loop over backends."""

    name: str

    def patterns(self, atoms: Atoms, q: np.ndarray, r: np.ndarray | None = None) -> Patterns:
        """The patterns of ``atoms`` (a cluster: no periodic images)."""


@dataclass(frozen=True)
class FastDebye:
    """This project's CPU path (:func:`fast_patterns`): exact i<j distances, a fine linear
    histogram, chirp-z Debye sums; ``dr_A`` the histogram spacing (None: from Qmax)."""

    dr_A: float | None = None
    name: str = "fast Debye (this project)"

    def patterns(self, atoms: Atoms, q: np.ndarray, r: np.ndarray | None = None) -> Patterns:
        return fast_patterns(atoms, q=q, r=r, dr_A=self.dr_A)


@dataclass(frozen=True)
class DebyeCalculatorBackend:
    """DebyeCalculator (the paper's tool) on ``device`` ('cpu', 'cuda' or 'auto'). Its Q grid is
    qmin:qstep:qmax, so ``q`` must be uniform; its G(r) grid is its own default, so ``r``
    must be DebyeCalculator's default r grid (checked: no silent interpolation)."""

    device: str = "cpu"
    name: str = "DebyeCalculator"

    def patterns(self, atoms: Atoms, q: np.ndarray, r: np.ndarray | None = None) -> Patterns:
        q = np.asarray(q, float)
        if len(q) < 2:
            raise ValueError("DebyeCalculator needs a Q grid of two points or more")
        step = float((q[-1] - q[0]) / (len(q) - 1))
        if not np.allclose(np.diff(q), step, rtol=1e-6, atol=1e-9):
            msg = "DebyeCalculator computes on a uniform Q grid; got a non-uniform one"
            raise ValueError(msg)
        # its grid is arange(qmin, qmax, qstep): qmax half a step beyond the last point
        out = debyecalculator_patterns(
            atoms, float(q[0]), float(q[-1] + step / 2), step, gr=r is not None, device=self.device
        )
        if len(out.q) != len(q) or not np.allclose(out.q, q, atol=1e-5):
            msg = "DebyeCalculator's Q grid differs from the one asked for"
            raise ValueError(msg)
        if r is not None and (len(out.r) != len(r) or not np.allclose(out.r, r, atol=1e-9)):
            msg = "DebyeCalculator's G(r) grid is its default (r 0-20 A, step 0.01); asked another"
            raise ValueError(msg)
        return out


BACKENDS: dict[str, ScatteringBackend] = {
    "fast": FastDebye(),
    "debyecalculator": DebyeCalculatorBackend(),
}
