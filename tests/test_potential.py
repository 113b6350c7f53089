"""The embedded engine's evaluator: the .yace with pyace's recursive evaluator gives the YAML's
B-basis energies and forces (the speed-up changes no number)."""

from __future__ import annotations

import numpy as np
import pytest


def test_recursive_yace_evaluator_equals_the_yaml_evaluator(paper_calc, relaxed_crystal):
    from pyace import PyACECalculator

    a = relaxed_crystal.repeat((2, 1, 2))
    a.rattle(0.08, seed=5)
    b = a.copy()
    a.calc = paper_calc
    b.calc = PyACECalculator(str(paper_calc.bzs_potential_path))  # YAML, B-basis evaluator
    assert str(paper_calc.bzs_potential_path).endswith(".yaml")
    assert paper_calc.parameters.get("recursive_evaluator") is True
    assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), rel=1e-12)
    np.testing.assert_allclose(a.get_forces(), b.get_forces(), atol=1e-10)
    np.testing.assert_allclose(a.get_stress(), b.get_stress(), atol=1e-12)
    assert np.abs(b.get_forces()).max() > 0.1


def test_complete_potentials_pass_the_file_check(tmp_path, paper_mirror):
    """The paper's YAML, the surrogates and their .yace forms are accepted; a .yace cut after
    its embeddings is refused, naming the file."""
    from bzs_repro.potential import (
        PotentialFileError,
        check_potential_file,
        potential_path,
        surrogate_path,
        yace_file,
    )

    for path in (
        potential_path("low-energy", "paper"),
        surrogate_path("low-energy"),
        surrogate_path("full-dataset"),
    ):
        assert check_potential_file(path) == path
        assert check_potential_file(yace_file(path, tmp_path)).suffix == ".yace"
    text = yace_file(surrogate_path("low-energy"), tmp_path).read_text()
    cut = tmp_path / "cut.yace"
    cut.write_text(text[: text.index("bonds:")])
    with pytest.raises(PotentialFileError, match=rf"{cut}: .yace without bonds, functions"):
        check_potential_file(cut)


def test_verlet_environment_gives_pyace_results(tmp_path, paper_mirror):
    """The reused, linear-scaling environment gives pyace's own energy, forces and stress (to
    1e-9) on a rattled crystal, a sheared cell smaller than twice the cutoff, after moves
    within the skin (no rebuild), after a move beyond it (rebuild) and after a cell change."""
    from pyace import PyACECalculator

    from bzs_repro.potential import fast_calculator, potential_path, yace_file
    from bzs_repro.structures.crystal import bazrs3_pnma

    yace = yace_file(potential_path("low-energy", "paper"), tmp_path)
    ref = PyACECalculator(str(yace), recursive_evaluator=True, recursive=True)
    fast = fast_calculator(yace, recursive_evaluator=True, recursive=True)
    rng = np.random.default_rng(0)

    def same(atoms):
        a, b = atoms.copy(), atoms.copy()
        a.calc, b.calc = ref, fast
        assert b.get_potential_energy() == pytest.approx(a.get_potential_energy(), abs=1e-9)
        np.testing.assert_allclose(b.get_forces(), a.get_forces(), atol=1e-9)
        np.testing.assert_allclose(b.get_stress(), a.get_stress(), atol=1e-11)

    x = bazrs3_pnma().repeat((2, 2, 2))
    x.positions += rng.normal(scale=0.05, size=x.positions.shape)
    same(x)
    builds = fast._verlet.builds
    x.positions += rng.normal(scale=0.05, size=x.positions.shape) / 3  # < skin/2 per atom
    same(x)
    assert fast._verlet.builds == builds  # reused
    x.positions[0] += [0.8, 0, 0]  # beyond skin/2
    same(x)
    assert fast._verlet.builds == builds + 1
    x.set_cell(
        x.cell.array @ np.array([[1.01, 0.02, 0], [0, 0.99, 0], [0, 0.01, 1.0]]), scale_atoms=True
    )
    same(x)
    small = bazrs3_pnma()  # 20 atoms, box lengths 7-10 A < 2 x cutoff: many images per atom
    small.set_cell(
        small.cell.array + np.array([[0, 0.5, 0], [0.3, 0, 0], [0, 0, 0]]), scale_atoms=True
    )
    same(small)
    x.set_chemical_symbols(["Ba"] * len(x))  # other identities: rebuilt, still pyace's result
    same(x)


def test_verlet_environment_does_not_depend_on_when_it_was_built(relaxed_crystal, tmp_path):
    """A run resumed with a new calculator (its neighbour list built at another moment than the
    uninterrupted run's) follows the uninterrupted trajectory bit for bit: 2500 K NVT, the
    list rebuilt many times, resumed from the checkpoint at step 140 of 150."""
    from conftest import rewind_checkpoint

    from bzs_repro.engines import ase_engine
    from bzs_repro.potential import calculator
    from bzs_repro.protocols import MDProtocol, MDStage

    atoms = relaxed_crystal.repeat((2, 2, 1))
    proto = MDProtocol(
        (MDStage("hot", "nvt", 0.3, 2500.0),),
        dt_fs=2.0,
        thermo_every=10,
        checkpoint_every=70,
        initial_T_K=2500.0,
        seed=5,
    )
    ref = ase_engine.run_md(atoms, calculator(), proto, progress=False)
    wd = tmp_path / "wd"
    ase_engine.run_md(atoms, calculator(), proto, workdir=wd, progress=False)
    assert rewind_checkpoint(wd) == (150, 140)
    again = ase_engine.run_md(atoms, calculator(), proto, workdir=wd, progress=False)
    assert again.resumed_from_step == 140
    assert np.array_equal(again.atoms.positions, ref.atoms.positions)
    assert np.array_equal(again.atoms.get_momenta(), ref.atoms.get_momenta())
