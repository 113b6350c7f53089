"""Scattering of discrete structures: fast Debye path vs DebyeCalculator, Bragg positions vs
pymatgen, 2-theta conversion, peak broadening with grain size."""

from __future__ import annotations

import numpy as np
import pytest

from bzs_repro.analysis import scattering as sc
from bzs_repro.analysis.scherrer import on_two_theta, peaks, scherrer_size_A, scherrer_table
from bzs_repro.structures import polycrystal as pc
from bzs_repro.structures.crystal import bazrs3_pnma

ABC = (7.086, 9.941, 6.942)


@pytest.fixture(scope="module")
def seed():
    return bazrs3_pnma(*ABC)


def test_two_theta_conversion():
    q = np.array([1.61, 5.25])
    tt = sc.q_to_two_theta(q)
    assert np.allclose(sc.two_theta_to_q(tt), q)
    # Bragg's law for d = 3.5 A: lambda = 2 d sin(theta), Q = 2 pi / d
    d = 3.5
    assert sc.q_to_two_theta(2 * np.pi / d) == pytest.approx(
        2 * np.degrees(np.arcsin(1.5406 / (2 * d)))
    )


def test_fast_debye_matches_debyecalculator(seed):
    """The issue's cross-validation: a ~5 000-atom 8-grain model, the paper's XRD range
    (Q 1.61-5.25 1/A) and DebyeCalculator's default G(r): max relative deviation of I(Q)
    below 1e-3, G(r) within 1e-3 of its maximum."""
    atoms = sc.cluster(pc.build_polycrystal(pc.random_params(8, 51.0, seed=8), seed))
    assert 4500 < len(atoms) < 5500
    q = sc.q_grid(1.61, 5.25, 0.002)
    r = np.arange(0.0, 20.0, 0.01)
    fast = sc.fast_patterns(atoms, q=q, r=r)
    ref = sc.debyecalculator_patterns(atoms, 1.61, 5.25, 0.002)
    assert np.allclose(fast.q, ref.q)
    assert sc.max_relative_deviation(fast.iq, ref.iq) < 1e-3
    assert np.allclose(fast.r, ref.r)
    assert np.abs(fast.gr - ref.gr).max() < 1e-3 * np.abs(ref.gr).max()


def test_the_backends_share_one_interface(seed):
    """Both backends take (atoms, q, r) and return the same pattern type on the same grids:
    the cross-check of fig4 is a loop over them; the DebyeCalculator backend refuses grids it
    cannot compute instead of interpolating."""
    atoms = sc.cluster(seed.repeat((3, 2, 3)))
    q = sc.q_grid(1.61, 5.25, 0.01)
    r = np.arange(sc.DEFAULTS["rmin"], sc.DEFAULTS["rmax"], sc.DEFAULTS["rstep"])
    out = {}
    for name, backend in sc.BACKENDS.items():
        assert isinstance(backend, sc.ScatteringBackend), name
        out[name] = backend.patterns(atoms, q, r)
        assert isinstance(out[name], sc.Patterns)
        assert np.allclose(out[name].q, q)
        assert np.allclose(out[name].r, r)
    assert sc.max_relative_deviation(out["fast"].iq, out["debyecalculator"].iq) < 1e-3
    dc = sc.BACKENDS["debyecalculator"]
    with pytest.raises(ValueError, match="uniform Q grid"):
        dc.patterns(atoms, np.array([1.0, 1.1, 1.3]))
    with pytest.raises(ValueError, match="G\\(r\\) grid is its default"):
        dc.patterns(atoms, q, r[:100])


def test_pair_histogram_counts_every_pair(seed):
    """Linear spreading keeps every pair (exactly) and its distance (first moment, to the
    1/64-step quantisation and float32), per species pair."""
    atoms = sc.cluster(seed.repeat((2, 2, 2)))
    h = sc.pair_histogram(atoms, dr_A=0.01)
    n = len(atoms)
    assert sum(c.sum() for c in h.counts.values()) == n * (n - 1) / 2
    assert h.counts[("Ba", "Zr")].sum() == 32 * 32
    d = atoms.get_all_distances()
    sym = np.array(atoms.get_chemical_symbols())
    zr_s = d[np.ix_(sym == "Zr", sym == "S")]
    assert h.counts[("S", "Zr")].sum() == zr_s.size
    assert (h.counts[("S", "Zr")] * h.r).sum() == pytest.approx(zr_s.sum(), rel=2e-6)


def test_grid_sinc_sum_within_stated_bound(seed):
    """The Debye pair sum over the default grid (2^-9 A for Q up to 30 1/A) vs the sum over
    the exact distances: within (Q h)^2 / 8 of the sum of the sinc envelopes 1 / (Q d)."""
    atoms = sc.cluster(seed.repeat((2, 2, 2)))
    hist = sc.pair_histogram(atoms)
    assert hist.dr == 2.0**-9
    q = sc.q_grid(1.0, 30.0)
    grid = sum(sc.sinc_sums(hist, q).values())
    d = atoms.get_all_distances()[np.triu_indices(len(atoms), 1)]
    exact = np.sinc(np.outer(q, d) / np.pi).sum(1)
    envelope = (1 / np.outer(q, d)).sum(1)
    bound = (q * hist.dr) ** 2 / 8 * envelope
    assert np.all(np.abs(grid - exact) <= bound + 1e-6 * envelope)
    assert np.abs(grid - exact).max() > 0  # the grid is not the exact sum


def test_czt_and_recurrence_agree(seed):
    """The chirp-z sum (uniform Q) equals the direct recurrence (any Q grid)."""
    atoms = sc.cluster(seed.repeat((2, 2, 1)))
    h = sc.pair_histogram(atoms)
    q = sc.q_grid(1.0, 30.0)
    a = sc.sinc_sums(h, q)
    b = sc.sinc_sums(h, np.concatenate([q, [31.0]]))  # not uniform: recurrence
    for pair in a:
        assert np.allclose(a[pair], b[pair][:-1], rtol=1e-9, atol=1e-9 * np.abs(a[pair]).max())


def test_bragg_peaks_at_pymatgen_positions(seed):
    """The Debye pattern of a 9x7x9-cell crystal vs pymatgen XRDCalculator (Cu K-alpha1) of
    the same cell: the sticks, Lorentz-polarisation removed and broadened to the Debye peak
    width, peak within 0.1 deg of each of the 6 strongest Debye peaks; the isolated (near
    49 deg) reflection directly as a stick."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.io.ase import AseAtomsAdaptor

    p = sc.fast_patterns(sc.cluster(seed.repeat((9, 7, 9))), q=sc.q_grid(1.61, 5.25, 0.002))
    grid, i = on_two_theta(p.q, p.iq)
    debye = peaks(grid, i)[:6]
    xrd = XRDCalculator("CuKa1").get_pattern(
        AseAtomsAdaptor.get_structure(seed), scaled=False, two_theta_range=(20, 82)
    )
    tt, stick = np.array(xrd.x), np.array(xrd.y)
    th = np.radians(tt / 2)
    stick = stick / ((1 + np.cos(2 * th) ** 2) / (np.sin(th) ** 2 * np.cos(th)))
    sigma = np.mean([x["fwhm_deg"] for x in debye]) / 2.3548
    broad = (stick[:, None] * np.exp(-((grid[None, :] - tt[:, None]) ** 2) / (2 * sigma**2))).sum(0)
    ref = np.array([x["two_theta_deg"] for x in peaks(grid, broad)])
    for pk in debye:
        assert np.abs(ref - pk["two_theta_deg"]).min() < 0.1, pk
    isolated = tt[np.argmin(np.abs(tt - 49.1))]
    assert np.abs([x["two_theta_deg"] for x in peaks(grid, i, 0.01)] - isolated).min() < 0.1


def test_fwhm_grows_as_grains_shrink(seed):
    """Mean FWHM of the 3 strongest peaks: 40 A crystal < 2 grains < 8 grains in a 40 A box."""
    box = 40.0
    reps = np.round(box / np.array(ABC)).astype(int)
    q = sc.q_grid(1.61, 5.25, 0.004)
    models = {
        "single": seed.repeat(tuple(reps)),
        "2": pc.build_polycrystal(pc.random_params(2, box, seed=2), seed),
        "8": pc.build_polycrystal(pc.random_params(8, box, seed=2), seed),
    }
    pats = {k: sc.fast_patterns(sc.cluster(m), q=q) for k, m in models.items()}
    rows = scherrer_table(pats, {}, n_peaks=3)
    fwhm = {k: np.mean([r["fwhm_deg"] for r in rows if r["model"] == k]) for k in models}
    assert fwhm["single"] < fwhm["2"] < fwhm["8"]
    size = [r["size_A"] for r in rows if r["model"] == "single"]
    assert 30 < np.mean(size) < 50  # Scherrer size of the 40 A crystal


def test_scherrer_formula():
    # 1 deg FWHM at 2-theta 30 deg, Cu K-alpha1: 0.9 * 1.5406 / (0.017453 * cos 15 deg) = 82.2 A
    assert scherrer_size_A(30.0, 1.0) == pytest.approx(82.25, abs=0.1)
    with pytest.raises(ValueError):
        scherrer_size_A(30.0, 0.0)
