"""Fig. 2 b-f: amorphous vs crystalline BaZrS3 (one function per panel).

(b) Zr CN histogram, (c) Ba CN histogram (bins < 0.5 % not drawn), (d) total and partial
(Zr-S, Ba-S) g(r), (e) S-Zr-S and (f) S-Ba-S bond-angle distributions. Each panel takes
``series``: a list of (label, data, style) where style is 'amorphous', 'crystal' or
'reference' (the authors' published model).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from bzs_repro.analysis.amorphous import cn_histogram
from bzs_repro.figures.style import COLORS, mode_stamp, panel_label

STYLE = {
    "amorphous": {"color": COLORS["amorphous"], "ls": "-", "lw": 1.2},
    "crystal": {"color": "0.45", "ls": "-", "lw": 0.7, "alpha": 0.8},
    "reference": {"color": "#2e86c1", "ls": "--", "lw": 1.0},
}


def panel_cn(
    ax, series: list, species: str, min_fraction: float = 0.005, legend: bool = True
) -> None:
    """CN histogram (fraction of ``species`` atoms per CN); bins < ``min_fraction`` dropped."""
    width = 0.8 / max(1, len(series))
    for k, (label, fractions, style) in enumerate(series):
        cn, frac = cn_histogram(fractions, min_fraction)
        ax.bar(
            cn + (k - (len(series) - 1) / 2) * width,
            100 * frac,
            width=width,
            label=label,
            color=STYLE[style]["color"],
            alpha=0.85 if style != "crystal" else 0.6,
            edgecolor="k",
            linewidth=0.4,
        )
    ax.set_xlabel(f"{species}-S coordination number")
    ax.set_ylabel(f"{species} atoms (%)")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylim(0, 105)
    if legend:
        ax.legend(frameon=False, fontsize=7)


def panel_rdf(ax, series: list, r_max: float = 8.0) -> None:
    """Total g(r) of every series; partial Zr-S and Ba-S g(r) of the amorphous one."""
    for label, g, style in series:
        st = STYLE[style]
        ax.plot(g.r, g.total, label=f"{label}: total", **st)
        if style == "amorphous":
            ax.plot(g.r, g.pair("Zr-S"), color=COLORS["Zr"], lw=1.0, label=f"{label}: Zr-S")
            ax.plot(g.r, g.pair("Ba-S"), color=COLORS["Ba"], lw=1.0, label=f"{label}: Ba-S")
    ax.axhline(1.0, color="0.6", lw=0.5, ls=":")
    ax.set_xlim(1.5, r_max)
    shown = [
        c
        for _, g, st in series
        if st == "amorphous"
        for c in (g.total, g.pair("Zr-S"), g.pair("Ba-S"))
    ]
    if shown:  # frame the amorphous curves; the crystal's sharp peaks may leave it
        ax.set_ylim(-0.2, 1.08 * max(float(np.max(c)) for c in shown))
    ax.set_xlabel("r (Å)")
    ax.set_ylabel("g(r)")
    ax.legend(frameon=False, fontsize=6)


def panel_angles(ax, series: list, triplet: str, legend: bool = True) -> None:
    """Bond-angle distribution ``triplet`` (e.g. 'S-Zr-S'), normalised to unit area (1/deg)."""
    for label, adf, style in series:
        counts = np.asarray(adf[triplet], float)
        width = adf["angle"][1] - adf["angle"][0]
        total = counts.sum() * width
        if total <= 0:
            continue
        ax.plot(adf["angle"], counts / total, label=label, **STYLE[style])
    ax.set_xlim(40, 180)
    ax.set_xticks([60, 90, 120, 150, 180])
    ax.set_xlabel(f"{triplet} angle (°)")
    ax.set_ylabel("probability density (1/°)")
    if legend:
        ax.legend(frameon=False, fontsize=7)


def figure_2(panels: dict, data: str, scale: str):
    """The five panels b-f in one figure. ``panels`` holds the series lists under keys
    'cn_zr', 'cn_ba', 'rdf', 'adf' and 'r_max'."""
    plt.rcParams.update({"font.size": 8, "axes.linewidth": 0.8})
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 4.6), constrained_layout=True)
    axes = axes.ravel()
    panel_cn(axes[0], panels["cn_zr"], "Zr", legend=False)
    panel_label(axes[0], "b")
    panel_cn(axes[1], panels["cn_ba"], "Ba", legend=False)
    panel_label(axes[1], "c")
    panel_rdf(axes[2], panels["rdf"], panels.get("r_max", 8.0))
    panel_label(axes[2], "d")
    panel_angles(axes[3], panels["adf"], "S-Zr-S", legend=False)
    panel_label(axes[3], "e")
    panel_angles(axes[4], panels["adf"], "S-Ba-S", legend=False)
    panel_label(axes[4], "f")
    axes[5].axis("off")
    h_bar, l_bar = axes[0].get_legend_handles_labels()
    h_line, l_line = axes[3].get_legend_handles_labels()
    axes[5].legend(
        h_bar + h_line,
        [f"{lab} (b, c)" for lab in l_bar] + [f"{lab} (e, f)" for lab in l_line],
        loc="upper left",
        frameon=False,
        fontsize=6.5,
        borderaxespad=0,
    )
    axes[5].text(
        0.0,
        0.40,
        panels.get("caption", ""),
        va="top",
        ha="left",
        fontsize=6.5,
        transform=axes[5].transAxes,
    )
    mode_stamp(axes[2], data, scale)  # the g(r) panel's floor is empty
    if data == "surrogate":
        for ax in axes[:5]:
            mode_stamp(ax, data, scale)
    return fig


def figure_meltquench(thermo: list[dict], data: str, scale: str, title: str = ""):
    """Temperature and density along the melt-quench (a check of the protocol)."""
    plt.rcParams.update({"font.size": 8})
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(3.6, 3.8), sharex=True, constrained_layout=True)
    t = np.array([r["time_ps"] for r in thermo])
    a1.plot(t, [r["T_K"] for r in thermo], color=COLORS["amorphous"], lw=0.8, label="T")
    a1.plot(t, [r["T_target_K"] for r in thermo], color="k", lw=0.6, ls="--", label="target")
    a1.set_ylabel("T (K)")
    a1.legend(frameon=False, fontsize=7)
    a2.plot(t, [r["density_g_cm3"] for r in thermo], color=COLORS["crystal"], lw=0.8)
    a2.set_ylabel("density (g/cm³)")
    a2.set_xlabel("time (ps)")
    if title:
        a1.set_title(title, fontsize=8)
    mode_stamp(a2, data, scale)
    return fig
