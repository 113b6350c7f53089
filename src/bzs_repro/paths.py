"""Where the project's data files live: the source tree (editable install) or BZS_REPRO_ROOT."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


@cache
def project_root() -> Path:
    """The folder holding data/ and reproduce/ (the repository root).

    Set BZS_REPRO_ROOT to use another copy (e.g. inside a container); otherwise the
    repository that this package was installed from in editable mode is used.
    """
    env = os.environ.get("BZS_REPRO_ROOT")
    if env:
        root = Path(env)
        if not (
            (root / "data" / "expectations.toml").is_file()
            and (root / "data" / "registry.toml").is_file()
        ):
            msg = (
                f"BZS_REPRO_ROOT={env} holds no data/expectations.toml and data/registry.toml "
                "(a checkout of this project); fix or unset it"
            )
            raise FileNotFoundError(msg)
    candidates = [Path(env)] if env else []
    candidates += list(Path(__file__).resolve().parents)
    for cand in candidates:
        if (cand / "data" / "expectations.toml").is_file() and (
            cand / "data" / "registry.toml"
        ).is_file():
            return cand
    msg = (
        "cannot find the bzs-repro data folder (data/expectations.toml, data/registry.toml); "
        "install the project in editable mode from its repository or set BZS_REPRO_ROOT"
    )
    raise FileNotFoundError(msg)


def data_dir() -> Path:
    return project_root() / "data"


def reproduce_dir() -> Path:
    return project_root() / "reproduce"


def fixtures_dir() -> Path:
    return data_dir() / "fixtures"
