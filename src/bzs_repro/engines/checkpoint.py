"""Checkpoints of long runs, shared by both engines and by every pipeline.

A checkpoint is ``<stem>.extxyz`` (the structure, with momenta for MD) plus ``<stem>.json``
(the state: a fingerprint of what is being run, the step reached, anything else the caller
keeps). Each file is written to a temporary name and renamed into place, so an interrupted
write never leaves half a checkpoint; a checkpoint whose fingerprint or atom count differs
(another protocol or model) is ignored, and the run starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import read, write

log = logging.getLogger(__name__)


def save(workdir: Path, atoms: Atoms, state: dict, stem: str = "checkpoint") -> None:
    """Write ``atoms`` (without calculator) and the JSON-serialisable ``state`` atomically."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    snap = atoms.copy()
    snap.calc = None
    tmp = workdir / f".{stem}.extxyz.tmp"
    write(tmp, snap, format="extxyz")
    tmp.replace(workdir / f"{stem}.extxyz")
    tmpj = workdir / f".{stem}.json.tmp"
    tmpj.write_text(json.dumps(state))
    tmpj.replace(workdir / f"{stem}.json")


def load(workdir: Path, fingerprint: str, n_atoms: int, stem: str = "checkpoint"):
    """(atoms, state) of the checkpoint in ``workdir`` if it belongs to ``fingerprint``, else None."""
    ck, js = Path(workdir) / f"{stem}.extxyz", Path(workdir) / f"{stem}.json"
    if not (ck.is_file() and js.is_file()):
        return None
    state = json.loads(js.read_text())
    if state.get("fingerprint") != fingerprint:
        log.warning("checkpoint %s is from another run; starting afresh", js)
        return None
    atoms = read(ck, format="extxyz")
    if len(atoms) != n_atoms:
        return None
    return atoms, state


def structure_fingerprint(atoms: Atoms) -> str:
    """sha256 (16 hex digits) of the species and positions (to 1e-6 A) of a starting model."""
    h = hashlib.sha256(" ".join(atoms.get_chemical_symbols()).encode())
    h.update(np.round(atoms.get_positions(), 6).tobytes())
    return h.hexdigest()[:16]


def relax_resumable(engine, atoms: Atoms, calc, protocol, workdir: Path, chunk_steps: int,
                    label: str = "relax") -> tuple[Atoms, dict]:  # fmt: skip
    """``engine.relax`` with ``protocol`` (its ``max_steps`` the total budget) in chunks of
    ``chunk_steps``, with a progress bar and a checkpoint ``workdir/<label>.*`` after each
    chunk. A rerun with the same starting model and protocol (any budget) resumes from the
    last checkpoint; the optimiser restarts its own state (FIRE velocities) at each chunk.
    Returns (relaxed atoms without calculator, state: steps, converged, fmax in eV/A)."""
    from dataclasses import replace

    from tqdm.auto import tqdm

    fp = f"{structure_fingerprint(atoms)}-{protocol.fingerprint()}"
    state = {"fingerprint": fp, "steps": 0, "converged": False, "fmax": None}
    loaded = load(workdir, fp, len(atoms), stem=label)
    if loaded is not None:
        atoms, state = loaded
        log.info("%s: resuming relaxation after %d steps (%s)", label, state["steps"], workdir)
    total = int(protocol.max_steps)
    bar = tqdm(total=total, initial=min(state["steps"], total), desc=label, unit="step")
    while not state["converged"] and state["steps"] < total:
        n = min(int(chunk_steps), total - state["steps"])
        res = engine.relax(atoms, calc, replace(protocol, max_steps=n))
        atoms = res.atoms
        done = max(res.steps, 1)
        state.update(steps=state["steps"] + done, converged=res.converged, fmax=res.fmax_eV_A)
        save(workdir, atoms, state, stem=label)
        bar.update(done)
        bar.set_postfix(fmax=f"{res.fmax_eV_A:.3f} eV/A")
    bar.close()
    atoms = atoms.copy()
    atoms.calc = None
    return atoms, state
