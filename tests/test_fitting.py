"""Training-set generator, linear ACE fit, errors, committed surrogate potentials, smoke refit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from bzs_repro.fitting.dataset import assign_splits, crystal_variants, dimers, random_structure
from bzs_repro.fitting.fit import (
    BasisSpec,
    FitSpec,
    fit_linear_ace,
    low_energy_subset,
    structure_weights,
)
from bzs_repro.measures import density_g_cm3
from bzs_repro.paths import fixtures_dir
from bzs_repro.structures.crystal import bazrs3_pnma

SURROGATE = fixtures_dir() / "surrogate"


def test_random_structure_composition_density_min_distance():
    rng = np.random.default_rng(3)
    a = random_structure(rng, formula_units=4, density_g_cm3=3.8, min_distance=2.0)
    assert a.get_chemical_formula() == "Ba4S12Zr4"  # hill order
    assert density_g_cm3(a) == pytest.approx(3.8, rel=1e-6)
    d = a.get_all_distances(mic=True)[np.triu_indices(len(a), 1)]
    assert d.min() >= 2.0


def test_dimers_and_crystal_variants_labels():
    ds = dimers([2.0, 3.0])
    assert len(ds) == 12  # 6 species pairs x 2 distances
    assert {d.info["pair"] for d in ds} == {"Ba-Ba", "Ba-Zr", "Ba-S", "Zr-Zr", "Zr-S", "S-S"}
    assert all(d.info["config_type"] == "dimer" for d in ds)
    assert ds[1].get_distance(0, 1) == pytest.approx(3.0)
    cv = crystal_variants(bazrs3_pnma(), 5, np.random.default_rng(0), strain_max=0.05)
    assert len(cv) == 6
    assert all(c.info["config_type"] == "crys" for c in cv)
    v0 = cv[0].get_volume()
    assert all(abs(c.get_volume() / v0 - 1) < 0.17 for c in cv[1:])  # 3 x 5 % strain at most


def test_splits_are_seeded_and_per_config_type():
    structs = [Atoms("H", info={"config_type": t}) for t in ["bulk"] * 20 + ["dimer"] * 10]
    assign_splits(structs, 0.1, seed=1)
    first = [s.info["split"] for s in structs]
    assign_splits(structs, 0.1, seed=1)
    assert first == [s.info["split"] for s in structs]
    assert first[:20].count("test") == 2
    assert first[20:].count("test") == 1


def _labelled(atoms, energy):
    atoms = atoms.copy()
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=np.zeros((len(atoms), 3)))
    return atoms


def test_low_energy_cut_and_weights():
    e0 = {"Ba": 0.0, "Zr": 0.0, "S": 0.0}
    xs = [_labelled(bazrs3_pnma(), e * 20) for e in (-5.0, -4.5, -3.9, -2.0)]
    kept = low_energy_subset(xs, e0, 1.0)
    assert [round(x.calc.results["energy"] / 20, 2) for x in kept] == [-5.0, -4.5]
    w = structure_weights(np.array([-5.0, -4.5, -3.5, -2.0]), 1.0, 0.5)
    assert w[0] == w[1] == 1.0
    assert w[2] == pytest.approx((0.5 / 1.0) ** 2)
    assert w[3] < w[2]


def test_linear_fit_recovers_a_linear_ace():
    """Labels made by a random linear ACE of the same basis are fitted back exactly."""
    import tempfile
    from pathlib import Path

    from pyace import ACEBBasisSet, PyACECalculator

    basis = BasisSpec(
        functions_per_element=8, nradmax_by_orders=(4, 2), lmax_by_orders=(0, 1), core_wall_eV=0.0
    )
    bb = ACEBBasisSet(basis.bbasis_config())
    coeffs = np.random.default_rng(0).normal(0, 0.1, len(bb.basis_coeffs))
    bb.basis_coeffs = coeffs
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "truth.yaml"
        bb.to_BBasisConfiguration().save(str(path))
        truth = PyACECalculator(str(path))
        rng = np.random.default_rng(1)
        structs = []
        for i in range(8):
            a = bazrs3_pnma()
            a.rattle(0.1, seed=i)
            a.set_cell(a.cell * rng.uniform(0.97, 1.05), scale_atoms=True)
            a.calc = truth
            structs.append(_labelled(a, a.get_potential_energy()))
            structs[-1].calc.results["forces"] = a.get_forces()
        e0 = {"Ba": 0.0, "Zr": 0.0, "S": 0.0}
        res = fit_linear_ace(structs, e0, basis, FitSpec(ridge_alpha=1e-12), progress=False)
        from bzs_repro.fitting.errors import predict

        path2 = Path(tmp) / "fit.yaml"
        res.save(path2)
        assert path2.with_suffix(".yace").is_file()
        pred = predict(structs, PyACECalculator(str(path2)), e0, progress=False)
        assert pred.energy_rmse_meV() < 0.01
        assert pred.force_rmse_meV() < 0.1


def _provenance():
    path = SURROGATE / "provenance.json"
    if not path.is_file():
        pytest.skip("committed surrogate potentials are missing (data/fixtures/surrogate)")
    return json.loads(path.read_text())


def test_committed_surrogate_reproduces_recorded_test_rmse():
    """The committed low-energy surrogate on the committed test split gives the recorded RMSE."""
    from bzs_repro.fitting.errors import predict
    from bzs_repro.fitting.fit import ace_calculator, corrected_energy, e0_from_yaml
    from bzs_repro.reference import FileReference

    prov = _provenance()
    test = FileReference(SURROGATE / "test_split.extxyz").structures()
    yaml = SURROGATE / "ace-low-energy.yaml"
    e0 = e0_from_yaml(yaml)
    cut = prov["low_energy_threshold_eV_atom"]
    sel = [a for a in test if corrected_energy(a, e0) / len(a) <= cut]
    pred = predict(sel, ace_calculator(yaml), e0, progress=False)
    recorded = next(
        r
        for r in prov["errors"]["low-energy"]
        if r["split"] == "test" and r["config_type"] == "all"
    )
    assert pred.energy_rmse_meV() == pytest.approx(recorded["energy_rmse_meV_atom"], abs=0.05)
    assert pred.energy_rmse_meV() < 25.0  # the quality bar


def test_committed_surrogate_active_set_grades():
    """Extrapolation grade: ~1 or below in the crystal, far above 1 for a compressed cell."""
    from bzs_repro.fitting.fit import ace_calculator

    _provenance()
    calc = ace_calculator(SURROGATE / "ace-low-energy.yaml", SURROGATE / "ace-low-energy.asi")
    a = bazrs3_pnma()
    a.calc = calc
    a.get_potential_energy()
    assert calc.results["gamma"].max() < 2.0  # pacemaker: <= 2 "reliable"
    b = bazrs3_pnma(5.6, 7.9, 5.5)
    b.calc = calc
    b.get_potential_energy()
    assert calc.results["gamma"].max() > 2.0


@pytest.mark.slow
def test_smoke_refit_matches_recorded_rmse(tmp_path):
    """Refit at smoke scale (CHGNet labels, ~40 s on 2 free cores) and compare with the
    recorded RMSE.

    Tolerance: 50 % or 3 meV/atom, whichever is larger -- the MD-generated snapshots depend
    on floating-point details of the machine (chaotic trajectories), so the data set, and
    with it the RMSE, is reproducible in distribution, not to the digit."""
    pytest.importorskip("chgnet")
    from bzs_repro.fitting.workflow import smoke_refit

    recorded = _provenance().get("smoke_refit")
    if not recorded:
        pytest.skip("no smoke_refit record in provenance.json")
    got = smoke_refit(tmp_path)
    for variant in ("low-energy",):
        r = recorded[variant]["test_energy_rmse_meV_atom"]
        g = got[variant]["test_energy_rmse_meV_atom"]
        assert abs(g - r) <= max(3.0, 0.5 * r), (variant, g, r)


def test_paper_mode_with_user_dft_file(paper_calc, tmp_path):
    """The paper-mode path with a user's 'DFT' file: labels made by the paper's low-energy ACE
    itself, shifted by per-species constants (another code's energy zero). The RMSE compared with
    the paper's is the plain one, with no fitted offsets: exactly the shift (-1.04 eV/atom); the
    per-species shift fitted on the train split is a separate, stated number (~0 here). A file
    without a held-out test split is refused."""
    from ase.io import write

    from bzs_repro.pipelines.fig1 import paper_rmse_with_dft
    from bzs_repro.results import RunSettings, TargetRun

    shift = {"Ba": -1.7, "Zr": -2.3, "S": -0.4}
    frames = []
    for i in range(6):
        a = bazrs3_pnma(7.09 * (1 + 0.01 * i), 9.94, 6.94)
        a.rattle(0.03, seed=i)
        a.calc = paper_calc
        e = a.get_potential_energy() + sum(shift[s] for s in a.get_chemical_symbols())
        b = _labelled(a, e)
        b.calc.results["forces"] = a.get_forces()
        b.info["config_type"] = "crys"
        b.info["split"] = "train" if i % 2 else "test"
        frames.append(b)
    path = tmp_path / "dft.extxyz"
    write(path, frames, format="extxyz")
    run = TargetRun("fig1", RunSettings("smoke", "paper", "ase", tmp_path / "out"))
    paper_rmse_with_dft(run, {"dft_data": str(path), "workflow": {}})
    per_atom = 1000 * (shift["Ba"] + shift["Zr"] + 3 * shift["S"]) / 5
    assert run.numbers["fig1.rmse_energy_low_energy_meV_atom"] == pytest.approx(
        abs(per_atom), rel=1e-6
    )
    assert run.numbers["fig1.rmse_energy_low_energy_shifted_meV_atom"] < 0.01
    assert "fig1.rmse_energy_full_meV_atom" in run.numbers
    for b in frames:
        b.info["split"] = "train"
    write(path, frames, format="extxyz")
    with pytest.raises(ValueError, match="held-out test set"):
        paper_rmse_with_dft(run, {"dft_data": str(path), "workflow": {}})


@pytest.mark.parametrize(
    ("spoil", "needle"),
    [
        ("energy", "not a finite number"),
        ("species", "unknown to the potential"),
        ("positions", "positions are not finite"),
    ],
)
def test_user_dft_file_is_validated_before_any_work(paper_calc, tmp_path, spoil, needle):
    from ase.io import write

    from bzs_repro.pipelines.fig1 import paper_rmse_with_dft
    from bzs_repro.results import RunSettings, TargetRun

    frames = []
    for i in range(2):
        a = bazrs3_pnma(7.09, 9.94, 6.94)
        a.calc = paper_calc
        b = _labelled(a, float("nan") if spoil == "energy" and i else a.get_potential_energy())
        b.calc.results["forces"] = a.get_forces()
        b.info["split"] = "train" if i else "test"
        if spoil == "species" and i:
            b[0].symbol = "O"
        if spoil == "positions" and i:
            b.positions[0, 0] = float("nan")
        frames.append(b)
    path = tmp_path / "dft.extxyz"
    write(path, frames, format="extxyz")
    run = TargetRun("fig1", RunSettings("smoke", "paper", "ase", tmp_path / "out"))
    with pytest.raises(ValueError, match=needle) as err:
        paper_rmse_with_dft(run, {"dft_data": str(path), "workflow": {}})
    assert "structure 2" in str(err.value)
