"""X-ray scattering of discrete (non-periodic) structures: I(Q), XRD in 2-theta, G(r).

Two paths with the same physics and normalisation:

* :func:`debyecalculator_patterns` - DebyeCalculator (Johansen et al., JOSS 9, 6024 (2024)),
  the paper's tool, on CPU (torch) or GPU.
* :func:`fast_patterns` - this project's CPU path for 10^5-10^6 atoms: all i<j distances
  computed exactly (float32, numba, AVX2-vectorised, parallel over pairs of 1024-atom
  tiles; one pass serves XRD and G(r)) and spread per species pair linearly onto a uniform
  distance grid (default spacing h = 2^floor(log2(0.06 / Qmax)) = 2^-9 A = 0.00195 A for
  Qmax 30 1/A) with one packed 64-bit add per pair: the Debye sum over the grid equals the
  sum over the exact distances to <= (Q h)^2 / 8 = 4.3e-4 of the sinc envelope; the sums
  over the grid are chirp-z transforms (scipy.signal.czt), so their cost hardly depends on
  the number of Q points. Hand-written because neither ASE nor scipy offers a
  species-resolved all-pairs distance histogram of a non-periodic cluster without O(N^2)
  memory; the pair loop is the whole cost (~2 ns per pair and thread here).

Conventions (read from debyecalculator 1.1.1 ``DebyeCalculator._compute_iq_parts`` etc.):
I(Q) = sum_{i<j} f_i f_j sinc(Q r_ij) exp(-B Q^2 / (8 pi^2)) + sum_i f_i^2 / 2, with the
Waasmaier-Kirfel form factors f(Q) = sum_k a_k exp(-b_k (Q / 4 pi)^2) + c (DebyeCalculator's
elements table) and B = biso = 0.3 A^2; S(Q) = I_pair / (<f>^2 N); F(Q) = Q S(Q);
G(r) = (2 / pi) sum_Q F(Q) sin(Q r) dQ exp(-(r qdamp)^2 / 2). Defaults are DebyeCalculator's:
Q 1-30 1/A, qstep pi / (rmax + rstep), r 0-20 A step 0.01, qdamp 0.04.
"""

from bzs_repro.analysis.scattering.backends import (
    BACKENDS,
    DebyeCalculatorBackend,
    FastDebye,
    ScatteringBackend,
    debyecalculator_patterns,
    fast_patterns,
)
from bzs_repro.analysis.scattering.form_factors import form_factors
from bzs_repro.analysis.scattering.grids import (
    CU_KALPHA1_A,
    DEFAULTS,
    Patterns,
    cluster,
    max_relative_deviation,
    q_grid,
    q_to_two_theta,
    species_counts,
    two_theta_to_q,
)
from bzs_repro.analysis.scattering.kernels import PairHistogram, grid_spacing, pair_histogram
from bzs_repro.analysis.scattering.sums import gr_from_pair_iq, iq_from_histogram, sinc_sums

__all__ = [
    "BACKENDS",
    "CU_KALPHA1_A",
    "DEFAULTS",
    "DebyeCalculatorBackend",
    "FastDebye",
    "PairHistogram",
    "Patterns",
    "ScatteringBackend",
    "cluster",
    "debyecalculator_patterns",
    "fast_patterns",
    "form_factors",
    "gr_from_pair_iq",
    "grid_spacing",
    "iq_from_histogram",
    "max_relative_deviation",
    "pair_histogram",
    "q_grid",
    "q_to_two_theta",
    "sinc_sums",
    "species_counts",
    "two_theta_to_q",
]
