"""Extrapolation grades from an active set built here (pyace MaxVol)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_gamma_small_for_crystal_large_at_fresh_gbs(paper_mirror, tmp_path):
    from bzs_repro.analysis.extrapolation import (
        active_set_configs,
        build_active_set,
        per_atom_gamma,
    )
    from bzs_repro.potential import calculator
    from bzs_repro.structures import polycrystal as pc
    from bzs_repro.structures.crystal import bazrs3_pnma

    calc = calculator("full-dataset", "paper")
    seed = bazrs3_pnma(7.086, 9.941, 6.942)
    with pytest.raises(ValueError, match="environments"):  # too few for 1000 functions/species
        build_active_set(calc, active_set_configs(seed, 4), tmp_path / "small.asi")
    asi = build_active_set(calc, active_set_configs(seed, 34, seed=1), tmp_path / "as.asi")
    crystal = per_atom_gamma(seed.repeat((2, 2, 2)), calc.bzs_potential_path, asi)
    assert crystal.max() <= 1.0 + 1e-6  # the ideal crystal interpolates within the rattled set
    poly = pc.build_polycrystal(pc.random_params(3, 28.0, seed=4), seed)
    gamma = per_atom_gamma(poly, calc.bzs_potential_path, asi)
    assert gamma.shape == (len(poly),)
    assert gamma.max() > 2.0  # unrelaxed GBs (contacts down to 1.6 A) extrapolate
    assert np.percentile(gamma, 10) < 2.0  # grain cores (> 7 A cutoff from a GB) do not
