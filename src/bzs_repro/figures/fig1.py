"""Fig. 1-like panels: the data set of the fitting workflow, parity plots, error
distributions and a structure map. Energies in eV/atom (isolated-atom zero), forces eV/A."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bzs_repro.figures.style import mode_stamp, new_figure, panel_label

CTYPE_COLORS = {
    "bulk": "#7f8c8d",
    "dimer": "#c0392b",
    "crys": "#2c3e50",
    "MD": "#e67e22",
    "npt": "#8e44ad",
    "crys-amorph": "#27ae60",
    "dft": "#2980b9",
}


def _color(ctype: str) -> str:
    return CTYPE_COLORS.get(ctype, "#34495e")


def panel_dataset(ax, config_types: Sequence[str], iterations: Sequence[int]) -> None:
    """(a) The workflow's data set: structures per config_type, stacked by iteration."""
    ctypes = sorted(
        set(config_types), key=lambda c: list(CTYPE_COLORS).index(c) if c in CTYPE_COLORS else 99
    )
    its = sorted(set(iterations))
    bottom = np.zeros(len(ctypes))
    ct = np.asarray(config_types)
    it_arr = np.asarray(iterations)
    for k, it in enumerate(its):
        counts = np.array([np.sum((ct == c) & (it_arr == it)) for c in ctypes])
        ax.bar(
            ctypes,
            counts,
            bottom=bottom,
            color=f"{0.25 + 0.5 * k / max(len(its) - 1, 1):.2f}",
            edgecolor="k",
            lw=0.4,
            label=f"iteration {it}",
        )
        bottom += counts
    ax.set_ylabel("structures")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(fontsize=6, frameon=False)


def panel_energy_parity(ax, pred, label: str) -> None:
    """(b) Predicted vs reference energy per atom, test split coloured by config_type."""
    lo = min(pred.e_ref.min(), pred.e_pred.min())
    hi = max(pred.e_ref.max(), pred.e_pred.max())
    ax.plot([lo, hi], [lo, hi], "k-", lw=0.6)
    for ctype in sorted(set(pred.config_type)):
        m = pred.config_type == ctype
        test = m & (pred.split == "test")
        ax.scatter(
            pred.e_ref[m & ~test],
            pred.e_pred[m & ~test],
            s=4,
            color=_color(ctype),
            alpha=0.35,
            lw=0,
        )
        ax.scatter(
            pred.e_ref[test],
            pred.e_pred[test],
            s=10,
            color=_color(ctype),
            marker="s",
            lw=0,
            label=ctype,
        )
    test = pred.subset(pred.split == "test")
    ax.set_title(f"{label}: test RMSE {test.energy_rmse_meV():.1f} meV/atom", fontsize=7)
    ax.set_xlabel("reference energy (eV/atom)")
    ax.set_ylabel("ACE energy (eV/atom)")
    ax.legend(fontsize=5, frameon=False, markerscale=0.8)


def panel_force_parity(ax, pred, label: str) -> None:
    """(c) Predicted vs reference force components (eV/A), all splits (2-D histogram)."""
    fr, fp = pred.f_ref.ravel(), pred.f_pred.ravel()
    lim = np.percentile(np.abs(fr), 99.5) * 1.1
    ax.hexbin(
        fr, fp, gridsize=60, extent=(-lim, lim, -lim, lim), bins="log", cmap="viridis", mincnt=1
    )
    ax.plot([-lim, lim], [-lim, lim], "w-", lw=0.5)
    test = pred.subset(pred.split == "test")
    ax.set_title(f"{label}: test force RMSE {test.force_rmse_meV():.0f} meV/A", fontsize=7)
    ax.set_xlabel("reference force (eV/A)")
    ax.set_ylabel("ACE force (eV/A)")


def panel_error_distribution(ax, preds: dict) -> None:
    """(e) Distribution of energy errors (meV/atom, train + test), one line per variant, on
    common bins set by the first variant (errors beyond them are piled into the end bins)."""
    first = next(iter(preds.values()))
    lim = np.percentile(np.abs((first.e_pred - first.e_ref) * 1000), 99) * 3 + 1
    bins = np.linspace(-lim, lim, 41)
    for (label, pred), color in zip(preds.items(), ("#2c3e50", "#e67e22", "#27ae60"), strict=False):
        err = np.clip((pred.e_pred - pred.e_ref) * 1000, -lim, lim)
        ax.hist(err, bins=bins, histtype="step", color=color, label=label)
    ax.set_xlabel("energy error (meV/atom)")
    ax.set_ylabel("structures")
    ax.legend(fontsize=6, frameon=False)


def panel_structure_map(
    ax, xy: np.ndarray, config_types: Sequence[str], evr: np.ndarray | None = None
) -> None:
    """(e) 2-D PCA map of structure-averaged SOAP vectors, coloured by config_type."""
    ct = np.asarray(config_types)
    for ctype in sorted(set(ct)):
        m = ct == ctype
        ax.scatter(xy[m, 0], xy[m, 1], s=5, color=_color(ctype), label=ctype, lw=0)
    suffix = [f" ({100 * v:.0f} %)" for v in evr] if evr is not None else ["", ""]
    ax.set_xlabel("SOAP PC 1" + suffix[0])
    ax.set_ylabel("SOAP PC 2" + suffix[1])
    ax.legend(fontsize=5, frameon=False, markerscale=1.5)


def make_fig1(structures, preds: dict, xy, evr, data: str, scale: str, reference: str):
    """The five panels in one figure (2 x 3); ``preds`` = {variant label: Predictions}."""
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 7})
    fig, axes = plt.subplots(2, 3, figsize=(10.0, 6.2), constrained_layout=True)
    ax = axes.ravel()
    panel_dataset(
        ax[0],
        [a.info.get("config_type", "?") for a in structures],
        [int(a.info.get("iteration", 0)) for a in structures],
    )
    panel_label(ax[0], "a")
    labels = list(preds)
    panel_energy_parity(ax[1], preds[labels[0]], labels[0])
    panel_label(ax[1], "b")
    panel_energy_parity(ax[2], preds[labels[-1]], labels[-1])
    panel_label(ax[2], "c")
    panel_force_parity(ax[3], preds[labels[0]], labels[0])
    panel_label(ax[3], "d")
    panel_error_distribution(ax[4], preds)
    panel_label(ax[4], "e")
    if xy is not None:
        panel_structure_map(ax[5], xy, [a.info.get("config_type", "?") for a in structures], evr)
    else:
        ax[5].text(
            0.5,
            0.5,
            "structure map unavailable\n(dscribe not installed)",
            ha="center",
            transform=ax[5].transAxes,
        )
    panel_label(ax[5], "f")
    fig.suptitle(f"ACE fitting workflow, errors against the reference ({reference})", fontsize=8)
    for a in ax:
        mode_stamp(a, data, scale)
    return fig


def make_crosscheck(pred, data: str, scale: str, title: str):
    """A single parity panel for the paper-ACE vs reference cross-check (two models)."""
    fig, ax = new_figure(3.4, 3.0)
    panel_energy_parity(ax, pred, "paper ACE vs reference")
    ax.set_title(title, fontsize=6)
    mode_stamp(ax, data, scale)
    return fig
