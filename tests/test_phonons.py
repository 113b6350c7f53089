"""Phonons of Pnma BaZrS3 (phonopy) with the paper's ACE: acoustic sum rule, stability,
band path, band.yaml round trip."""

from __future__ import annotations

import numpy as np
import pytest

from bzs_repro.analysis.phonons import (
    ORC_PATH,
    band_structure,
    dos,
    force_constants,
    read_band_yaml,
)


@pytest.fixture(scope="module")
def phonons(relaxed_crystal, paper_calc):
    # 1x1x1: 20 atoms, seconds; enough for the Gamma point and the stability check of this cell
    return force_constants(relaxed_crystal, paper_calc, supercell=(1, 1, 1), progress=False)


def test_gamma_acoustic_modes_vanish_and_crystal_is_stable(phonons):
    phonons.run_qpoints([[0, 0, 0]])
    f = np.sort(phonons.qpoints.frequencies[0])
    assert len(f) == 60  # 3 x 20 atoms
    assert np.abs(f[:3]).max() < 0.05  # acoustic sum rule (THz)
    assert f[3] > 0.5  # lowest optical mode clearly above zero
    bands = band_structure(phonons, npoints=11)
    assert bands.n_imaginary(0.05) == 0  # no imaginary modes: Pnma is dynamically stable
    # Zr-S stretching modes of a sulfide perovskite lie near 10-13 THz (300-450 cm-1)
    assert 9.0 < bands.max_frequency < 15.0


def test_band_path_labels(phonons):
    bands = band_structure(phonons, npoints=5)
    n_segments = sum(len(seg) - 1 for seg in ORC_PATH)
    assert len(bands.tick_positions) == n_segments + 1
    assert bands.tick_labels[0] == r"$\Gamma$"
    assert "Z|Y" in bands.tick_labels
    assert bands.frequencies.shape == (5 * n_segments, 60)
    freq, states = dos(phonons, mesh=(4, 4, 4), sigma_THz=0.2)
    # the DOS integrates to the 60 modes of the cell
    assert np.trapezoid(states, freq) == pytest.approx(60, rel=0.03)


def test_band_yaml_roundtrip(phonons, tmp_path):
    import zipfile

    bands = band_structure(phonons, npoints=5)
    phonons.write_yaml_band_structure(filename=str(tmp_path / "band.yaml"))
    with zipfile.ZipFile(tmp_path / "band.yaml.zip", "w") as z:
        z.write(tmp_path / "band.yaml", "band.yaml")
    back = read_band_yaml(tmp_path / "band.yaml.zip")
    assert np.allclose(back.frequencies, bands.frequencies, atol=1e-4)
    assert np.allclose(back.distances, bands.distances, atol=1e-5)


def test_figS3_panel_c_is_the_authors_third_band_file():
    """Panel (c) draws the authors' band_(c).yaml (not a DOS); without it, it says so; the DOS is
    an extra panel of this project's."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from bzs_repro.analysis.phonons import Bands
    from bzs_repro.figures.figS3 import make_figS3

    d = np.linspace(0, 1, 11)
    mk = lambda f: Bands(d, np.outer(d, [f, 2 * f]), [0.0, 1.0], ["G", "X"], [11])
    bands = {"low": mk(1.0), "full": mk(1.1)}
    doses = {"low": (np.linspace(0, 3, 5), np.ones(5))}
    fig = make_figS3(bands, doses, "paper", "smoke", {"c": mk(3.0)})
    ax_c = fig.axes[2]
    assert ax_c.get_title() == "authors' band_(c).yaml"
    ys = np.concatenate([ln.get_ydata() for ln in ax_c.get_lines() if len(ln.get_ydata()) == 11])
    assert ys.max() == pytest.approx(6.0)  # the (c) file's highest mode, 2 x 3.0 THz
    assert fig.axes[3].get_title() == "DOS (this project)"
    fig = make_figS3(bands, doses, "paper", "smoke", {})
    assert "not\navailable here" in " ".join(t.get_text() for t in fig.axes[2].texts)
