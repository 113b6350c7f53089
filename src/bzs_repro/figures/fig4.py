"""Fig. 4 (a-e), Fig. 3c and the gamma histogram (Fig. S6 analogue); one function per panel.

Fig. 4 layout here (the paper's panel content as FACTS.md lists it; the exact panel letters of
the paper are not quoted there): (a) the models, single crystal, 8 and 50 grains, rendered
headless (matplotlib: an 8 A slab through the middle of the box, atoms coloured by grain;
OVITO's renderers need a Vulkan/OpenGL driver that CPU CI machines lack); (b) G(r) of the
three models (offset); (c) XRD in 2-theta for Cu K-alpha1 (Q 1.61-5.25 1/A); (d) G(r)
overlay, each normalised to its largest |G|, showing the faster decay for smaller grains;
(e) Scherrer apparent crystallite size vs the model's mean grain size. An optional user file
of experimental XRD (2-theta, I) or PDF (r, G) is overlaid on (c)/(d) (the paper's ref. 55
data are not public). Fig. 3c: the 6-grain model as built and after relaxation.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bzs_repro.analysis.scattering import q_to_two_theta
from bzs_repro.figures.style import mode_stamp, panel_label

LABELS = {"single": "single crystal", "8": "8 grains", "50": "50 grains"}
LINE = {"single": "#2c3e50", "8": "#2980b9", "50": "#c0392b", "exp": "k"}
SLAB_A = 8.0


def panel_model(ax, atoms, title: str) -> None:
    """A headless render: an ``SLAB_A`` (8 A) thick slab at mid-height in z seen along z,
    atoms coloured by grain (x, y in nm)."""
    grain = atoms.arrays.get("grain", np.zeros(len(atoms), int))
    p = atoms.get_positions(wrap=True)
    zc = atoms.cell.lengths()[2] / 2
    sel = np.abs(p[:, 2] - zc) < SLAB_A / 2
    n = max(1, int(sel.sum()))
    ax.scatter(
        p[sel, 0] / 10,
        p[sel, 1] / 10,
        c=grain[sel] % 20,
        cmap="tab20",
        vmin=0,
        vmax=19,
        s=max(0.05, min(6.0, 4000 / n)),
        linewidths=0,
        rasterized=True,
    )
    ax.set_aspect("equal")
    ax.set_xlabel("x (nm)")
    ax.set_ylabel("y (nm)")
    ax.set_title(f"{title}\n{len(atoms)} atoms, {SLAB_A:.0f} Å slab", fontsize=7)


def panel_gr_stack(ax, pats: dict) -> None:
    """G(r) (1/A^2) of the single crystal, 8 and 50 grains, offset for clarity."""
    keys = [k for k in ("single", "8", "50") if k in pats]
    step = 1.2 * max(np.abs(pats[k].gr).max() for k in keys)
    for n, key in enumerate(keys):
        ax.plot(pats[key].r, pats[key].gr + n * step, lw=0.6, color=LINE[key], label=LABELS[key])
    ax.set_xlabel("r (Å)")
    ax.set_ylabel("G(r) (Å$^{-2}$, offset)")
    ax.legend(fontsize=6, frameon=False, loc="upper right")


def read_experimental(path) -> tuple | None:
    """Two columns (x, y) from a user file ('#' comments), or None when no file is given."""
    if not path:
        return None
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"experimental file not found: {path}")
    d = np.loadtxt(path, comments="#")
    if d.ndim != 2 or d.shape[1] < 2:
        raise ValueError(f"{path}: expected two columns (x, y)")
    return d[:, 0], d[:, 1]


def panel_xrd(ax, pats: dict, experimental=None) -> None:
    """XRD (Cu K-alpha1) in 2-theta, each pattern normalised to its maximum."""
    for key in (k for k in ("single", "8", "50") if k in pats):
        tt = q_to_two_theta(pats[key].q)
        i = pats[key].iq
        ax.plot(tt, i / i.max(), lw=0.7, color=LINE[key], label=LABELS[key])
    exp = read_experimental(experimental)
    if exp is not None:
        ax.plot(exp[0], exp[1] / exp[1].max(), "k.", ms=1, label="experiment (user file)")
    ax.set_xlabel("2θ (deg, Cu Kα1)")
    ax.set_ylabel("I (norm.)")
    ax.legend(fontsize=6, frameon=False)


def panel_pdf_overlay(ax, pats: dict, experimental=None) -> None:
    """G(r) overlay, each normalised to its largest |G|."""
    for key in (k for k in ("single", "8", "50") if k in pats):
        g = pats[key].gr
        ax.plot(pats[key].r, g / np.abs(g).max(), lw=0.6, color=LINE[key], label=LABELS[key])
    exp = read_experimental(experimental)
    if exp is not None:
        ax.plot(exp[0], exp[1] / np.abs(exp[1]).max(), "k-", lw=0.5, label="experiment")
    ax.set_xlabel("r (Å)")
    ax.set_ylabel("G(r) (norm.)")
    ax.legend(fontsize=6, frameon=False)


def panel_scherrer(ax, table: list[dict]) -> None:
    """Scherrer size (K 0.9) of the main peaks vs the model's mean grain size (nm)."""
    for key in ("single", "8", "50"):
        rows = [r for r in table if r["model"] == key]
        if rows:
            x = np.array([r["mean_grain_size_A"] for r in rows]) / 10
            y = np.array([r["size_A"] for r in rows]) / 10
            ax.plot(x, y, "o", ms=3, color=LINE[key], label=LABELS[key])
    lim = max([1.0] + [max(r["size_A"], r["mean_grain_size_A"]) / 10 for r in table]) * 1.1
    ax.plot([0, lim], [0, lim], "k--", lw=0.5, label="size = grain size")
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel("mean grain size (nm)")
    ax.set_ylabel("Scherrer size (nm)")
    ax.legend(fontsize=6, frameon=False)


def fig4(relaxed, pats, data: str, scale: str, scherrer=(), experimental=None):
    experimental = experimental or {}
    fig = plt.figure(figsize=(10, 6.4), constrained_layout=True)
    grid = fig.add_gridspec(2, 12)
    top = [fig.add_subplot(grid[0, 4 * i : 4 * i + 4]) for i in range(3)]
    for ax, key in zip(top, ("single", "8", "50"), strict=True):
        if key in relaxed:
            panel_model(ax, relaxed[key], LABELS[key])
    panel_label(top[0], "a")
    bottom = [fig.add_subplot(grid[1, 3 * i : 3 * i + 3]) for i in range(4)]
    panel_gr_stack(bottom[0], pats)
    panel_label(bottom[0], "b")
    panel_xrd(bottom[1], pats, experimental.get("xrd"))
    panel_label(bottom[1], "c")
    panel_pdf_overlay(bottom[2], pats, experimental.get("pdf"))
    panel_label(bottom[2], "d")
    panel_scherrer(bottom[3], list(scherrer))
    panel_label(bottom[3], "e")
    mode_stamp(bottom[3], data, scale)
    return fig


def fig3c(before, after, data: str, scale: str, note: str = ""):
    """The 6-grain model as built and relaxed (``note``: e.g. the relaxation state)."""
    fig, ax = plt.subplots(1, 2, figsize=(6.8, 3.6), constrained_layout=True)
    panel_model(ax[0], before, "6 grains, built (Voronoi)")
    panel_model(ax[1], after, "6 grains, relaxed " + note)
    panel_label(ax[0], "c")
    mode_stamp(ax[1], data, scale)
    return fig


def fig_gamma(gammas: dict, data: str, scale: str):
    """Histogram of per-atom extrapolation grades before/after relaxation."""
    fig, ax = plt.subplots(figsize=(3.6, 2.8), constrained_layout=True)
    allg = np.concatenate([g[s] for g in gammas.values() for s in ("before", "after")])
    bins = np.logspace(np.log10(max(1e-3, allg.min())), np.log10(max(allg.max(), 10)), 60)
    for key, g in gammas.items():
        ax.hist(
            g["after"],
            bins=bins,
            histtype="step",
            label=f"{key} grains relaxed (max {g['after'].max():.2g})",
        )
        ax.hist(g["before"], bins=bins, histtype="step", ls=":", label=f"{key} grains built")
    ax.axvline(2.0, color="k", lw=0.6, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("extrapolation grade γ")
    ax.set_ylabel("atoms")
    ax.legend(fontsize=5, frameon=False)
    mode_stamp(ax, data, scale)
    return fig


def save_all(run, models, relaxed, pats, gammas, cfg, scherrer=(), relax_note="") -> None:
    """Fig. 4, Fig. 3c (when the 6-grain model exists) and the gamma histogram, PNG + PDF."""
    data, scale = run.settings.data, run.settings.scale
    exp = {"xrd": cfg.get("experimental_xrd"), "pdf": cfg.get("experimental_pdf")}
    run.save_figure(fig4(relaxed, pats, data, scale, scherrer, exp), "fig4")
    if "6" in models:
        run.save_figure(fig3c(models["6"], relaxed["6"], data, scale, relax_note), "fig3c")
    if gammas:
        run.save_figure(fig_gamma(gammas, data, scale), "figS6_gamma")
    plt.close("all")
