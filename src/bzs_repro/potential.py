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


class PotentialFileError(ValueError):
    """A potential file that is not a complete ACE potential for Ba, Zr and S (names the file)."""


_CHECKED: dict[tuple[str, int, int], None] = {}


def check_potential_file(path: Path) -> Path:
    """Refuse, naming the file, a potential that is missing, empty, not YAML, truncated inside a
    block, or lacks a species block of Ba, Zr or S: pacemaker B-basis YAML (``species`` blocks,
    one per element and ordered pair) or C-tilde ``.yace`` (``elements``, ``embeddings``,
    ``bonds``, ``functions``). pyace's own (yaml-cpp) messages name no file, so this runs first.
    Hand-written: the field's formats have no validator of their own. A cut inside the last
    block's function list leaves a valid, smaller potential: the paper's files are guarded by
    their sha256 (registry), the project's by git."""
    path = Path(path)
    if not path.is_file():
        raise PotentialFileError(f"potential {path}: no such file")
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _CHECKED:
        return path
    if st.st_size == 0:
        raise PotentialFileError(f"potential {path}: the file is empty")
    elements = _yace_elements(path) if path.suffix == ".yace" else _yaml_elements(path)
    missing_species = [s for s in SPECIES if s not in elements]
    if missing_species:
        msg = (
            f"potential {path}: no {', '.join(missing_species)} (holds "
            f"{', '.join(sorted(elements)) or 'no species'}; BaZrS3 needs Ba, Zr, S)"
        )
        raise PotentialFileError(msg)
    _CHECKED[key] = None
    return path


def _yace_elements(path: Path) -> set[str]:
    """Elements of a .yace whose four sections are present; read by line, as its flow-sequence
    keys (``[0, 1]:``) are not hashable for PyYAML."""
    import re

    text = path.read_text(errors="replace")
    keys = set(re.findall(r"^([A-Za-z_]\w*):", text, re.MULTILINE))
    missing = [k for k in ("elements", "embeddings", "bonds", "functions") if k not in keys]
    if missing:
        raise PotentialFileError(
            f"potential {path}: .yace without {', '.join(missing)} (truncated?)"
        )
    m = re.search(r"^elements:\s*\[([^\]]*)\]", text, re.MULTILINE)
    return {e.strip() for e in m.group(1).split(",")} if m else set()


def _yaml_elements(path: Path) -> set[str]:
    """Elements of a pacemaker B-basis YAML with every block (unary and ordered pairs) whole."""
    import yaml

    try:
        doc = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        msg = f"potential {path}: not a readable YAML file{at} (truncated or damaged?)"
        raise PotentialFileError(msg) from err
    if not isinstance(doc, dict):
        raise PotentialFileError(f"potential {path}: not an ACE potential (no key/value mapping)")
    blocks = doc.get("species")
    if not isinstance(blocks, list) or not blocks:
        raise PotentialFileError(
            f"potential {path}: no 'species' blocks (not a pacemaker B-basis YAML)"
        )
    for block in blocks:
        if not isinstance(block, dict) or "speciesblock" not in block:
            raise PotentialFileError(f"potential {path}: a species block without 'speciesblock'")
        need = ("radcoefficients", "nbody") if len(str(block["speciesblock"]).split()) <= 2 else ()
        lost = [k for k in need if k not in block]
        if lost:
            msg = (
                f"potential {path}: species block {block['speciesblock']!r} lacks "
                f"{', '.join(lost)} (truncated?)"
            )
            raise PotentialFileError(msg)
    names = {str(b["speciesblock"]) for b in blocks}
    elements = {e for n in names for e in n.split()}
    wanted = {f"{a} {b}" for a in elements for b in elements if a != b} | elements
    lost_blocks = sorted(wanted - names)
    if lost_blocks and set(SPECIES) <= elements:
        raise PotentialFileError(
            f"potential {path}: no species block {lost_blocks[0]!r} (truncated?)"
        )
    return elements


def load_pyace(path: Path, make):
    """``make(str(path))`` (a pyace constructor) after :func:`check_potential_file`, with any
    pyace error reported with the file's name."""
    check_potential_file(path)
    try:
        return make(str(path))
    except (RuntimeError, ValueError) as err:
        raise PotentialFileError(f"potential {path}: pyace cannot load it ({err})") from err


def surrogate_path(variant: Variant) -> Path:
    return fixtures_dir() / SURROGATE_POTENTIALS[variant]


def potential_path(variant: Variant = "low-energy", data: str = "paper") -> Path:
    """Path of the pacemaker YAML of ``variant`` in data mode ``data``."""
    if variant not in PAPER_POTENTIALS:
        msg = f"unknown potential variant {variant!r}; choose from {sorted(PAPER_POTENTIALS)}"
        raise ValueError(msg)
    if data == "paper":
        return check_potential_file(default_registry().fetch(PAPER_POTENTIALS[variant]))
    if data == "surrogate":
        path = surrogate_path(variant)
        if not path.is_file():
            msg = (
                f"surrogate potential {path} is missing: fit it with "
                "`python -m bzs_repro.fitting.workflow --scale reduced` "
                "(or restore data/fixtures/surrogate/ from git)"
            )
            raise FileNotFoundError(msg)
        return check_potential_file(path)
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
        load_pyace(yaml_path, ACEBBasisSet).to_ACECTildeBasisSet().save_yaml(str(tmp))
        tmp.replace(out)
    return out


def fast_calculator(path: Path, **kwargs):
    """pyace's PyACECalculator for ``path`` whose atomic environment comes from
    :class:`bzs_repro.ace_environment.VerletEnvironment` (linear scaling, reused between steps)
    for periodic cells; pyace's own builder otherwise. Same results as PyACECalculator."""
    from bzs_repro.ace_environment import verlet_calculator_class

    VerletPyACECalculator = verlet_calculator_class()
    return load_pyace(path, lambda p: VerletPyACECalculator(p, **kwargs))


def calculator(variant: Variant = "low-energy", data: str = "paper"):
    """A pyace ASE calculator (PyACECalculator) for ``variant`` in data mode ``data``: the
    potential's C-tilde form (.yace) with pyace's recursive evaluator, the fastest pyace offers
    (same energies as the YAML's B-basis evaluator to 1e-15 relative; tests/test_potential.py),
    and a linear-scaling, reused neighbour environment (:func:`fast_calculator`).
    ``calc.bzs_potential_path`` is the YAML (LAMMPS, extrapolation grades, provenance)."""
    path = potential_path(variant, data)
    calc = fast_calculator(yace_file(path), recursive_evaluator=True, recursive=True)
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
