"""Fig. 2 and SI Tables S3-S5: amorphous BaZrS3 by melt-quench, analysed as in the paper.

Flow: relax the Pnma crystal (0 K) -> optional crystal NPT at 300 K -> melt-quench runs
(main run, quench-rate sweep S3, start sweep S4; each resumable in work/) -> analysis
(OVITO: CN, bonds, g(r), bond angles) -> the authors' published model (paper mode) ->
numbers.json, figures, tables.
"""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path

from bzs_repro.analysis.amorphous import structure_summary
from bzs_repro.analysis.angles import bond_angle_distributions
from bzs_repro.analysis.meltquench import cost_estimate, format_duration, stage_average
from bzs_repro.analysis.rdf import half_box, long_range_deviation, rdf
from bzs_repro.data.expectations import paper_value
from bzs_repro.engines import checkpoint
from bzs_repro.engines.base import SimulationFailed
from bzs_repro.measures import density_g_cm3
from bzs_repro.pipelines import engine_and_potential
from bzs_repro.protocols import MDProtocol, MDStage, meltquench_protocol
from bzs_repro.relaxed import relax_crystal
from bzs_repro.structures.amorphous import (
    crystal_supercell,
    read_authors_model,
    start_configuration,
)
from bzs_repro.structures.crystal import spacegroup_number

log = logging.getLogger(__name__)
T = "fig2"
PAPER_KEYS = ("density_g_cm3", "cn_zr_mean", "zrs_bond_mean_A", "density_ratio")
EXAFS_KEYS = ("zrs_bond_mean_A", "cn_zr_mean")  # ref. 10 as quoted by the paper


def _paper() -> dict[str, float]:
    """The paper's Fig. 2 numbers, from data/expectations.toml (written there only)."""
    return {k: paper_value(f"{T}.{k}") for k in PAPER_KEYS}


def _exafs() -> dict[str, float]:
    """The EXAFS values the paper quotes (ref. 10), from data/expectations.toml."""
    return {k: paper_value(f"{T}.{k}:exafs") for k in EXAFS_KEYS}


def _say(text: str) -> None:
    """Print to the console (above any progress bar) and log."""
    from tqdm.auto import tqdm

    tqdm.write(text)
    log.info(text)


def _throughput(engine, atoms, calc, cfg) -> float:
    fallback = float(cfg.get("throughput_atom_steps_per_s", 7000.0))
    measure = getattr(engine, "throughput_atom_steps_per_s", None)
    if measure is None:
        return fallback
    try:
        return float(measure(atoms, calc, steps=10))
    except Exception as err:  # noqa: BLE001 - a failed measurement only affects the estimate
        log.warning("throughput measurement failed (%s); using %s atom-steps/s", err, fallback)
        return fallback


def run_meltquench(run, cfg: dict, calc, engine, start: str, rate: float, crystal) -> dict:
    """One melt-quench from ``start`` at ``rate`` K/s; resumes from run.work_dir (a finished
    one is read back, without rebuilding its start). Returns {'atoms', 'thermo', 'start',
    'rate', 'wall_s', 'tag', ...}."""
    n = int(cfg["n_atoms"])
    expand = float(cfg.get("melt_volume_expansion_pct", 0.0))
    protocol = meltquench_protocol(cfg, rate)
    tag = _meltquench_tag(cfg, start, rate)
    atoms = start_configuration(
        start,
        n,
        float(cfg["start_density_g_cm3"]),
        seed=int(cfg["seed"]),
        crystal=crystal,
        reps=tuple(cfg["crystal_reps"]),
        cubic=cfg.get("start_box", "crystal") == "cubic",
    )
    finished = checkpoint.is_finished(run.work_dir / tag, protocol, len(atoms))
    if start == "melted-crystal" and expand:  # the NVT melt runs in a box this much larger
        atoms.set_cell(atoms.cell * (1.0 + expand / 100.0) ** (1.0 / 3.0), scale_atoms=True)
    cubic = start == "melted-crystal" and cfg.get("start_box", "crystal") == "cubic"
    if (start == "random" or cubic) and not finished:  # remove the worst overlaps before MD
        # (fixed cell): a random start has overlaps; the crystal strained into a cube has
        # 10-80 % strains at 4x4x2 cells (37 GPa, 13 000 K after 50 steps if melted as it is)
        from bzs_repro.protocols import Relax

        pre = calc
        if cfg.get("prerelax_potential", cfg.get("potential")) != cfg.get("potential"):
            from bzs_repro.potential import calculator

            pre = calculator(cfg["prerelax_potential"], run.settings.data)
            run.add_input("prerelax potential", pre.bzs_potential_path)
        atoms = engine.relax(
            atoms, pre, Relax(fmax=0.5, max_steps=int(cfg.get("random_prerelax_steps", 300)))
        ).atoms
    speed = float(cfg.get("throughput_atom_steps_per_s", 7000.0))
    cost = cost_estimate(protocol, n, speed if finished else _throughput(engine, atoms, calc, cfg))
    _say(
        f"[fig2] melt-quench {start}, {rate:.0e} K/s, {n} atoms: "
        + (
            "finished earlier (read back)"
            if finished
            else f"{cost['steps']} steps x {n} atoms / {cost['atom_steps_per_s']:.0f} "
            f"atom-steps/s = about {format_duration(cost['estimated_s'])}"
        )
        + f" (checkpoints in {run.work_dir / tag})"
    )
    res = engine.run_md(
        atoms, calc, protocol, workdir=run.work_dir / tag, label=f"melt-quench {start} {rate:.0e}"
    )
    return {
        "atoms": res.atoms,
        "thermo": res.thermo,
        "start": start,
        "rate": rate,
        "wall_s": res.wall_s,
        "tag": tag,
        "resumed_from_step": res.resumed_from_step,
        "estimate": cost,
    }


def _meltquench_tag(cfg: dict, start: str, rate: float) -> str:
    """The work/ folder of one melt-quench: its start, size, rate, barostat and a hash of what
    makes its start (the checkpoint fingerprint covers the MD protocol only)."""
    import hashlib
    import json

    from bzs_repro.structures.amorphous import RANDOM_MIN_DISTANCE_A

    n, expand = int(cfg["n_atoms"]), float(cfg.get("melt_volume_expansion_pct", 0.0))
    box = cfg.get("start_box", "crystal") if start == "melted-crystal" else "cubic"
    tag = f"meltquench-{n}-{start}-{box}-{rate:.0e}-{cfg.get('barostat', 'iso')}".replace("+", "")
    if start == "melted-crystal" and expand:
        tag += f"-expand{expand:g}"
    made = {
        k: cfg.get(k)
        for k in (
            "prerelax_potential",
            "random_prerelax_steps",
            "start_density_g_cm3",
            "crystal_reps",
            "seed",
        )
    }
    if start == "random":
        made["min_distance"] = sorted(
            (f"{a}-{b}", d) for (a, b), d in RANDOM_MIN_DISTANCE_A.items()
        )
    return tag + "-" + hashlib.sha256(json.dumps(made, sort_keys=True).encode()).hexdigest()[:8]


def _rate_name(rate: float) -> str:
    return f"{rate:.0e}".replace("+", "")


def meltquench_units(cfg: dict) -> dict[str, tuple[str, float]]:
    """{unit name: (start, rate)} of the melt-quench runs: 'main', the quench-rate sweep of
    Table S3 ('s3-1e14', ...) and the starts of Table S4 ('s4-random', ...), each once."""
    main = (cfg["start"], float(cfg["quench_rate_K_per_s"]))
    units = {"main": main}
    if cfg.get("table_s3", True):
        for r in cfg.get("table_s3_rates", []):
            if (cfg["start"], float(r)) not in units.values():
                units[f"s3-{_rate_name(float(r))}"] = (cfg["start"], float(r))
    if cfg.get("table_s4", True):
        for st in cfg.get("table_s4_starts", []):
            if (st, main[1]) not in units.values():
                units[f"s4-{st}"] = (st, main[1])
    return units


def parts(cfg: dict) -> dict[str, str]:
    """The units of work of fig2 (workflow jobs): the crystal's NPT run and each melt-quench."""
    units = {"crystal-npt": "md"} if cfg.get("crystal_npt_ps", 0) > 0 else {}
    return units | dict.fromkeys(meltquench_units(cfg), "md")


def run_part(run, cfg: dict, part: str) -> None:
    """One unit of :func:`parts` into run.work_dir (the target's own run reads it back)."""
    engine, calc = engine_and_potential(run, cfg)
    crystal = relax_crystal(calc)
    if part == "crystal-npt":
        rho, _ = crystal_at_temperature(cfg, calc, engine, crystal, run)
        run.note(f"crystal NPT at {cfg.get('crystal_npt_T_K', 300)} K: {rho:.4f} g/cm3")
        return
    start, rate = meltquench_units(cfg)[part]
    try:
        res = run_meltquench(run, cfg, calc, engine, start, rate, crystal)
    except SimulationFailed as err:  # the paper's failure criterion: a result of the sweep
        if part == "main":
            raise
        run.note(f"Melt-quench {start} at {rate:.0e} K/s FAILED by the paper's criterion: {err}")
        return
    run.note(f"melt-quench {start} at {rate:.0e} K/s: {res['tag']}, {len(res['atoms'])} atoms")


def sample_frames(
    engine,
    atoms,
    calc,
    T_K: float,
    n_frames: int,
    every: int,
    dt_fs: float,
    workdir: Path,
    seed: int = 0,
    progress: bool = True,
) -> list:
    """``n_frames`` snapshots ``every`` steps apart from NVT at ``T_K`` starting at ``atoms``
    (for ensemble-averaged g(r)); resumable in ``workdir`` like any run."""
    from ase.io import read

    stage = MDStage("sample", "nvt", n_frames * every * dt_fs / 1000.0, T_K)
    protocol = MDProtocol(
        (stage,),
        dt_fs=dt_fs,
        seed=seed,
        thermo_every=every,
        checkpoint_every=every * max(1, n_frames // 4),
        initial_T_K=T_K,
    )
    workdir = Path(workdir)
    workdir.mkdir(
        parents=True, exist_ok=True
    )  # run_md writes the trajectory before its first checkpoint
    traj = workdir / "trajectory.extxyz"  # the engines trim it to their checkpoint on resume
    engine.run_md(
        atoms,
        calc,
        protocol,
        workdir=workdir,
        progress=progress,
        label="sample g(r)",
        trajectory_every=every,
    )
    frames = read(traj, index=":", format="extxyz")
    return frames[-n_frames:]


def crystal_at_temperature(cfg: dict, calc, engine, crystal, run):
    """(mean density, last frame) of the crystal. Mean density (g/cm3) of the crystal supercell
    in NPT at ``crystal_npt_T_K`` over the
    second half of ``crystal_npt_ps`` (the crystal side of the paper's density ratio at 300 K)."""
    reps = tuple(cfg["crystal_reps"])
    atoms = crystal_supercell(reps, crystal)
    t_k = float(cfg.get("crystal_npt_T_K", 300.0))
    stage = MDStage("crystal-npt", "npt", float(cfg["crystal_npt_ps"]), t_k)
    protocol = MDProtocol(
        (stage,),
        dt_fs=float(cfg["dt_fs"]),
        tdamp_fs=float(cfg["tdamp_fs"]),
        pdamp_fs=float(cfg["pdamp_fs"]),
        seed=int(cfg["seed"]),
        initial_T_K=t_k,
        thermo_every=int(cfg.get("thermo_every", 50)),
        barostat="aniso",
    )
    res = engine.run_md(
        atoms, calc, protocol, workdir=run.work_dir / "crystal-npt", label="crystal NPT"
    )
    rho, _ = stage_average(res.thermo, "density_g_cm3", "crystal-npt", _density_window(cfg))
    return rho, res.atoms


def _density_window(cfg: dict) -> float:
    """Averaging window (ps) of both densities of the ratio: the last ``density_average_ps`` of
    the crystal's NPT and of the amorphous model's equilibration (default half the crystal's)."""
    win = float(cfg.get("density_average_ps", 0.5 * float(cfg.get("crystal_npt_ps", 0.0))))
    if win <= 0 or win > float(cfg["equil_ps"]) or win > float(cfg.get("crystal_npt_ps", 0.0)):
        msg = (
            f"density_average_ps = {win} must be > 0 and no longer than equil_ps "
            f"({cfg['equil_ps']}) and crystal_npt_ps ({cfg.get('crystal_npt_ps', 0)})"
        )
        raise ValueError(msg)
    return win


def _summary_row(label: str, s: dict, crystal_rho: float, extra: dict | None = None) -> dict:
    row = {"model": label, **(extra or {})}
    row.update(
        {
            "n_atoms": s["n_atoms"],
            "density_g_cm3": round(s["density_g_cm3"], 3),
            "density_ratio": round(s["density_g_cm3"] / crystal_rho, 3),
            "CN_Zr_mean": round(s["cn_zr_mean"], 2),
        }
    )
    for k in (4, 5, 6, 7):
        row[f"Zr_CN{k}_%"] = round(100 * s["cn_zr_fractions"].get(k, 0.0), 1)
    row["ZrS_mean_A"] = round(s["zrs_bond_mean_A"], 3)
    for k in (5, 6, 7):
        v = s[f"zrs_bond_cn{k}_A"]
        row[f"ZrS_CN{k}_A"] = None if math.isnan(v) else round(v, 3)
    row["CN_Ba_mean"] = round(s["cn_ba_mean"], 2)
    row["SS_close_per_S"] = round(s["ss_close_per_S"], 3)
    row["S_in_SS_bonds_%"] = round(100 * s["ss_bonded_fraction"], 1)
    return row


def _energy_gap(atoms, data: str) -> float:
    """E(low-energy ACE) - E(full-dataset ACE) of ``atoms`` in data mode ``data``, eV/atom."""
    from bzs_repro.potential import calculator

    a, b = atoms.copy(), atoms.copy()
    a.calc, b.calc = calculator("low-energy", data), calculator("full-dataset", data)
    return float((a.get_potential_energy() - b.get_potential_energy()) / len(atoms))


def run(run, cfg: dict) -> None:
    import pandas as pd

    warnings.filterwarnings("ignore", category=FutureWarning, module="ase")
    data, scale = run.settings.data, run.settings.scale
    engine, calc = engine_and_potential(run, cfg)

    # --- crystal (0 K relaxed) and its numbers
    crystal = relax_crystal(calc)
    cs = structure_summary(crystal * (2, 2, 2))
    rho_x = density_g_cm3(crystal)
    run.record(f"{T}.crystal_spacegroup", spacegroup_number(crystal, 0.1))
    run.record(f"{T}.crystal_density_g_cm3", rho_x)
    run.record(f"{T}.crystal_cn_zr_mean", cs["cn_zr_mean"])
    run.record(f"{T}.crystal_cn_ba_mean", cs["cn_ba_mean"])
    run.record(f"{T}.crystal_zrs_bond_mean_A", cs["zrs_bond_mean_A"])
    for k, v in zip("abc", crystal.cell.lengths(), strict=True):
        run.record(f"{T}.crystal_{k}_A", v)
    crystal.calc = None
    run.save_structure(crystal, "crystal_relaxed")
    a, b, c = crystal.cell.lengths()
    _say(f"[fig2] crystal relaxed: a,b,c = {a:.3f}, {b:.3f}, {c:.3f} A, {rho_x:.3f} g/cm3 (0 K)")
    PAPER, EXAFS = _paper(), _exafs()
    if abs(rho_x - PAPER["density_g_cm3"] / PAPER["density_ratio"]) > 0.05:
        run.note(
            f"Crystal density with this potential is {rho_x:.3f} g/cm3 at 0 K, while the paper's "
            f"{PAPER['density_g_cm3']:g} g/cm3 / {100 * PAPER['density_ratio']:g} % implies "
            f"{PAPER['density_g_cm3'] / PAPER['density_ratio']:.2f} g/cm3."
        )
    rho_x300, xtal_300 = None, None
    if cfg.get("crystal_npt_ps", 0) > 0:
        rho_x300, xtal_300 = crystal_at_temperature(cfg, calc, engine, crystal, run)
        xtal_300.calc = None
        run.save_structure(xtal_300, "crystal_300K")
        run.record(f"{T}.crystal_density_300K_g_cm3", rho_x300)
        _say(f"[fig2] crystal NPT at {cfg.get('crystal_npt_T_K', 300)} K: {rho_x300:.3f} g/cm3")
        run.note(
            f"Crystal density in NPT at 300 K with the same potential: {rho_x300:.3f} g/cm3 "
            f"(0 K: {rho_x:.3f}); thermal expansion does not bridge the gap to "
            f"{PAPER['density_g_cm3'] / PAPER['density_ratio']:.2f} g/cm3."
        )

    # --- melt-quench runs: main, S3 rate sweep, S4 start sweep (shared where identical)
    main_key = (cfg["start"], float(cfg["quench_rate_K_per_s"]))
    runs, failed = {}, {}
    for key in meltquench_units(cfg).values():
        try:
            runs[key] = run_meltquench(run, cfg, calc, engine, key[0], key[1], crystal)
        except SimulationFailed as err:  # the paper's failure criterion is a result, not a crash
            if key == main_key:
                raise
            failed[key] = str(err)
            run.note(
                f"Melt-quench {key[0]} at {key[1]:.0e} K/s FAILED by the paper's criterion: {err}"
            )
    main = runs[main_key]
    if cfg.get("barostat", "iso") == "iso":
        run.note(
            "Melt-quench NPT stages use an isotropic barostat (volume only, box shape kept); the "
            "paper does not say which it used."
        )
    hottest = max(max(st.T_start_K, st.T_final_K) for st in meltquench_protocol(cfg).stages)
    run.note(
        "Melt-quench protocol, the choices the paper leaves open (reproduce/fig2/config.toml, "
        "docs/fig2-quench-rate.md): "
        + ", ".join(
            f"{st.name} {st.ensemble.upper()} {st.T_start_K:g}"
            + (f"->{st.T_final_K:g}" if st.T_final_K != st.T_start_K else "")
            + f" K {st.time_ps:g} ps"
            for st in meltquench_protocol(cfg).stages
        )
        + f"; {cfg['dt_fs']:g} fs, Nose-Hoover chains (tdamp {cfg['tdamp_fs']:g} fs), MTK "
        f"barostat (pdamp {cfg['pdamp_fs']:g} fs) at {cfg.get('pressure_GPa', 0.0):g} GPa. No "
        f"stage is hotter than {hottest:g} K: with this potential the 0 GPa liquid decomposes "
        "above ~2500-3000 K (S-S bonds), which the quench would freeze in."
    )
    am = main["atoms"]
    am.calc = None
    run.save_structure(am, "amorphous_quenched")
    thermo_df = pd.DataFrame(main["thermo"])
    run.save_table(thermo_df, "meltquench_thermo")
    from bzs_repro.figures.fig2 import figure_2, figure_meltquench

    run.save_figure(
        figure_meltquench(
            main["thermo"], data, scale, f"{main['start']}, {main['rate']:.0e} K/s, {len(am)} atoms"
        ),
        "fig2_meltquench",
    )

    # --- analysis of the main amorphous structure
    s = structure_summary(am)
    ase_check = structure_summary(am, backend="ase")
    if abs(ase_check["cn_zr_mean"] - s["cn_zr_mean"]) > 1e-9:
        run.note("OVITO and ASE neighbour lists disagree on CN(Zr): check the cell.")
    # density: time average over the same window length as the crystal's (both at T_final)
    win = _density_window(cfg) if rho_x300 else float(cfg["equil_ps"]) / 2
    rho_am, n_rows = stage_average(main["thermo"], "density_g_cm3", "equilibrate", win)
    run.record(f"{T}.density_g_cm3", rho_am)
    run.record(f"{T}.density_last_frame_g_cm3", s["density_g_cm3"])
    run.record(f"{T}.density_ratio_0K_crystal", rho_am / rho_x)
    if rho_x300:
        run.record(f"{T}.density_ratio", rho_am / rho_x300)
        run.note(
            f"Density ratio {rho_am / rho_x300:.3f}: the amorphous model's density averaged over "
            f"the last {win:g} ps of its {cfg['T_final_K']:g} K equilibration "
            f"({n_rows} thermo rows) "
            f"over the crystal's averaged over the last {win:g} ps of its NPT at "
            f"{cfg.get('crystal_npt_T_K', 300):g} K."
        )
    else:
        run.skipped(
            [f"{T}.density_ratio"],
            "no crystal NPT at T_final (crystal_npt_ps = 0): the ratio "
            "is taken against the crystal at the same temperature only",
        )
    for key in (
        "cn_zr_mean",
        "zrs_bond_mean_A",
        "cn_ba_mean",
        "bas_bond_mean_A",
        "ss_close_per_S",
        "ss_bonded_fraction",
        "zrs_bond_cn4_A",
        "zrs_bond_cn5_A",
        "zrs_bond_cn6_A",
        "zrs_bond_cn7_A",
    ):
        run.record(f"{T}.{key}", s[key])
    for k in (4, 5, 6, 7):
        run.record(f"{T}.cn_zr_fraction_{k}", s["cn_zr_fractions"].get(k, 0.0))
    run.record(f"{T}.crystal_ss_close_per_S", cs["ss_close_per_S"])
    run.record(f"{T}.crystal_ss_bonded_fraction", cs["ss_bonded_fraction"])
    # the two ACE versions on the quenched model: they agree where both were trained (glass,
    # crystal: < 0.01 eV/atom) and part where the low-energy one extrapolates (S-S bonded,
    # decomposed structures: 1.6 eV/atom), a check beside the S-S fraction
    run.record(f"{T}.ace_versions_energy_difference_eV_atom", _energy_gap(am, data))
    # g(r) is an ensemble average: snapshots from NVT at T_final after the quench
    n_fr, every = int(cfg.get("gr_frames", 10)), int(cfg.get("gr_frame_every", 50))
    frames = sample_frames(
        engine,
        am,
        calc,
        float(cfg["T_final_K"]),
        n_fr,
        every,
        float(cfg["dt_fs"]),
        run.work_dir / f"sample-{main['tag']}",
        seed=int(cfg["seed"]),
    )
    try:
        dev = long_range_deviation(frames, r_min=float(cfg.get("gr_long_range_from_A", 6.0)))
    except ValueError as err:
        dev = None
        run.note(f"g(r) long-range test not possible: {err}")
    run.record(f"{T}.gr_long_range_deviation", dev)
    run.note(
        f"Melt-quench at {scale} scale: {len(am)} atoms from a {main['start']} start, quenched at "
        f"{main['rate']:.0e} K/s (paper: 10 240 atoms, 1e13 K/s); density {rho_am:.3f} g/cm3 "
        f"(time average) = {rho_am / (rho_x300 or rho_x):.3f} of the "
        f"{'300' if rho_x300 else '0'} K crystal, CN(Zr) {s['cn_zr_mean']:.2f}, "
        f"Zr-S {s['zrs_bond_mean_A']:.3f} A (paper: {PAPER['density_g_cm3']:g}, "
        f"{100 * PAPER['density_ratio']:g} %, {PAPER['cn_zr_mean']:g}, "
        f"{PAPER['zrs_bond_mean_A']:g} A)."
    )

    r_max = float(cfg.get("rdf_r_max_A", 8.0))
    r_fig = min(r_max, half_box(am))
    bins = int(cfg.get("rdf_bins", 200))
    # overlays: the crystal at 300 K (the amorphous model's temperature) when it was run
    xtal_big = (
        xtal_300 if xtal_300 is not None else crystal_supercell(tuple(cfg["crystal_reps"]), crystal)
    )
    lab_x = "crystal (300 K)" if xtal_300 is not None else "crystal (0 K)"
    rdf_am, rdf_x = rdf(frames, r_fig, bins), rdf(xtal_big, min(r_fig, half_box(xtal_big)), bins)
    run.record(f"{T}.rdf_zrs_first_peak_A", rdf_am.first_peak("Zr-S", 3.1))
    run.record(
        f"{T}.crystal_rdf_zrs_first_peak_A",
        rdf(crystal * (2, 2, 2), 6.0, bins).first_peak("Zr-S", 3.1),
    )
    adf_bins = int(cfg.get("angle_bins", 500))
    adf_am, adf_x = (
        bond_angle_distributions(frames, bins=adf_bins),
        bond_angle_distributions(xtal_big, bins=adf_bins),
    )
    lab_am = f"amorphous ({len(am)} at., {main['rate']:.0e} K/s)"
    panels = {
        "cn_zr": [
            (lab_am, s["cn_zr_fractions"], "amorphous"),
            ("crystal (0 K)", cs["cn_zr_fractions"], "crystal"),
        ],
        "cn_ba": [
            (lab_am, s["cn_ba_fractions"], "amorphous"),
            ("crystal (0 K)", cs["cn_ba_fractions"], "crystal"),
        ],
        "rdf": [("amorphous", rdf_am, "amorphous"), (lab_x, rdf_x, "crystal")],
        "adf": [(lab_am, adf_am, "amorphous"), (lab_x, adf_x, "crystal")],
        "r_max": r_fig,
    }

    # --- the authors' published model (paper mode; analysis only)
    authors = None
    if data == "paper" and cfg.get("authors_model", True):
        from bzs_repro.data.registry import DataUnavailableError, default_registry

        try:
            path = default_registry().fetch("amorphous-model")
        except DataUnavailableError as err:
            run.note(f"The authors' amorphous model is unavailable ({err}); not analysed.")
        else:
            run.add_input("amorphous-model", path)
            authors = structure_summary(read_authors_model(path))
            run.record(
                f"{T}.authors_model.ace_versions_energy_difference_eV_atom",
                _energy_gap(read_authors_model(path), data),
            )
            am_ref = read_authors_model(path)
            for key in (
                "density_g_cm3",
                "cn_zr_mean",
                "zrs_bond_mean_A",
                "cn_ba_mean",
                "zrs_bond_cn4_A",
                "zrs_bond_cn5_A",
                "zrs_bond_cn6_A",
                "zrs_bond_cn7_A",
                "ss_close_per_S",
                "ss_bonded_fraction",
            ):
                run.record(f"{T}.authors_model.{key}", authors[key])
            if rho_x300:
                run.record(f"{T}.authors_model.density_ratio", authors["density_g_cm3"] / rho_x300)
            run.record(
                f"{T}.authors_model.density_ratio_0K_crystal", authors["density_g_cm3"] / rho_x
            )
            run.record(f"{T}.authors_model.gr_long_range_deviation", long_range_deviation(am_ref))
            run.note(
                "The authors' published amorphous model "
                f"(amorphous-struct/amorphous-structure.xyz, "
                f"{authors['n_atoms']} atoms) does NOT match the paper's text: density "
                f"{authors['density_g_cm3']:.3f} g/cm3 (paper {PAPER['density_g_cm3']:g}), "
                f"CN(Zr) {authors['cn_zr_mean']:.2f} "
                f"(paper {PAPER['cn_zr_mean']:g}), Zr-S {authors['zrs_bond_mean_A']:.3f} A "
                f"(paper {PAPER['zrs_bond_mean_A']:g}), "
                f"ratio to the 0 K crystal {authors['density_g_cm3'] / rho_x:.3f} "
                f"(paper {PAPER['density_ratio']:g}). "
                "Its box has the aspect "
                f"ratio of an 8x8x8 Pnma supercell, i.e. a melted-crystal start."
            )
            lab = "authors' model (10 240 at.)"
            panels["cn_zr"].append((lab, authors["cn_zr_fractions"], "reference"))
            panels["cn_ba"].append((lab, authors["cn_ba_fractions"], "reference"))
            panels["rdf"].append(("authors' model", rdf(am_ref, r_fig, bins), "reference"))
            panels["adf"].append(
                (lab, bond_angle_distributions(am_ref, bins=adf_bins), "reference")
            )
    panels["caption"] = (
        f"This run ({scale} scale, {data} data): {len(am)} atoms,\n"
        f"{main['start']} start, {main['rate']:.0e} K/s: {s['density_g_cm3']:.3f} g/cm³\n"
        f"({100 * s['density_g_cm3'] / rho_x:.1f} % of the 0 K crystal), "
        f"CN(Zr) {s['cn_zr_mean']:.2f},\n"
        f"Zr-S {s['zrs_bond_mean_A']:.3f} Å, CN(Ba) {s['cn_ba_mean']:.2f}.\n"
        f"Paper (10 240 atoms, 1e13 K/s): {PAPER['density_g_cm3']:g} g/cm³\n"
        f"({100 * PAPER['density_ratio']:g} %), CN(Zr) {PAPER['cn_zr_mean']:g}, "
        f"Zr-S {PAPER['zrs_bond_mean_A']:g} Å."
    )
    run.save_figure(figure_2(panels, data, scale), "fig2")

    # --- SI tables
    rows3 = [
        _summary_row(
            f"{v['start']} {v['rate']:.0e} K/s",
            structure_summary(v["atoms"]),
            rho_x,
            {"quench_rate_K_per_s": v["rate"], "scale": scale},
        )
        for (st, _), v in sorted(runs.items(), key=lambda kv: -kv[0][1])
        if st == main["start"]
    ]
    rows3 += [
        {"model": f"{st} {r:.0e} K/s", "quench_rate_K_per_s": r, "scale": scale, "failed": why}
        for (st, r), why in failed.items()
        if st == main["start"]
    ]
    run.save_table(pd.DataFrame(rows3), "table_S3_quench_rates")
    rows4 = [
        _summary_row(
            f"{v['start']} start",
            structure_summary(v["atoms"]),
            rho_x,
            {"start": v["start"], "quench_rate_K_per_s": v["rate"], "scale": scale},
        )
        for (_, r), v in runs.items()
        if r == main["rate"]
    ]
    rows4 += [
        {
            "model": f"{st} start",
            "start": st,
            "quench_rate_K_per_s": r,
            "scale": scale,
            "failed": why,
        }
        for (st, r), why in failed.items()
        if r == main["rate"]
    ]
    if authors is not None:
        rows4.append(
            _summary_row(
                "authors' published model",
                authors,
                rho_x,
                {"start": "(8x8x8 crystal?)", "quench_rate_K_per_s": 1e13, "scale": "paper"},
            )
        )
    run.save_table(pd.DataFrame(rows4), "table_S4_starting_configurations")
    rows5 = [
        {
            "source": f"this work ({scale} scale, {len(am)} atoms, "
            f"{main['rate']:.0e} K/s, {data} data)",
            "ZrS_mean_A": round(s["zrs_bond_mean_A"], 3),
            "CN_Zr": round(s["cn_zr_mean"], 2),
        },
        {
            "source": "paper text (10 240 atoms, 1e13 K/s)",
            "ZrS_mean_A": PAPER["zrs_bond_mean_A"],
            "CN_Zr": PAPER["cn_zr_mean"],
        },
        {
            "source": "EXAFS (paper ref. 10)",
            "ZrS_mean_A": EXAFS["zrs_bond_mean_A"],
            "CN_Zr": EXAFS["cn_zr_mean"],
        },
    ]
    if authors is not None:
        rows5.insert(
            1,
            {
                "source": "authors' published model (file, analysed here)",
                "ZrS_mean_A": round(authors["zrs_bond_mean_A"], 3),
                "CN_Zr": round(authors["cn_zr_mean"], 2),
            },
        )
    for r5 in rows5:
        r5["dZrS_vs_EXAFS_A"] = round(r5["ZrS_mean_A"] - EXAFS["zrs_bond_mean_A"], 3)
        r5["dCN_vs_EXAFS"] = round(r5["CN_Zr"] - EXAFS["cn_zr_mean"], 2)
    run.save_table(pd.DataFrame(rows5), "table_S5_vs_exafs")
    if scale != "paper":
        rates = ", ".join(f"{r:.0e}" for st, r in runs if st == main["start"])
        run.note(
            f"Table S3 at {scale} scale holds the rates {rates} K/s only; the paper's slow rates "
            "(1e12, 1e13 K/s: 270-2700 ps of quench) are affordable at reduced/paper scale on HPC."
        )
    run.extra["meltquench_runs"] = [
        {
            "start": v["start"],
            "rate_K_per_s": v["rate"],
            "wall_s": round(v["wall_s"], 1),
            "resumed_from_step": v["resumed_from_step"],
            "estimate": v["estimate"],
        }
        for v in runs.values()
    ]
