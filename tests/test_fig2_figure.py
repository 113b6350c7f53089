"""Fig. 2 panels draw what the paper draws (CN bins < 0.5 % left out, both overlays)."""

from __future__ import annotations

import numpy as np

from bzs_repro.analysis.amorphous import structure_summary
from bzs_repro.analysis.angles import bond_angle_distributions
from bzs_repro.analysis.rdf import rdf
from bzs_repro.figures.fig2 import figure_2, panel_cn
from bzs_repro.figures.style import new_figure
from bzs_repro.structures.amorphous import random_start
from bzs_repro.structures.crystal import bazrs3_pnma


def test_cn_panel_drops_bins_below_half_percent():
    _, ax = new_figure()
    panel_cn(
        ax, [("a", {4: 0.004, 5: 0.3, 6: 0.696}, "amorphous"), ("c", {6: 1.0}, "crystal")], "Zr"
    )
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == [30.0, 69.6, 100.0]  # the 0.4 % bin is not drawn


def test_figure_2_has_five_panels(tmp_path):
    xtal = bazrs3_pnma() * (2, 2, 2)
    amo = random_start(32, 4.0, seed=5)
    sx, sa = structure_summary(xtal), structure_summary(amo)
    panels = {
        "cn_zr": [
            ("amorphous", sa["cn_zr_fractions"], "amorphous"),
            ("crystal", sx["cn_zr_fractions"], "crystal"),
        ],
        "cn_ba": [
            ("amorphous", sa["cn_ba_fractions"], "amorphous"),
            ("crystal", sx["cn_ba_fractions"], "crystal"),
        ],
        "rdf": [("amorphous", rdf(amo, 6.0), "amorphous"), ("crystal", rdf(xtal, 6.0), "crystal")],
        "adf": [
            ("amorphous", bond_angle_distributions(amo), "amorphous"),
            ("crystal", bond_angle_distributions(xtal), "crystal"),
        ],
        "r_max": 6.0,
        "caption": "test",
    }
    fig = figure_2(panels, "paper", "smoke")
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert [lab for lab in labels if lab.startswith("(")] == ["(b)", "(c)", "(d)", "(e)", "(f)"]
    rdf_ax = fig.axes[2]
    assert len(rdf_ax.lines) >= 4  # amorphous total + Zr-S + Ba-S, crystal total
    y = rdf_ax.lines[-2].get_ydata()  # crystal total g(r) is drawn
    assert np.nanmax(y) > 2
    fig.savefig(tmp_path / "fig2.png")
    assert (tmp_path / "fig2.png").stat().st_size > 10_000
