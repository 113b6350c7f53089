"""Debye sums over a distance histogram: sinc sums as chirp-z transforms (scipy.signal.czt),
I(Q) with form factors and Debye-Waller damping, G(r) from the pair part of I(Q)."""

from __future__ import annotations

import numpy as np

from bzs_repro.analysis.scattering.form_factors import form_factors
from bzs_repro.analysis.scattering.grids import DEFAULTS
from bzs_repro.analysis.scattering.kernels import PairHistogram, _kernels


def _uniform_step(q: np.ndarray) -> float | None:
    if len(q) < 2:
        return None
    step = (q[-1] - q[0]) / (len(q) - 1)
    return float(step) if np.allclose(np.diff(q), step, rtol=1e-9, atol=1e-12) else None


def sinc_sums(hist: PairHistogram, q) -> dict[tuple[str, str], np.ndarray]:
    """sum_n W_n sinc(q r_n) per species pair. A uniform q grid uses the chirp-z transform
    (scipy.signal.czt: O((n + m) log(n + m))); any other grid the numba recurrence."""
    from scipy.signal import czt

    q = np.asarray(q, dtype=np.float64)
    if np.any(q <= 0):
        raise ValueError("Q must be positive")
    step = _uniform_step(q)
    h = hist.dr
    r = hist.r
    pairs = list(hist.counts)
    w = np.stack([hist.counts[p] for p in pairs])
    if step is None:
        sums = _kernels()[1](np.ascontiguousarray(w), float(r[0]), h, q)
        return dict(zip(pairs, sums, strict=True))
    at0 = np.isclose(r, 0.0)
    inv_r = np.divide(1.0, r, out=np.zeros_like(r), where=~at0)
    # sum_n x_n sin(q r_n) / q, r_n = n h: one chirp-z transform for all species pairs
    s = czt(w * inv_r, m=len(q), w=np.exp(1j * step * h), a=np.exp(-1j * q[0] * h), axis=-1)
    sums = s.imag / q + w[:, at0].sum(1)[:, None]
    return dict(zip(pairs, sums, strict=True))


def iq_from_histogram(
    hist: PairHistogram,
    q,
    biso: float = DEFAULTS["biso"],
    include_self: bool = True,
    atoms_counts: dict | None = None,
) -> np.ndarray:
    """I(Q) (DebyeCalculator normalisation) from a pair histogram."""
    q = np.asarray(q, dtype=np.float64)
    ff = form_factors(hist.elements, q)
    iq = np.zeros_like(q)
    for (a, b), s in sinc_sums(hist, q).items():
        iq += ff[a] * ff[b] * s
    iq *= np.exp(-(q**2) * biso / (8 * np.pi**2))
    if include_self:
        if atoms_counts is None:
            raise ValueError("include_self needs atoms_counts {element: count}")
        iq += sum(n * ff[el] ** 2 for el, n in atoms_counts.items()) / 2
    return iq


def gr_from_pair_iq(q, pair_iq, counts: dict[str, int], r, qdamp: float = DEFAULTS["qdamp"]):
    """G(r) (1/A^2) from the pair part of I(Q), as DebyeCalculator.compute_sq/fq/gr."""
    q = np.asarray(q, dtype=np.float64)
    n = sum(counts.values())
    ff = form_factors(list(counts), q)
    favg = sum(c / n * ff[el] for el, c in counts.items())
    fq = q * pair_iq / favg**2 / n
    qstep = q[1] - q[0]
    damp = np.exp(-((np.asarray(r) * qdamp) ** 2) / 2) if qdamp else 1.0
    return (2 / np.pi) * ((fq * qstep) @ np.sin(np.outer(q, r))) * damp
