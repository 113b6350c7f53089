"""The embedded engine's NPT barostats: what each lets the cell do (paper potential)."""

from __future__ import annotations

import numpy as np
import pytest

from bzs_repro.engines import ase_engine
from bzs_repro.protocols import MDProtocol, MDStage


def _npt(barostat: str) -> MDProtocol:
    # a deliberately fast barostat (pdamp 100 fs) so that 200 fs move the box visibly
    stage = MDStage("npt", "npt", 0.2, 300.0, pressure_GPa=2.0)
    return MDProtocol(
        (stage,),
        dt_fs=2.0,
        tdamp_fs=50.0,
        pdamp_fs=100.0,
        seed=3,
        thermo_every=20,
        barostat=barostat,
    )


@pytest.fixture(scope="module")
def supercell(relaxed_crystal):
    return relaxed_crystal.repeat((1, 1, 2))


def test_aniso_moves_lengths_without_shear(supercell, paper_calc):
    res = ase_engine.run_md(supercell, paper_calc, _npt("aniso"), progress=False)
    cell = res.atoms.cell.array
    assert np.abs(cell - np.diag(np.diag(cell))).max() < 1e-10  # no tilt at all
    ratios = np.diag(cell) / np.diag(supercell.cell.array)
    assert (ratios < 1.0).all()  # 2 GPa compresses every length
    assert np.ptp(ratios) > 1e-4  # ... independently (the crystal is anisotropic)


def test_iso_keeps_the_shape(supercell, paper_calc):
    res = ase_engine.run_md(supercell, paper_calc, _npt("iso"), progress=False)
    ratios = np.diag(res.atoms.cell.array) / np.diag(supercell.cell.array)
    assert ratios[0] < 1.0
    assert np.ptp(ratios) < 1e-10


def test_tri_lets_the_cell_shear(supercell, paper_calc):
    res = ase_engine.run_md(supercell, paper_calc, _npt("tri"), progress=False)
    cell = res.atoms.cell.array
    assert np.abs(cell - np.diag(np.diag(cell))).max() > 1e-6


def test_aniso_refuses_a_tilted_box(supercell, paper_calc):
    tilted = supercell.copy()
    cell = tilted.cell.array.copy()
    cell[1, 0] = 0.5
    tilted.set_cell(cell, scale_atoms=True)
    with pytest.raises(ValueError, match="orthogonal box"):
        ase_engine.run_md(tilted, paper_calc, _npt("aniso"), progress=False)


def test_trajectory_written_into_a_new_workdir(supercell, paper_calc, tmp_path):
    stage = MDStage("nvt", "nvt", 0.04, 300.0)
    protocol = MDProtocol((stage,), dt_fs=2.0, thermo_every=10, seed=1)
    work = tmp_path / "not-yet"
    ase_engine.run_md(
        supercell, paper_calc, protocol, workdir=work, progress=False, trajectory_every=10
    )
    from ase.io import read

    frames = read(work / "trajectory.extxyz", index=":")
    assert len(frames) == 2
    assert len(frames[0]) == len(supercell)
