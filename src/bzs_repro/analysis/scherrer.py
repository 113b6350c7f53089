"""Peak widths of simulated XRD patterns and Scherrer crystallite sizes.

L = K lambda / (beta cos theta), K = 0.9 (spherical crystallites), beta the FWHM in radians
(no instrumental broadening: the patterns are computed). Peaks are found with
``scipy.signal.find_peaks`` and their widths at half prominence with ``peak_widths``.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks, peak_widths

from bzs_repro.analysis.scattering import CU_KALPHA1_A, q_to_two_theta

SCHERRER_K = 0.9


def on_two_theta(q, iq, step_deg: float = 0.01, wavelength_A: float = CU_KALPHA1_A):
    """(two_theta (deg), I) on a uniform 2-theta grid (linear interpolation of I(Q))."""
    tt = q_to_two_theta(q, wavelength_A)
    grid = np.arange(tt[0], tt[-1], step_deg)
    return grid, np.interp(grid, tt, iq)


def peaks(two_theta, intensity, min_rel_prominence: float = 0.05):
    """Peaks: list of dicts (two_theta_deg, height, prominence, fwhm_deg), strongest first."""
    idx, props = find_peaks(intensity, prominence=min_rel_prominence * np.ptp(intensity))
    if len(idx) == 0:
        return []
    widths = peak_widths(intensity, idx, rel_height=0.5)[0] * (two_theta[1] - two_theta[0])
    rows = [
        {
            "two_theta_deg": float(two_theta[i]),
            "height": float(intensity[i]),
            "prominence": float(p),
            "fwhm_deg": float(w),
        }
        for i, p, w in zip(idx, props["prominences"], widths, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["prominence"])


def scherrer_size_A(
    two_theta_deg: float, fwhm_deg: float, wavelength_A: float = CU_KALPHA1_A, k: float = SCHERRER_K
) -> float:
    """Apparent crystallite size (A) of a peak at ``two_theta_deg`` with width ``fwhm_deg``."""
    if fwhm_deg <= 0:
        raise ValueError("FWHM must be positive")
    return float(k * wavelength_A / (np.radians(fwhm_deg) * np.cos(np.radians(two_theta_deg) / 2)))


def scherrer_table(
    patterns: dict,
    grain_sizes_A: dict,
    n_peaks: int = 3,
    reference: str = "single",
    tol_deg: float = 0.6,
) -> list[dict]:
    """For the ``n_peaks`` strongest peaks of the ``reference`` pattern, the nearest peak
    (within ``tol_deg``) of every model (peaks merged away are skipped): 2-theta, FWHM,
    Scherrer size, and the model's mean grain size (equivalent-sphere diameter, A)."""
    ref_tt, ref_i = on_two_theta(patterns[reference].q, patterns[reference].iq)
    ref = [p["two_theta_deg"] for p in peaks(ref_tt, ref_i)[:n_peaks]]
    rows = []
    for model, pat in patterns.items():
        tt, i = on_two_theta(pat.q, pat.iq)
        found = peaks(tt, i)
        for pos in ref:
            near = [p for p in found if abs(p["two_theta_deg"] - pos) < tol_deg]
            if not near:
                continue
            p = min(near, key=lambda x: abs(x["two_theta_deg"] - pos))
            rows.append(
                {
                    "model": model,
                    "ref_two_theta_deg": round(pos, 3),
                    "two_theta_deg": round(p["two_theta_deg"], 3),
                    "fwhm_deg": round(p["fwhm_deg"], 4),
                    "size_A": round(scherrer_size_A(p["two_theta_deg"], p["fwhm_deg"]), 1),
                    "mean_grain_size_A": round(float(grain_sizes_A.get(model, np.nan)), 1),
                }
            )
    return rows
