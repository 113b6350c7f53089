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
