"""The authors' structure files: extxyz with an ``Origin`` key (ignored by ASE) and absolute
positions, plain (the amorphous model) or zipped (the relaxed polycrystals,
polycrystalline-struct/BZS-relaxed-*.xyz.zip)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ase import Atoms
from ase.io import read

from bzs_repro.potential import MASSES

SPECIES = ("Ba", "Zr", "S")


def _finish(atoms: Atoms, where: str) -> Atoms:
    """Periodic, wrapped into [0, L) (a periodic box is translation invariant, so the
    absolute positions, some slightly outside [Origin, Origin + L], give the same structure),
    the project's masses; refused without a 3D cell or a species."""
    if atoms.cell.rank != 3:
        msg = f"{where}: no 3D Lattice in the header"
        raise ValueError(msg)
    missing = set(SPECIES) - set(atoms.get_chemical_symbols())
    if missing:
        msg = f"{where}: species {sorted(missing)} missing (expected Ba, Zr, S)"
        raise ValueError(msg)
    unknown = set(atoms.get_chemical_symbols()) - set(SPECIES)
    if unknown:
        msg = f"{where}: species {sorted(unknown)} are not Ba, Zr, S"
        raise ValueError(msg)
    atoms.pbc = True
    atoms.wrap()
    atoms.set_masses([MASSES[s] for s in atoms.get_chemical_symbols()])
    return atoms


def read_authors_extxyz(path: Path | str) -> Atoms:
    """One of the authors' extxyz files, wrapped into its periodic box."""
    return _finish(read(Path(path), format="extxyz"), str(path))


def read_zipped_extxyz(path: Path | str) -> Atoms:
    """The one .xyz/.extxyz member of a zip (the authors' relaxed polycrystals), as
    :func:`read_authors_extxyz` reads a plain file. A zip with no or several structure
    members, or a damaged one, is refused naming the file."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith((".xyz", ".extxyz"))]
            if len(members) != 1:
                msg = f"{path}: expected one .xyz member, found {members or 'none'}"
                raise ValueError(msg)
            with zf.open(members[0]) as fh:
                text = io.TextIOWrapper(fh, encoding="utf-8")
                atoms = read(text, format="extxyz")
    except zipfile.BadZipFile as err:
        msg = f"{path}: not a readable zip ({err})"
        raise ValueError(msg) from err
    return _finish(atoms, f"{path}:{members[0]}")
