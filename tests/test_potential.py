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


def test_complete_potentials_pass_the_file_check(tmp_path):
    """The paper's YAML, the surrogates and their .yace forms are accepted; a .yace cut after
    its embeddings is refused, naming the file."""
    from bzs_repro.potential import (
        PotentialFileError,
        check_potential_file,
        potential_path,
        surrogate_path,
        yace_file,
    )

    for path in (potential_path("low-energy", "paper"), surrogate_path("low-energy"),
                 surrogate_path("full-dataset")):  # fmt: skip
        assert check_potential_file(path) == path
        assert check_potential_file(yace_file(path, tmp_path)).suffix == ".yace"
    text = yace_file(surrogate_path("low-energy"), tmp_path).read_text()
    cut = tmp_path / "cut.yace"
    cut.write_text(text[: text.index("bonds:")])
    with pytest.raises(PotentialFileError, match=rf"{cut}: .yace without bonds, functions"):
        check_potential_file(cut)
