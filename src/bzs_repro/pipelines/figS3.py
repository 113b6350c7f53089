# ruff: noqa: N999  (module named after the paper target figS3, as the target loader expects)
"""Fig. S3 target: phonon dispersion of crystalline Pnma BaZrS3 (phonopy).

- paper mode: the paper's low-energy ACE (a) and full-dataset ACE (b); panel (c) is the
  authors' third band file (band_(c).yaml), drawn when it is available; the DOS of the
  models is an extra panel (this project's, not the paper's); the
  crystal must have no imaginary modes beyond ``imaginary_tol_THz``;
- surrogate mode: the surrogate low-energy ACE (a) against its own reference, CHGNet (b);
- the authors' band data (registry phonon-band-a/b/c) is overlaid on (a) when available.
"""

from __future__ import annotations

import numpy as np

from bzs_repro.analysis.phonons import band_structure, dos, force_constants, read_band_yaml
from bzs_repro.relaxed import relax_crystal
from bzs_repro.structures.crystal import spacegroup_number


def _phonons(run, name: str, calc, cfg: dict):
    crystal = relax_crystal(calc, fmax=float(cfg["relax_fmax"]))
    crystal.calc = None  # the calculator goes on to evaluate the displaced supercells
    sg = spacegroup_number(crystal, 0.1)
    if sg != 62:
        run.note(
            f"{name}: the relaxed crystal is space group {sg}, not Pnma (62); "
            "phonons are of that structure."
        )
    ph = force_constants(crystal, calc, tuple(cfg["supercell"]), float(cfg["displacement_A"]))
    bands = band_structure(ph, npoints=int(cfg["npoints"]))
    return crystal, bands, dos(ph, tuple(cfg["dos_mesh"]), float(cfg["dos_sigma_THz"]))


def _authors_bands(run, panel: str):
    """The authors' band data of Fig. S3 panel ``panel`` (registry phonon-band-<panel>,
    phonon/band_(<panel>).yaml.zip), or None (with a note)."""
    from bzs_repro.data.registry import DataUnavailableError, default_registry

    name, file = f"phonon-band-{panel}", f"phonon/band_({panel}).yaml.zip"
    try:
        path = default_registry().fetch(name)
    except (DataUnavailableError, OSError, KeyError) as err:
        why = "not in the offline mirror or cache, and not downloadable here"
        why = why if "cannot obtain" in str(err) else str(err)
        run.note(f"Authors' phonon band data of Fig. S3{panel} ({file}) unavailable ({why}).")
        return None
    run.add_input(f"authors band ({panel})", path)
    try:
        return read_band_yaml(path)
    except Exception as err:  # noqa: BLE001  (a format surprise must not sink the figure)
        run.note(f"Authors' band data {file} could not be read ({err}).")
        return None


def run(run, cfg: dict) -> None:
    from bzs_repro.extras import require
    from bzs_repro.figures.figS3 import make_figS3
    from bzs_repro.potential import calculator

    require("reference", "phonopy", step="figS3 (phonopy)")

    data_mode, scale = run.settings.data, run.settings.scale
    tol = float(cfg["imaginary_tol_THz"])
    models = {}
    if data_mode == "paper":
        models["paper ACE low-energy"] = calculator("low-energy", "paper")
        models["paper ACE full-dataset"] = calculator("full-dataset", "paper")
    else:
        from bzs_repro.reference import get_reference

        models["surrogate ACE low-energy"] = calculator("low-energy", "surrogate")
        models[f"reference ({cfg.get('reference', 'chgnet')})"] = get_reference(
            cfg.get("reference", "chgnet")
        ).calculator()
    bands, doses = {}, {}
    for i, (name, calc) in enumerate(models.items()):
        if hasattr(calc, "bzs_potential_path"):
            run.add_input(name, calc.bzs_potential_path)
        crystal, b, d = _phonons(run, name, calc, cfg)
        bands[name], doses[name] = b, d
        run.save_structure(crystal, f"crystal_{i}")
        if i == 0:  # the model the numbers are about (low-energy ACE)
            run.record("figS3.min_frequency_THz", b.min_frequency)
            run.record("figS3.max_frequency_THz", b.max_frequency)
            run.record("figS3.n_imaginary_points", b.n_imaginary(tol))
            run.record("figS3.spacegroup", spacegroup_number(crystal, 0.1))
        run.note(
            f"{name}: frequencies {b.min_frequency:.3f} to {b.max_frequency:.2f} THz along "
            f"{'-'.join(x for seg in ('GXSYGZURTZ', 'YT', 'UX', 'SR') for x in seg)}; "
            f"{b.n_imaginary(tol)} (q, mode) points below -{tol} THz."
        )
    names = list(bands)
    if len(names) == 2:
        f0, f1 = bands[names[0]].frequencies, bands[names[1]].frequencies
        rms = float(np.sqrt(np.mean((f0 - f1) ** 2)))
        run.record("figS3.band_rms_difference_THz", rms)
        run.note(
            f"{names[0]} vs {names[1]}: RMS difference of the dispersions {rms:.2f} THz; highest "
            f"frequency {f0.max():.2f} vs {f1.max():.2f} THz."
        )
    authors = {k: _authors_bands(run, k) for k in "abc"}
    fig = make_figS3(bands, doses, data_mode, scale, authors)
    run.save_figure(fig, "figS3")
