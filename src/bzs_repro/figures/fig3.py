"""Fig. 3a (E_GBf vs misorientation) and Fig. 3b (per-atom energies of the Sigma31 cell)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

HIGH_EV = 1.0  # eV above the species' bulk per-atom energy: drawn red (the paper's Fig. 3b)


def panel_a(ax, rows: list[dict], data: str, scale: str) -> None:
    """E_GBf (J/m2) vs the paper's angle label; CSL boundaries at the right, by Sigma.

    rows: dicts with label, x (position), egb (MLIP), and optionally egb_ref (reference
    single points), egb_dft (user file), egb_authors (the authors' cells, strained per-atom
    reference) and egb_authors_span (their values under the four references: strain x per
    atom / site).
    """
    xs = [r["x"] for r in rows]
    ax.plot(xs, [r["egb"] for r in rows], "o", color="C0", label=f"ACE ({data}), relaxed here")
    for key, mk, col, lab in (
        ("egb_ref", "s", "C1", "CHGNet single points (surrogate reference)"),
        ("egb_dft", "D", "k", "DFT (user file)"),
        ("egb_authors", "^", "C2", "authors' cells, ACE (strained bulk, per atom)"),
    ):
        pts = [(r["x"], r[key]) for r in rows if r.get(key) is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), mk, color=col, mfc="none", label=lab)
    spans = [(r["x"], min(v), max(v)) for r in rows if (v := r.get("egb_authors_span"))]
    if spans:  # the authors' cells under the four bulk references (strain, per atom / site)
        x, lo, hi = zip(*spans, strict=True)
        ax.vlines(x, lo, hi, color="C2", lw=1.2, label="authors' cells: span of bulk references")
    ax.set_xticks(xs, [r["label"] for r in rows], rotation=45)
    ax.set_xlabel("misorientation (grain rotation, deg) / CSL")
    ax.set_ylabel(r"$E_\mathrm{GBf}$ (J m$^{-2}$)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    ax.set_title(f"(a) [001] tilt GBs, {scale} scale", fontsize=9)


def panel_b(axes, atoms_before, excess_before, atoms_after, excess_after) -> None:
    """Atoms of the Sigma31 cell projected on the x-y plane (tilt axis out of the page),
    red where the per-atom energy exceeds the species' bulk value by more than 1 eV."""
    for ax, at, ex, title in (
        (axes[0], atoms_before, excess_before, "before relaxation"),
        (axes[1], atoms_after, excess_after, "after relaxation"),
    ):
        sizes = {"Ba": 22, "Zr": 14, "S": 7}
        sym = np.array(at.get_chemical_symbols())
        hot = np.asarray(ex) > HIGH_EV
        for s in ("Ba", "Zr", "S"):
            m = sym == s
            ax.scatter(
                at.positions[m & ~hot, 0],
                at.positions[m & ~hot, 1],
                s=sizes[s],
                c="0.6",
                edgecolors="none",
            )
        ax.scatter(at.positions[hot, 0], at.positions[hot, 1], s=18, c="red", edgecolors="none")
        ax.set_aspect("equal")
        ax.set_title(f"{title}: {int(hot.sum())} atoms > {HIGH_EV:g} eV", fontsize=9)
        ax.set_xlabel("x (A)")
    axes[0].set_ylabel("y (A), boundary normal")


def figure_3(rows, data, scale, sigma31) -> plt.Figure:
    """Both panels; ``sigma31`` = (atoms_before, excess_before, atoms_after, excess_after)."""
    fig = plt.figure(figsize=(11, 4.2))
    gs = fig.add_gridspec(1, 3, width_ratios=[1.3, 1, 1])
    panel_a(fig.add_subplot(gs[0]), rows, data, scale)
    if sigma31 is not None:
        panel_b([fig.add_subplot(gs[1]), fig.add_subplot(gs[2])], *sigma31)
    fig.text(
        0.5,
        -0.04,
        "(b) Sigma31 cell: red = per-atom ACE energy more than 1 eV above the bulk "
        "per-atom energy of the same species (crystal relaxed with the same potential).",
        ha="center",
        fontsize=8,
    )
    fig.tight_layout()
    return fig
