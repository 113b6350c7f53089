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
    from bzs_repro.structures.crystal import relax_crystal

    return relax_crystal(paper_calc)
