"""Plot the time series of benchmarks/study_fig2_decomposition.py: density, CN(Zr) and the
fraction of S in S-S bonds against time, one line per variant.

    python benchmarks/plot_fig2_decomposition.py [--study DIR] [--out FILE.png] [CSV ...]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("csvs", nargs="*", type=Path)
    p.add_argument("--study", type=Path, default=Path("results/study-fig2"))
    p.add_argument("--out", type=Path, default=Path("docs/fig2-quench-rate.png"))
    a = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = a.csvs or sorted(a.study.glob("*.csv"))
    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    keys = (
        ("density_g_cm3", "density (g/cm³)"),
        ("cn_zr_mean", "CN(Zr), S within 3.1 Å"),
        ("ss_bonded_fraction", "S in S-S bonds (< 2.4 Å)"),
    )
    colors = plt.get_cmap("tab20").colors
    for n, f in enumerate(files):
        rows = [r for r in csv.DictReader(f.open()) if r.get("time_ps")]
        if not rows:
            continue
        t = [float(r["time_ps"]) for r in rows]
        hot = "3500" in f.stem or "3000" in f.stem  # a stage above 2500 K: dashed
        for ax, (k, _) in zip(axes, keys, strict=True):
            ax.plot(
                t,
                [float(r[k]) for r in rows],
                label=f.stem,
                lw=1.3,
                color=colors[(2 * n) % 20 + (n // 10) % 2],
                ls="--" if hot else "-",
            )
    for ax, (_, lab) in zip(axes, keys, strict=True):
        ax.set_ylabel(lab)
        ax.grid(alpha=0.3)
    axes[0].axhline(4.36, color="k", ls=":", lw=0.8)
    axes[0].text(0.2, 4.38, "crystal, 300 K", fontsize=8)
    axes[2].axhline(0.05, color="r", ls=":", lw=0.8)
    axes[2].text(0.2, 0.06, "bound of fig2.ss_bonded_fraction (5 %)", fontsize=8, color="r")
    axes[-1].set_xlabel("time (ps)")
    axes[0].legend(fontsize=6, loc="upper right")
    fig.suptitle(
        "Fig. 2 melt-quench, 640 atoms, paper's ACE, native LAMMPS (dashed: a stage above 2500 K)"
    )
    fig.tight_layout()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.out, dpi=110)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
