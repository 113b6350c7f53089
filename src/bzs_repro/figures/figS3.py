# ruff: noqa: N999  (module named after the paper target figS3, as the target loader expects)
"""Fig. S3-like panels: phonon dispersions of crystalline BaZrS3 (THz) and the phonon DOS."""

from __future__ import annotations

import numpy as np

from bzs_repro.figures.style import mode_stamp, panel_label


def panel_dispersion(
    ax,
    bands,
    color: str = "#2c3e50",
    label: str | None = None,
    overlay=None,
    overlay_label: str = "",
) -> None:
    """One dispersion (segments drawn separately at path breaks); optional overlay bands
    (e.g. the authors' band.yaml or the reference's) dashed."""
    start = 0
    for k, end in enumerate(bands.segment_ends):
        ax.plot(
            bands.distances[start:end],
            bands.frequencies[start:end],
            color=color,
            lw=0.7,
            label=label if k == 0 else None,
        )
        start = end
    if overlay is not None:
        start = 0
        for k, end in enumerate(overlay.segment_ends):
            ax.plot(
                overlay.distances[start:end],
                overlay.frequencies[start:end],
                "--",
                color="#e67e22",
                lw=0.6,
                label=overlay_label if k == 0 else None,
            )
            start = end
    for t in bands.tick_positions:
        ax.axvline(t, color="0.7", lw=0.4)
    ax.axhline(0, color="0.5", lw=0.4)
    ax.set_xticks(bands.tick_positions)
    ax.set_xticklabels(bands.tick_labels, fontsize=6)
    ax.set_xlim(bands.distances[0], bands.distances[-1])
    ax.set_ylabel("frequency (THz)")
    if label or overlay is not None:
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels, handles, strict=False))
        ax.legend(uniq.values(), uniq.keys(), fontsize=5, frameon=False, loc="upper right")


def panel_dos(ax, doses: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Total phonon DOS of each model (states/THz per cell, frequencies THz)."""
    for (label, (f, d)), color in zip(
        doses.items(), ("#2c3e50", "#e67e22", "#27ae60"), strict=False
    ):
        ax.plot(d, f, color=color, lw=0.8, label=label)
    ax.set_xlabel("DOS (states/THz)")
    ax.set_ylabel("frequency (THz)")
    ax.legend(fontsize=5, frameon=False)


def make_figS3(bands: dict, doses: dict, data: str, scale: str, authors: dict | None = None):
    """(a), (b): dispersions of the first two models in ``bands`` with the authors' band data
    of that panel dashed (``authors['a'|'b']``); (c): the authors' third band file
    (``authors['c']``, Fig. S3c) or a note that it is not available; then the DOS of the models
    (an extra panel of this project's, not one of the paper's)."""
    import matplotlib.pyplot as plt

    authors = authors or {}
    plt.rcParams.update({"font.size": 7})
    fig, axes = plt.subplots(
        1,
        4,
        figsize=(12.5, 3.2),
        constrained_layout=True,
        gridspec_kw={"width_ratios": [2, 2, 2, 1]},
    )
    names = list(bands)
    colors = ("#2c3e50", "#e67e22")
    for i, ax in enumerate(axes[:2]):
        if i < len(names):
            panel_dispersion(
                ax,
                bands[names[i]],
                colors[i],
                names[i],
                authors.get("ab"[i]),
                f"authors (Fig. S3{'ab'[i]})",
            )
            ax.set_title(names[i], fontsize=7)
        panel_label(ax, "ab"[i])
    if authors.get("c") is not None:
        panel_dispersion(axes[2], authors["c"], "#555555", "authors (Fig. S3c)")
        axes[2].set_title("authors' band_(c).yaml", fontsize=7)
    else:
        axes[2].text(
            0.5,
            0.5,
            "Fig. S3c: the authors'\nband_(c).yaml is not\navailable here",
            ha="center",
            va="center",
            transform=axes[2].transAxes,
            fontsize=7,
        )
        axes[2].set_xticks([])
    panel_label(axes[2], "c")
    panel_dos(axes[3], doses)
    axes[3].set_title("DOS (this project)", fontsize=7)
    ymin = min(min(b.min_frequency for b in bands.values()), 0) - 0.2
    ymax = max(b.max_frequency for b in bands.values()) * 1.05
    for ax in axes:
        ax.set_ylim(ymin, ymax)
        mode_stamp(ax, data, scale)
    return fig
