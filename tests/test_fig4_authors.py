"""The authors' relaxed polycrystals (zipped extxyz) are analysed directly when a copy is at
hand: tested on a small zip made here (a Pnma block written as the authors write their files,
with an Origin key and absolute positions)."""

from __future__ import annotations

import shutil
import zipfile

import numpy as np
import pytest
from ase.io import write

from bzs_repro.data.registry import Registry
from bzs_repro.io.authors import read_zipped_extxyz
from bzs_repro.paths import data_dir, reproduce_dir
from bzs_repro.results import RunSettings, TargetRun
from bzs_repro.targets import load_target

PATH_8 = "polycrystalline-struct/BZS-relaxed-8GB-200box.xyz.zip"


def _zip(block, dest, members=("BZS-relaxed-8GB-200box.xyz",)):
    dest.parent.mkdir(parents=True, exist_ok=True)
    xyz = dest.parent / "tmp.xyz"
    shifted = block.copy()
    shifted.positions += np.array([-3.0, 12.5, 0.25])  # absolute positions off the box
    shifted.info["Origin"] = "-3.0 12.5 0.25"
    write(xyz, shifted, format="extxyz")
    with zipfile.ZipFile(dest, "w") as zf:
        for m in members:
            zf.write(xyz, m)
    xyz.unlink()
    return dest


@pytest.fixture
def block(relaxed_crystal):
    b = relaxed_crystal.repeat((2, 2, 2))
    b.calc = None
    return b


def test_the_authors_zip_is_analysed_as_their_models(block, tmp_path):
    from bzs_repro.pipelines import fig4

    mirror = tmp_path / "mirror"
    _zip(block, mirror / PATH_8)
    shutil.copy(data_dir() / "registry.lock", tmp_path / "registry.lock")
    reg = Registry(
        lock_file=tmp_path / "registry.lock", cache_dir=tmp_path / "cache", mirror_dir=mirror
    )
    cfg = load_target(reproduce_dir() / "fig4" / "config.toml").config("smoke")
    run = TargetRun("fig4", RunSettings("smoke", "paper", "ase", tmp_path / "out"))
    pats = fig4.authors_polycrystals(run, cfg, reg)
    assert list(pats) == ["8"]
    ref = fig4._structure_numbers(block)
    assert run.numbers["fig4.authors_8grains.n_atoms"] == 160
    assert run.numbers["fig4.authors_8grains.cn_zr_mean"] == pytest.approx(6.0)  # a crystal
    assert run.numbers["fig4.authors_8grains.zrs_bond_mean_A"] == pytest.approx(
        ref["zrs_bond_mean_A"], abs=1e-9
    )  # the Origin shift and wrapping change nothing
    assert run.numbers["fig4.authors_8grains.composition_deviation_pct"] == 0.0
    assert np.all(np.isfinite(pats["8"].iq))
    assert (run.dir / "tables" / "xrd_authors.csv").is_file()
    # the other models are not at hand: UNAVAILABLE with the reason, not NOT RUN
    assert "fig4.authors_50grains.cn_zr_mean" in run.unavailable
    assert (
        "bzs-repro fetch polycrystal-50grain" in run.unavailable["fig4.authors_50grains.cn_zr_mean"]
    )
    assert any("BZS-relaxed-8GB-200box.xyz.zip" in v for v in run.inputs.values())  # provenance


def test_a_bad_zip_is_refused_naming_the_file(block, tmp_path):
    bad = tmp_path / "bad.xyz.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(ValueError, match=r"bad\.xyz\.zip: not a readable zip"):
        read_zipped_extxyz(bad)
    two = _zip(block, tmp_path / "two.zip", members=("a.xyz", "b.xyz"))
    with pytest.raises(ValueError, match=r"expected one \.xyz member"):
        read_zipped_extxyz(two)
    one = _zip(block, tmp_path / "one.zip")
    atoms = read_zipped_extxyz(one)
    assert len(atoms) == 160
    assert np.all((atoms.get_scaled_positions() >= 0) & (atoms.get_scaled_positions() < 1))
