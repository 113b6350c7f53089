"""Shared figure style: species colours, panel labels, the paper's units on axes."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")  # headless: figures are files

import matplotlib.pyplot as plt

COLORS = {
    "amorphous": "#c0392b",
    "crystal": "#2c3e50",
    "Ba": "#1abc9c",
    "Zr": "#8e44ad",
    "S": "#f1c40f",
    "surrogate": "#e67e22",
    "paper": "#2c3e50",
}


def new_figure(width_in: float = 3.4, height_in: float = 2.6):
    """A single-panel figure sized for a journal column."""
    plt.rcParams.update({"font.size": 9, "axes.linewidth": 0.8, "savefig.dpi": 200})
    return plt.subplots(figsize=(width_in, height_in), constrained_layout=True)


def panel_label(ax, label: str) -> None:
    ax.text(-0.18, 1.02, f"({label})", transform=ax.transAxes, fontweight="bold", va="bottom")


def mode_stamp(ax, data: str, scale: str) -> None:
    """Stamp data mode and scale in the panel's lower right corner; surrogate panels say so
    loudly, on three short lines. The stamp takes no part in the layout (a long stamp would
    otherwise shrink the axes under constrained_layout)."""
    if data == "surrogate":
        text, color, size = (
            f"SURROGATE\nnot the paper's data\n{scale} scale",
            COLORS["surrogate"],
            6.5,
        )
    else:
        text, color, size = f"{data} mode, {scale} scale", "0.4", 6
    ax.text(
        0.99,
        0.01,
        text,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=size,
        color=color,
        fontweight="bold" if data == "surrogate" else "normal",
        in_layout=False,
        bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1},
    )
