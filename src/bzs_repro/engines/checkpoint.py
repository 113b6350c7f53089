"""Checkpoints of long runs, shared by both engines and by every pipeline.

A checkpoint is one directory, ``<stem>.ckpt/``, renamed into place once it is complete:
``arrays.npz`` (species, positions, momenta and cell in binary, so a resumed run continues
from the same bits), ``atoms.extxyz`` (the same structure for people) and ``state.json`` (a
fingerprint of what is being run, the step reached, the random generator's and integrator's
state, anything else the caller keeps, and the sha256 of the two other files). The previous
checkpoint is kept as ``<stem>.ckpt.prev/``: a checkpoint that fails its digest check is
reported and the run falls back to the previous one. A checkpoint of another protocol or model
(fingerprint or atom count) is ignored, and the run starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import read, write

log = logging.getLogger(__name__)
# (stem, step, earlier wall time in s) of every checkpoint a run resumed from in this process
RESUMED: list[dict] = []


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save(
    workdir: Path,
    atoms: Atoms,
    state: dict,
    stem: str = "checkpoint",
    arrays: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write ``atoms`` (without calculator), the JSON-serialisable ``state`` and optional extra
    ``arrays`` as one checkpoint directory, atomically (written aside, renamed once)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob(f".{stem}.ckpt.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = workdir / f".{stem}.ckpt.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    snap = atoms.copy()
    snap.calc = None
    write(tmp / "atoms.extxyz", snap, format="extxyz")
    extra = {f"extra_{k}": np.asarray(v) for k, v in (arrays or {}).items()}
    np.savez(
        tmp / "arrays.npz",
        numbers=snap.numbers,
        positions=snap.positions,
        momenta=snap.get_momenta(),
        cell=snap.cell.array,
        pbc=snap.pbc,
        **extra,
    )
    files = {name: _sha256(tmp / name) for name in ("arrays.npz", "atoms.extxyz")}
    (tmp / "state.json").write_text(json.dumps({**state, "files": files}))
    cur, prev = workdir / f"{stem}.ckpt", workdir / f"{stem}.ckpt.prev"
    if cur.exists():
        shutil.rmtree(prev, ignore_errors=True)
        cur.rename(prev)
    tmp.rename(cur)
    return cur


class CorruptCheckpoint(ValueError):
    """A checkpoint directory that fails its own digest check."""


def _read(ck: Path) -> tuple[Atoms, dict, dict]:
    try:
        state = json.loads((ck / "state.json").read_text())
        for name, digest in state.pop("files").items():
            if _sha256(ck / name) != digest:
                msg = f"{ck / name}: sha256 differs from the one its state.json recorded"
                raise CorruptCheckpoint(msg)
        with np.load(ck / "arrays.npz") as z:
            arr = {k: z[k] for k in z.files}
    except (OSError, KeyError, ValueError, json.JSONDecodeError) as err:
        if isinstance(err, CorruptCheckpoint):
            raise
        raise CorruptCheckpoint(f"{ck}: unreadable ({err})") from err
    # per-atom arrays and info (grain ids, ...) from the extxyz; the exact bits from the npz
    atoms = read(ck / "atoms.extxyz", format="extxyz")
    if not np.array_equal(atoms.numbers, arr["numbers"]):
        raise CorruptCheckpoint(f"{ck}: atoms.extxyz and arrays.npz hold different species")
    atoms.set_cell(arr["cell"])
    atoms.pbc = arr["pbc"]
    atoms.positions = arr["positions"]
    atoms.set_momenta(arr["momenta"])
    extra = {k[len("extra_") :]: v for k, v in arr.items() if k.startswith("extra_")}
    return atoms, state, extra


def load(
    workdir: Path,
    fingerprint: str,
    n_atoms: int,
    stem: str = "checkpoint",
    with_arrays: bool = False,
):
    """(atoms, state) of the newest valid checkpoint in ``workdir`` that belongs to
    ``fingerprint`` (with ``with_arrays``: (atoms, state, extra arrays)), else None."""
    workdir = Path(workdir)
    for ck in (workdir / f"{stem}.ckpt", workdir / f"{stem}.ckpt.prev"):
        if not ck.is_dir():
            continue
        try:
            atoms, state, extra = _read(ck)
        except CorruptCheckpoint as err:
            log.warning("checkpoint failed its check (%s); falling back to the previous one", err)
            continue
        if state.get("fingerprint") != fingerprint or len(atoms) != n_atoms:
            log.warning("checkpoint %s is from another run; starting afresh", ck)
            return None
        RESUMED.append(
            {
                "checkpoint": str(ck),
                "step": state.get("step", state.get("steps")),
                "earlier_wall_s": float(state.get("wall_s", 0.0)),
            }
        )
        return (atoms, state, extra) if with_arrays else (atoms, state)
    if any(workdir.glob(f"{stem}.extxyz")):
        log.warning("%s holds a checkpoint in the old two-file format: not used", workdir)
    return None


def is_finished(workdir: Path, protocol, n_atoms: int, stem: str = "checkpoint") -> bool:
    """Whether ``workdir`` holds a valid checkpoint of ``protocol`` (an MDProtocol) at its last
    step: a rerun then reads the result back and needs no start configuration."""
    ck = Path(workdir) / f"{stem}.ckpt"
    if not ck.is_dir():
        return False
    try:
        atoms, state, _ = _read(ck)
    except CorruptCheckpoint:
        return False
    return (
        state.get("fingerprint") == protocol.fingerprint()
        and len(atoms) == n_atoms
        and int(state.get("step", -1)) == protocol.total_steps
    )


TRAJECTORY = "trajectory.extxyz"


def trajectory_size(workdir: Path) -> int:
    """Bytes of ``workdir/trajectory.extxyz`` now (kept in a checkpoint's state)."""
    f = Path(workdir) / TRAJECTORY
    return f.stat().st_size if f.is_file() else 0


def trim_trajectory(workdir: Path, size: int | None) -> None:
    """Cut ``workdir/trajectory.extxyz`` back to the ``size`` it had at the checkpoint a run
    resumes from: frames written after it are written again, never twice."""
    f = Path(workdir) / TRAJECTORY
    if not f.is_file():
        return
    if size is None or size <= 0:
        f.unlink()
    elif f.stat().st_size > size:
        with f.open("r+b") as fh:
            fh.truncate(size)


def structure_fingerprint(atoms: Atoms) -> str:
    """sha256 (16 hex digits) of the species and positions (to 1e-6 A) of a starting model."""
    h = hashlib.sha256(" ".join(atoms.get_chemical_symbols()).encode())
    h.update(np.round(atoms.get_positions(), 6).tobytes())
    return h.hexdigest()[:16]


def relax_resumable(
    engine, atoms: Atoms, calc, protocol, workdir: Path, chunk_steps: int, label: str = "relax"
) -> tuple[Atoms, dict]:
    """``engine.relax`` with ``protocol`` (its ``max_steps`` the total budget) in chunks of
    ``chunk_steps``, with a progress bar and a checkpoint ``workdir/<label>.*`` after each
    chunk. A rerun with the same starting model and protocol (any budget) resumes from the
    last checkpoint; the optimiser restarts its own state (FIRE velocities) at each chunk.
    Returns (relaxed atoms without calculator, state: steps, converged, fmax in eV/A)."""
    from dataclasses import replace

    from tqdm.auto import tqdm

    fp = f"{structure_fingerprint(atoms)}-{protocol.fingerprint()}"
    state = {"fingerprint": fp, "steps": 0, "converged": False, "fmax": None, "wall_s": 0.0}
    loaded = load(workdir, fp, len(atoms), stem=label)
    if loaded is not None:
        atoms, state = loaded
        log.info("%s: resuming relaxation after %d steps (%s)", label, state["steps"], workdir)
    total = int(protocol.max_steps)
    bar = tqdm(total=total, initial=min(state["steps"], total), desc=label, unit="step")
    t0, wall0 = time.time(), float(state.get("wall_s", 0.0))
    while not state["converged"] and state["steps"] < total:
        n = min(int(chunk_steps), total - state["steps"])
        res = engine.relax(atoms, calc, replace(protocol, max_steps=n))
        atoms = res.atoms
        done = max(res.steps, 1)
        state.update(
            steps=state["steps"] + done,
            converged=res.converged,
            fmax=res.fmax_eV_A,
            wall_s=wall0 + time.time() - t0,
        )
        save(workdir, atoms, state, stem=label)
        bar.update(done)
        bar.set_postfix(fmax=f"{res.fmax_eV_A:.3f} eV/A")
    bar.close()
    atoms = atoms.copy()
    atoms.calc = None
    return atoms, state


def relax_cached(engine, atoms: Atoms, calc, protocol, workdir: Path, label: str):
    """``engine.relax(atoms, calc, protocol)`` once: its result (relaxed atoms, energy, steps,
    convergence, fmax) is kept as the checkpoint ``workdir/<label>.ckpt`` and read back, bit for
    bit, by a later call with the same starting model and protocol (a unit of the workflow
    computed by another job). Not resumable midway: one relaxation, one job. Returns
    (the engine's RelaxResult, state: energy, steps, convergence, fmax, wall_s in s of the
    computing call, ``reused``)."""
    from bzs_repro.engines.base import RelaxResult

    fp = f"{structure_fingerprint(atoms)}-{protocol.fingerprint()}-{protocol.max_steps}"
    loaded = load(workdir, fp, len(atoms), stem=label)
    if loaded is not None:
        relaxed, state = loaded
        if "momenta" not in atoms.arrays:  # a checkpoint always stores momenta (zeros here)
            relaxed.arrays.pop("momenta", None)
        res = RelaxResult(
            relaxed, state["energy_eV"], state["steps"], state["converged"], state["fmax"]
        )
        return res, {**state, "reused": True}
    t0 = time.time()
    res = engine.relax(atoms, calc, protocol)
    state = {
        "fingerprint": fp,
        "energy_eV": float(res.energy_eV),
        "steps": int(res.steps),
        "converged": bool(res.converged),
        "fmax": float(res.fmax_eV_A),
        "wall_s": time.time() - t0,
    }
    snap = res.atoms.copy()
    snap.calc = None
    save(workdir, snap, state, stem=label)
    return res, {**state, "reused": False}
