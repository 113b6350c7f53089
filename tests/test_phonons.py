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
