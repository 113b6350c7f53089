"""Fig. 2 analysis on structures whose answers are known (the Pnma crystal) and on the
authors' published amorphous model; OVITO (the paper's tool) cross-checked against ASE."""

from __future__ import annotations

import numpy as np
import pytest

from bzs_repro.analysis.amorphous import cn_histogram, structure_summary
from bzs_repro.analysis.angles import bond_angle_distributions, bond_angles
from bzs_repro.analysis.coordination import bonds
from bzs_repro.analysis.ovito_bonds import ovito_bonds
from bzs_repro.analysis.rdf import half_box, long_range_deviation, rdf
from bzs_repro.measures import density_g_cm3
from bzs_repro.structures.amorphous import random_start, read_authors_model
from bzs_repro.structures.crystal import bazrs3_pnma


@pytest.fixture(scope="module")
def crystal_222(relaxed_crystal):
    atoms = relaxed_crystal.copy()
    atoms.calc = None
    return atoms * (2, 2, 2)


@pytest.mark.parametrize(("center", "cn"), [("Zr", 6), ("Ba", 8)])
def test_crystal_cn_every_atom_ovito_and_ase(crystal_222, center, cn):
    ov = ovito_bonds(crystal_222, center, "S")
    ase_ = bonds(crystal_222, center, "S")
    assert (ov.cn == cn).all()
    assert (ase_.cn == cn).all()
    np.testing.assert_array_equal(ov.bond_j, ase_.bond_j)
    np.testing.assert_allclose(ov.length, ase_.length, atol=1e-9)


def test_crystal_summary_and_relaxed_zrs_bond(crystal_222):
    s = structure_summary(crystal_222)
    assert s["cn_zr_fractions"] == {6: 1.0}
    assert s["cn_ba_fractions"] == {8: 1.0}
    assert s["zrs_bond_mean_A"] == pytest.approx(2.530, abs=0.005)  # relaxed with the paper ACE
    assert s["ss_close_per_S"] == 0.0  # shortest S-S in the crystal is ~3.5 A
    assert structure_summary(crystal_222, backend="ase")["zrs_bond_mean_A"] == pytest.approx(
        s["zrs_bond_mean_A"]
    )


def test_crystal_rdf_first_zrs_peak(crystal_222):
    g = rdf(crystal_222, r_max=6.0, bins=200)
    assert g.first_peak("Zr-S", r_max=3.1) == pytest.approx(2.53, abs=0.03)
    assert g.first_peak("S-Zr", r_max=3.1) == g.first_peak("Zr-S", r_max=3.1)
    assert g.partial["Zr-S"][g.r < 2.2].max() == 0.0  # no Zr-S pair shorter than 2.2 A


def test_bond_angles_ovito_equal_ase_and_octahedra(crystal_222):
    adf = bond_angle_distributions(crystal_222, bins=500)
    for center in ("Zr", "Ba"):
        ang = bond_angles(crystal_222, center, "S")
        hist, _ = np.histogram(ang, bins=500, range=(0, 180))
        np.testing.assert_array_equal(hist, adf[f"S-{center}-S"])
    ang = bond_angles(crystal_222, "Zr", "S")
    assert len(ang) == 32 * 15  # 15 S-Zr-S angles per octahedron
    assert np.sum(np.abs(ang - 90) < 5) == 32 * 12
    assert np.sum(ang > 170) == 32 * 3


def test_long_range_test_rejects_a_crystal():
    atoms = bazrs3_pnma() * (3, 2, 3)
    assert half_box(atoms) > 6.5
    assert long_range_deviation(atoms) > 0.3
    with pytest.raises(ValueError, match="box too small"):
        long_range_deviation(bazrs3_pnma())


def test_random_start_density_and_spacing():
    atoms = random_start(16, 4.0, seed=3, min_distance=1.8)
    assert atoms.get_chemical_formula() == "Ba16S48Zr16"
    assert density_g_cm3(atoms) == pytest.approx(4.0, rel=1e-9)
    assert bonds(atoms, "S", "S", 1.8).cn.sum() == 0
    assert (
        min(np.linalg.norm(atoms.get_distance(0, j, mic=True)) for j in range(1, len(atoms))) >= 1.8
    )
    with pytest.raises(ValueError, match="could not place"):
        random_start(16, 12.0, min_distance=2.5, max_tries=50)


def test_cn_histogram_drops_small_bins():
    cn, frac = cn_histogram({3: 0.004, 5: 0.5, 6: 0.496})
    assert cn.tolist() == [5, 6]
    assert frac.sum() == pytest.approx(0.996)


def test_authors_model_wrapped_and_counted(paper_mirror):
    from bzs_repro.data.registry import default_registry

    path = default_registry().fetch("amorphous-model")
    atoms = read_authors_model(path)
    assert len(atoms) == 10240
    assert atoms.get_chemical_formula() == "Ba2048S6144Zr2048"
    frac = atoms.get_scaled_positions(wrap=False)
    assert (frac >= 0).all()
    assert (frac < 1).all()
    ov, ase_ = ovito_bonds(atoms, "Zr", "S"), bonds(atoms, "Zr", "S")
    np.testing.assert_array_equal(ov.cn, ase_.cn)
    assert 4.0 < ov.mean_cn < 6.5  # amorphous: under-coordinated Zr on average
    header_volume = np.prod([60.1864993562, 84.7127573344, 59.5881553616])
    assert atoms.get_volume() == pytest.approx(header_volume)


def test_authors_model_malformed(tmp_path):
    bad = tmp_path / "bad.xyz"
    bad.write_text(
        '2\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3\nBa 0 0 0\nZr 1 1 1\n'
    )
    with pytest.raises(ValueError, match="species"):
        read_authors_model(bad)


def test_random_start_keeps_the_pair_distances():
    """The default random start (fig2's S4 start) has no pair closer than its species' minimum
    (S-S 2.7 A: no S-S bond to seed the low-energy ACE's S-S basin), at 3.2 g/cm3."""
    from ase.neighborlist import neighbor_list

    from bzs_repro.structures.amorphous import RANDOM_MIN_DISTANCE_A

    atoms = random_start(32, 3.2, seed=1)
    i, j, d = neighbor_list("ijd", atoms, 3.6)
    sym = np.array(atoms.get_chemical_symbols())
    for (a, b), dmin in RANDOM_MIN_DISTANCE_A.items():
        sel = ((sym[i] == a) & (sym[j] == b)) | ((sym[i] == b) & (sym[j] == a))
        assert d[sel].min() >= dmin - 1e-9, (a, b)
    assert d[(sym[i] == "S") & (sym[j] == "S")].min() < 3.0  # the bound is met, not far from it
