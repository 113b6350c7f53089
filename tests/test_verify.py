"""verify on a hand-made results folder: every status, the report files, the exit code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bzs_repro.cli import main
from bzs_repro.data.expectations import ExpectationsError, load_expectations
from bzs_repro.verify import verify

FIX = Path(__file__).parent / "fixtures" / "verify"


@pytest.fixture
def results(tmp_path):
    out = tmp_path / "results"
    shutil.copytree(FIX / "results", out)
    return out


def test_statuses_of_hand_made_numbers(results):
    rows, status = verify(results, FIX / "expectations.toml")
    got = {r.exp.id: (r.status, r.value) for r in rows}
    assert got["fig2.authors_model.density_g_cm3"] == ("PASS", 3.951)  # |3.951-3.94| <= 0.02
    assert got["fig2.authors_model.cn_zr_mean"] == ("FAIL", 5.71)  # 0.19 > 0.05
    assert got["fig2.density_g_cm3"] == ("OTHER SCALE", 3.90)  # paper-scale number at smoke
    assert got["fig2.density_ratio:amorphous-range"] == ("PASS", 0.905)  # bound [0.8, 1]
    assert got["fig2.crystal_cn_zr_mean"][0] == "FAIL"  # null: no finite value
    assert got["fig4.cn_zr_mean"] == ("SURROGATE", 5.80)  # never compared with 5.87
    assert got["fig3.egb_max_abs_error_J_m2"][0] == "NOT RUN"  # target absent
    assert status == 1


def test_report_files_say_what_was_reproduced(results):
    verify(results, FIX / "expectations.toml")
    md = (results / "report.md").read_text()
    assert "| `fig2.authors_model.cn_zr_mean` |" in md
    assert "**FAIL**" in md
    assert "**PASS**" in md
    assert "**SURROGATE**" in md
    assert "SURROGATE DATA MODE" in md
    html = (results / "report.html").read_text()
    assert "<tr class='OTHER-SCALE'>" in html
    assert html.count("<tr class=") == 7


def test_all_pass_gives_exit_zero_via_cli(results, capsys):
    (results / "fig2" / "numbers.json").write_text('{"fig2.authors_model.density_g_cm3": 3.93}')
    (results / "fig4").rename(results / "fig4-unused")
    code = main(
        ["verify", "--results", str(results), "--expectations", str(FIX / "expectations.toml")]
    )
    assert code == 0
    assert '"FAIL": 0' in capsys.readouterr().out


def test_cli_exit_one_on_fail(results):
    code = main(
        ["verify", "--results", str(results), "--expectations", str(FIX / "expectations.toml")]
    )
    assert code == 1


def test_schema_rejects_typos(tmp_path):
    bad = tmp_path / "e.toml"
    text = (FIX / "expectations.toml").read_text()
    bad.write_text(text.replace("justification = ", "justifcation = ", 1))
    with pytest.raises(ExpectationsError, match="justifcation"):
        load_expectations(bad)
    bad.write_text(
        text.replace("tolerance = { abs = 0.02 }", "tolerance = { abs = 0.02, rel = 0.1 }", 1)
    )
    with pytest.raises(ExpectationsError, match="exactly one"):
        load_expectations(bad)
    first = text[text.index("[[expectation]]") :].split("\n\n")[0]
    bad.write_text(text + "\n" + first + "\n")
    with pytest.raises(ExpectationsError, match="duplicate"):
        load_expectations(bad)


def test_project_expectations_cover_the_paper_numbers():
    exps = {e.id: e for e in load_expectations()}
    required = {
        "fig2.density_g_cm3": 3.94,
        "fig2.cn_zr_mean": 5.9,
        "fig2.zrs_bond_mean_A": 2.575,
        "fig4.cn_zr_mean": 5.87,
        "fig4.zrs_bond_mean_A": 2.54,
        "fig1.rmse_energy_low_energy_meV_atom": 13.9,
        "fig1.rmse_energy_full_meV_atom": 23.1,
        "fig3.egb_max_abs_error_J_m2": 0.18,
        "fig2.zrs_bond_mean_A:exafs": 2.593,
        "fig2.cn_zr_mean:exafs": 5.2,
    }
    for key, value in required.items():
        assert exps[key].value == pytest.approx(value), key
        assert exps[key].kind == "paper"
    assert "fig3.egb_fraction_within_0p10" in exps


def test_every_expectation_belongs_to_a_target():
    from bzs_repro.targets import discover_targets

    targets = discover_targets()
    orphans = [e.id for e in load_expectations() if e.target not in targets]
    assert orphans == []


def test_documented_discrepancy_is_shown_but_does_not_fail_the_run(results, tmp_path):
    text = (
        (FIX / "expectations.toml")
        .read_text()
        .replace(
            'id = "fig2.authors_model.cn_zr_mean"',
            'id = "fig2.authors_model.cn_zr_mean"\ndiscrepancy = "the published file disagrees with the text"',
        )
    )
    exp = tmp_path / "expectations.toml"
    exp.write_text(text)
    (results / "fig2" / "numbers.json").write_text(
        '{"fig2.authors_model.density_g_cm3": 3.93, "fig2.authors_model.cn_zr_mean": 5.41}'
    )
    rows, status = verify(results, exp)
    got = {r.exp.id: r for r in rows}
    row = got["fig2.authors_model.cn_zr_mean"]
    assert (row.status, row.value) == ("DISAGREES", 5.41)  # |5.41 - 5.9| > 0.05, documented
    assert "disagrees with the text" in row.detail
    assert status == 0
    assert "**DISAGREES**" in (results / "report.md").read_text()
