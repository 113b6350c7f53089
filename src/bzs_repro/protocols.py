"""Engine-independent protocol descriptions (relaxation, MD stages, melt-quench).

Every engine (ASE + pyace, LAMMPS) renders these same dataclasses; engines hold no physics
constants of their own. Units: time ps / fs, temperature K, pressure GPa, force eV/Angstrom.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

Ensemble = Literal["nve", "nvt", "npt"]
CellDOF = Literal["fixed", "iso", "ortho", "full", "normal"]
Barostat = Literal["iso", "aniso", "tri"]
BAROSTATS = ("iso", "aniso", "tri")


@dataclass(frozen=True)
class Relax:
    """Energy minimisation.

    cell: ``fixed`` positions only; ``iso`` uniform scaling; ``ortho`` the three lengths
    independently (box/relax aniso); ``full`` all six components (box/relax tri);
    ``normal`` only the length along ``normal_axis`` (a GB cell's axis normal to the plane).
    """

    fmax: float = 0.01  # eV/Angstrom
    max_steps: int = 2000
    cell: CellDOF = "fixed"
    normal_axis: int = 1  # 0, 1, 2 = x, y, z; used by cell="normal"
    optimizer: Literal["FIRE", "BFGS"] = "FIRE"
    pressure_GPa: float = 0.0

    def cell_mask(self) -> list[int] | None:
        """Voigt mask (xx, yy, zz, yz, xz, xy) of the relaxed cell components; None = fixed."""
        if self.cell == "fixed":
            return None
        if self.cell == "full":
            return [1, 1, 1, 1, 1, 1]
        if self.cell in ("iso", "ortho"):
            return [1, 1, 1, 0, 0, 0]
        mask = [0] * 6
        mask[self.normal_axis] = 1
        return mask

    def fingerprint(self) -> str:
        """Hash of what is minimised and how, without the step budget: a chunked relaxation
        resumes the same minimisation whatever its budget (see MDProtocol.fingerprint)."""
        d = asdict(self)
        d.pop("max_steps")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class MDStage:
    """One MD stage; the target temperature ramps linearly from T_start_K to T_end_K."""

    name: str
    ensemble: Ensemble
    time_ps: float
    T_start_K: float
    T_end_K: float | None = None
    pressure_GPa: float = 0.0

    @property
    def T_final_K(self) -> float:
        return self.T_start_K if self.T_end_K is None else self.T_end_K

    def temperature_at(self, fraction: float) -> float:
        """Target temperature after ``fraction`` (0..1) of the stage."""
        return self.T_start_K + (self.T_final_K - self.T_start_K) * min(max(fraction, 0.0), 1.0)


@dataclass(frozen=True)
class MDProtocol:
    """A sequence of MD stages with common integration settings.

    barostat (NPT stages), in LAMMPS's words: ``iso`` volume only, box shape kept (a
    liquid has no shear stiffness); ``aniso`` the three box lengths independently, no
    shear (an orthogonal box, e.g. the Pnma crystal); ``tri`` all six cell components.
    """

    stages: tuple[MDStage, ...]
    dt_fs: float = 2.0
    tdamp_fs: float = 100.0  # thermostat time constant
    pdamp_fs: float = 1000.0  # barostat time constant
    barostat: Barostat = "aniso"
    seed: int = 0
    thermo_every: int = 50  # steps between thermo rows and failure checks
    checkpoint_every: int = 500  # steps between checkpoints
    failure_min_distance_A: float = 1.0  # the paper's failure criterion
    initial_T_K: float | None = None  # Maxwell-Boltzmann velocities (None: T_start of stage 1)
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.barostat not in BAROSTATS:
            msg = f"unknown barostat {self.barostat!r} (iso, aniso or tri)"
            raise ValueError(msg)
        legacy = self.meta.get("barostat")  # the spelling before the field existed
        if legacy is not None and legacy != self.barostat:
            msg = (
                f"meta['barostat'] = {legacy!r} disagrees with MDProtocol.barostat = "
                f"{self.barostat!r}; set the field"
            )
            raise ValueError(msg)

    def steps(self, stage: MDStage) -> int:
        return max(1, round(stage.time_ps * 1000.0 / self.dt_fs))

    def stages_from(self, start_step: int):
        """The stages still to run after ``start_step`` (a resumed run): yields (stage, its
        first global step, its number of steps, the steps of it already done)."""
        first = 0
        for stage in self.stages:
            n = self.steps(stage)
            if first + n > start_step:
                yield stage, first, n, max(0, start_step - first)
            first += n

    @property
    def total_steps(self) -> int:
        return sum(self.steps(s) for s in self.stages)

    def fingerprint(self) -> str:
        """Hash of the physics of this protocol (a checkpoint resumes only the same one)."""
        d = asdict(self)
        d.pop("meta", None)
        d["dynamics"] = DYNAMICS  # checkpoints of other equations of motion are not resumed
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


# The equations both engines integrate (Nose-Hoover chains + MTK barostat, LAMMPS fix nvt/npt
# and ASE's nose_hoover_chain); part of every protocol fingerprint.
DYNAMICS = "nose-hoover-chain-3/mtk-3"


def quench_time_ps(T_from_K: float, T_to_K: float, rate_K_per_s: float) -> float:
    """Duration of a linear quench in ps."""
    return abs(T_from_K - T_to_K) / rate_K_per_s * 1e12


def melt_quench(
    T_melt_K: float,
    melt_ps: float,
    quench_rate_K_per_s: float,
    T_final_K: float = 300.0,
    equil_ps: float = 10.0,
    dt_fs: float = 2.0,
    pressure_GPa: float = 0.0,
    premelt_nvt_ps: float = 0.0,
    **kwargs,
) -> MDProtocol:
    """Melt (NPT at T_melt), linear quench at ``quench_rate_K_per_s`` to T_final (NPT),
    then NPT equilibration at T_final, all at ``pressure_GPa``.

    ``premelt_nvt_ps`` > 0 first randomises at T_melt in NVT (useful from a random start
    at a fixed density, before the barostat is switched on).
    """
    stages = []
    if premelt_nvt_ps > 0:
        stages.append(MDStage("premelt", "nvt", premelt_nvt_ps, T_melt_K))
    stages += [
        MDStage("melt", "npt", melt_ps, T_melt_K, pressure_GPa=pressure_GPa),
        MDStage(
            "quench",
            "npt",
            quench_time_ps(T_melt_K, T_final_K, quench_rate_K_per_s),
            T_melt_K,
            T_final_K,
            pressure_GPa=pressure_GPa,
        ),
        MDStage("equilibrate", "npt", equil_ps, T_final_K, pressure_GPa=pressure_GPa),
    ]
    return MDProtocol(stages=tuple(stages), dt_fs=dt_fs, **kwargs)


def meltquench_protocol(
    cfg: dict, quench_rate_K_per_s: float | None = None, seed: int | None = None
) -> MDProtocol:
    """Stages: melt (``melt_ensemble``, default NVT at the start's density, at ``T_melt_K``),
    optional liquid (NPT at ``T_liquid_K``, if ``liquid_ps`` > 0), linear quench (NPT) from
    ``T_liquid_K`` to ``T_final_K`` at ``quench_rate_K_per_s``, equilibration (NPT at
    ``T_final_K``); all NPT at ``pressure_GPa`` with the barostat ``barostat`` ('iso': volume
    only, as a liquid needs; see MDProtocol)."""
    rate = float(quench_rate_K_per_s or cfg["quench_rate_K_per_s"])
    if rate <= 0:
        msg = f"quench rate must be > 0 K/s (got {rate})"
        raise ValueError(msg)
    p = float(cfg.get("pressure_GPa", 0.0))
    t_liq, t_fin = float(cfg["T_liquid_K"]), float(cfg["T_final_K"])
    stages = []
    if cfg.get("melt_ps", 0) > 0:
        ens = cfg.get("melt_ensemble", "nvt")
        if ens not in ("nvt", "npt"):
            msg = f"melt_ensemble must be 'nvt' or 'npt', not {ens!r}"
            raise ValueError(msg)
        stages.append(
            MDStage(
                "melt",
                ens,
                float(cfg["melt_ps"]),
                float(cfg["T_melt_K"]),
                pressure_GPa=p if ens == "npt" else 0.0,
            )
        )
    if cfg.get("liquid_ps", 0) > 0:
        stages.append(MDStage("liquid", "npt", float(cfg["liquid_ps"]), t_liq, pressure_GPa=p))
    stages += [
        MDStage("quench", "npt", quench_time_ps(t_liq, t_fin, rate), t_liq, t_fin, pressure_GPa=p),
        MDStage("equilibrate", "npt", float(cfg["equil_ps"]), t_fin, pressure_GPa=p),
    ]
    return MDProtocol(
        stages=tuple(stages),
        dt_fs=float(cfg["dt_fs"]),
        tdamp_fs=float(cfg["tdamp_fs"]),
        pdamp_fs=float(cfg["pdamp_fs"]),
        seed=int(cfg.get("seed", 0) if seed is None else seed),
        thermo_every=int(cfg.get("thermo_every", 50)),
        checkpoint_every=int(cfg.get("checkpoint_every", 500)),
        initial_T_K=float(cfg["T_melt_K"]),
        barostat=cfg.get("barostat", "iso"),
    )
