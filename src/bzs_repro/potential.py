"""The ACE potentials: the paper's two (registry) and this project's surrogates (fixtures).

Variants, as in the paper: ``low-energy`` (all quantitative results) and ``full-dataset``
(relaxation of the random polycrystals, robust at close contacts). Data modes: ``paper`` (the
authors' files through the registry) and ``surrogate`` (ACE fitted by this project to a
CHGNet-labelled data set, data/fixtures/surrogate/; never the paper's numbers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from bzs_repro.data.registry import DataUnavailableError, default_registry
from bzs_repro.paths import fixtures_dir

Variant = Literal["low-energy", "full-dataset"]
PAPER_POTENTIALS: dict[str, str] = {
    "low-energy": "ace-low-energy",
    "full-dataset": "ace-full-dataset",
}
SURROGATE_POTENTIALS: dict[str, str] = {
    "low-energy": "surrogate/ace-low-energy.yaml",
    "full-dataset": "surrogate/ace-full-dataset.yaml",
}
SPECIES = ("Ba", "Zr", "S")
MASSES = {"Ba": 137.327, "Zr": 91.224, "S": 32.065}  # amu, as in the authors' files


def surrogate_path(variant: Variant) -> Path:
    return fixtures_dir() / SURROGATE_POTENTIALS[variant]


def potential_path(variant: Variant = "low-energy", data: str = "paper") -> Path:
    """Path of the pacemaker YAML of ``variant`` in data mode ``data``."""
    if variant not in PAPER_POTENTIALS:
        msg = f"unknown potential variant {variant!r}; choose from {sorted(PAPER_POTENTIALS)}"
        raise ValueError(msg)
    if data == "paper":
        return default_registry().fetch(PAPER_POTENTIALS[variant])
    if data == "surrogate":
        path = surrogate_path(variant)
        if not path.is_file():
            msg = (
                f"surrogate potential {path} is missing: fit it with "
                "`python -m bzs_repro.fitting.workflow --scale reduced` (or restore data/fixtures/surrogate/ from git)"
            )
            raise FileNotFoundError(msg)
        return path
    msg = f"unknown data mode {data!r} (paper or surrogate)"
    raise ValueError(msg)


def yace_file(yaml_path: Path, cache_dir: Path | None = None) -> Path:
    """The .yace (C-tilde basis) of a pacemaker YAML (for pair_style pace and pyace's recursive
    evaluator): a .yace next to the YAML if present, else converted with pyace (as
    ``pace_yaml2yace``) into a cache keyed by the YAML's sha256."""
    import hashlib
    import os
    import tempfile

    yaml_path = Path(yaml_path)
    if yaml_path.suffix == ".yace":
        return yaml_path
    sibling = yaml_path.with_suffix(".yace")
    if sibling.is_file() and sibling.stat().st_mtime >= yaml_path.stat().st_mtime:
        return sibling
    digest = hashlib.sha256(yaml_path.read_bytes()).hexdigest()[:16]
    cache = Path(
        cache_dir or os.environ.get("BZS_REPRO_CACHE") or Path(tempfile.gettempdir()) / "bzs-repro"
    )
    out = cache / "yace" / f"{yaml_path.stem}-{digest}.yace"
    if not out.is_file():
        from pyace import ACEBBasisSet

        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        ACEBBasisSet(str(yaml_path)).to_ACECTildeBasisSet().save_yaml(str(tmp))
        tmp.replace(out)
    return out


def calculator(variant: Variant = "low-energy", data: str = "paper"):
    """A pyace ASE calculator (PyACECalculator) for ``variant`` in data mode ``data``: the
    potential's C-tilde form (.yace) with pyace's recursive evaluator, the fastest pyace offers
    (same energies as the YAML's B-basis evaluator to 1e-15 relative; tests/test_potential.py).
    ``calc.bzs_potential_path`` is the YAML (LAMMPS, extrapolation grades, provenance)."""
    from pyace import PyACECalculator

    path = potential_path(variant, data)
    calc = PyACECalculator(str(yace_file(path)), recursive_evaluator=True, recursive=True)
    calc.bzs_potential_path = path  # engines that need the file (LAMMPS pair_style pace)
    calc.bzs_label = f"{data}:{variant}"
    return calc


def resolve_data_mode(requested: str, variant: Variant = "low-energy") -> tuple[str, str]:
    """Resolve ``auto`` to ``paper`` or ``surrogate``; returns (mode, reason)."""
    if requested in ("paper", "surrogate"):
        return requested, f"requested on the command line (--data {requested})"
    if requested != "auto":
        msg = f"--data must be auto, paper or surrogate, not {requested!r}"
        raise ValueError(msg)
    reg = default_registry()
    name = PAPER_POTENTIALS[variant]
    if reg.available(name):
        return "paper", f"the paper's {variant} ACE is available ({reg.local_copy(name)})"
    try:
        path = reg.fetch(name)
    except DataUnavailableError as err:
        if surrogate_path(variant).is_file():
            return "surrogate", f"the paper's potential is unavailable ({err}); using the surrogate"
        raise
    return "paper", f"the paper's {variant} ACE was downloaded ({path})"
