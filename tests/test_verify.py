"""verify: every status and exit rule on hand-made results folders, the project's rows, and a
deliberately broken analysis on the authors' real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bzs_repro.cli import main
from bzs_repro.data.expectations import ExpectationsError, load_expectations
from bzs_repro.verify import EXIT_FAIL, EXIT_INCOMPLETE, EXIT_OK, evaluate, verify

FIX = Path(__file__).parent / "fixtures" / "verify"
EXP = FIX / "expectations.toml"


@pytest.fixture
def results(tmp_path):
    out = tmp_path / "results"
    shutil.copytree(FIX / "results", out)
    return out


def write_run(results: Path, target: str, numbers: dict, data="paper", scale="smoke", **prov):
    d = results / target
    d.mkdir(parents=True, exist_ok=True)
    (d / "numbers.json").write_text(json.dumps(numbers))
    (d / "provenance.json").write_text(
        json.dumps({"target": target, "scale": scale, "data": data, "engine": "ase", **prov})
    )
    return d


def rows_of(results, exp=EXP):
    return {r.exp.id: r for r in evaluate(results, load_expectations(exp))}


def exp_file(tmp_path, text: str) -> Path:
    f = tmp_path / "expectations.toml"
    f.write_text(text)
    return f


ROW = """[[expectation]]
id = "{id}"
quantity = "q"
unit = "1"
kind = "{kind}"
{body}
justification = "test row"
source = "test"
data = {data}
scales = {scales}
{extra}
"""


def row(
    id,
    kind="paper",
    body="value = 5.9\ntolerance = { abs = 0.05 }",
    data='["paper"]',
    scales='["smoke"]',
    extra="",
):
    return ROW.format(id=id, kind=kind, body=body, data=data, scales=scales, extra=extra)


def test_statuses_of_hand_made_numbers(results):
    rows, status = verify(results, EXP)
    got = {r.exp.id: (r.status, r.value) for r in rows}
    assert got["fig2.authors_model.density_g_cm3"] == ("PASS", 3.951)  # |3.951-3.94| <= 0.02
    assert got["fig2.authors_model.cn_zr_mean"] == ("FAIL", 5.71)  # 0.19 > 0.05
    assert got["fig2.density_g_cm3"] == ("OTHER SCALE", 3.90)  # paper-scale number at smoke
    assert got["fig2.density_ratio:amorphous-range"] == ("PASS", 0.905)  # bound [0.8, 1]
    assert got["fig2.crystal_cn_zr_mean"][0] == "FAIL"  # null: no finite value
    assert got["fig4.cn_zr_mean"] == ("SURROGATE", 5.80)  # never compared with 5.87
    assert got["fig3.egb_max_abs_error_J_m2"][0] == "N/A"  # target absent: does not apply
    assert status == EXIT_FAIL


def test_report_says_what_was_reproduced(results):
    verify(results, EXP)
    md = (results / "report.md").read_text()
    first = next(line for line in md.splitlines() if line.startswith("**"))
    # paper rows: 4 (density, fig4 CN, fig3 error, authors density, authors CN) -> 5
    assert "2 of the paper's 5 printed numbers were compared" in first
    assert "(1 PASS, 1 FAIL, 0 DISAGREES); 3 are still owed" in first
    assert "| `fig2.authors_model.cn_zr_mean` |" in md
    assert "## The paper's numbers" in md
    assert "## Physical and protocol bounds" in md
    assert "**Exit status 1:**" in md
    assert "SURROGATE NUMBERS" in md
    html = (results / "report.html").read_text()
    assert "<tr class='OTHER-SCALE'>" in html
    assert html.count("<tr class=") == 7


def test_all_pass_gives_exit_zero_via_cli(results, capsys):
    (results / "fig2" / "numbers.json").write_text(
        '{"fig2.authors_model.density_g_cm3": 3.93, "fig2.authors_model.cn_zr_mean": 5.9,'
        ' "fig2.density_ratio": 0.9, "fig2.crystal_cn_zr_mean": 6.0}'
    )
    shutil.rmtree(results / "fig4")
    assert main(["verify", "--results", str(results), "--expectations", str(EXP)]) == EXIT_OK
    assert '"PASS": 4' in capsys.readouterr().out


def test_cli_exit_one_on_fail(results):
    assert main(["verify", "--results", str(results), "--expectations", str(EXP)]) == EXIT_FAIL


def test_empty_folder_is_incomplete_not_success(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["verify", "--results", str(empty), "--expectations", str(EXP)]) == EXIT_INCOMPLETE
    assert "no target results" in capsys.readouterr().err
    rows, status = verify(empty, EXP)
    assert status == EXIT_INCOMPLETE
    assert {r.status for r in rows} == {"N/A"}


def test_missing_applicable_number_is_incomplete_and_says_why(tmp_path):
    res = tmp_path / "r"
    write_run(
        res,
        "fig2",
        {"fig2.crystal_cn_zr_mean": 6.0},
        not_produced={"fig2.density_ratio": "needs the 'scattering' extra"},
    )
    rows, status = verify(res, EXP)
    got = {r.exp.id: r for r in rows}
    assert got["fig2.authors_model.cn_zr_mean"].status == "NOT RUN"
    assert got["fig2.density_ratio:amorphous-range"].status == "NOT RUN"
    assert "scattering" in got["fig2.density_ratio:amorphous-range"].detail
    assert got["fig2.crystal_cn_zr_mean"].status == "PASS"
    assert status == EXIT_INCOMPLETE


def test_numbers_of_a_failed_run_are_never_compared(tmp_path):
    """Legacy layout (provenance says failed) and the staged one (only failed-run/)."""
    good = {
        "fig2.authors_model.density_g_cm3": 3.94,
        "fig2.authors_model.cn_zr_mean": 5.9,
        "fig2.density_ratio": 0.9,
        "fig2.crystal_cn_zr_mean": 6.0,
    }
    legacy = tmp_path / "legacy"
    write_run(legacy, "fig2", good, failed="RuntimeError: boom")
    staged = tmp_path / "staged"
    fr = write_run(staged / "fig2", "failed-run", good, failed="RuntimeError: boom")
    (fr / "error.txt").write_text("Traceback ...\nRuntimeError: boom\n")
    for res in (legacy, staged):
        rows, status = verify(res, EXP)
        fig2 = [r for r in rows if r.exp.target == "fig2" and r.exp.applies_to("paper", "smoke")]
        assert fig2
        assert {r.status for r in fig2} == {"NOT RUN"}, res
        assert all("boom" in r.detail for r in fig2)
        assert status == EXIT_INCOMPLETE
        assert "latest run FAILED" in (res / "report.md").read_text()


def test_failed_rerun_keeps_earlier_results_but_is_incomplete(tmp_path):
    res = tmp_path / "r"
    d = write_run(
        res,
        "fig2",
        {
            "fig2.crystal_cn_zr_mean": 6.0,
            "fig2.density_ratio": 0.9,
            "fig2.authors_model.density_g_cm3": 3.94,
            "fig2.authors_model.cn_zr_mean": 5.9,
        },
    )
    fr = d / "failed-run"
    fr.mkdir()
    (fr / "provenance.json").write_text('{"target": "fig2", "failed": "ChecksumError: bad"}')
    rows, status = verify(res, EXP)
    r = {x.exp.id: x for x in rows}["fig2.crystal_cn_zr_mean"]
    assert r.status == "PASS"
    assert "latest rerun failed" in r.detail
    assert status == EXIT_INCOMPLETE


def test_discrepancy_row_matches_only_its_pinned_value(tmp_path):
    known = (
        '[[expectation.known]]\nvalue = 5.41\ntolerance = { abs = 0.005 }\nstatus = "DISAGREES"\n'
        'data = ["paper"]\nreason = "the published file holds 5.41, the text 5.9"\n'
    )
    f = exp_file(tmp_path, row("fig2.authors_model.cn_zr_mean", extra=known))
    res = tmp_path / "r"
    for value, status, code in (
        (5.9, "PASS", EXIT_OK),
        (5.412, "DISAGREES", EXIT_OK),
        (4.0, "FAIL", EXIT_FAIL),
        (5.45, "FAIL", EXIT_FAIL),
    ):
        write_run(res, "fig2", {"fig2.authors_model.cn_zr_mean": value})
        rows, got = verify(res, f)
        assert (rows[0].status, got) == (status, code), value
        if status == "DISAGREES":
            assert "published file holds 5.41" in rows[0].detail
        if value == 4.0:
            assert "pinned DISAGREES value 5.41" in rows[0].detail


def test_known_limit_applies_only_to_its_data_mode(tmp_path):
    known = (
        '[[expectation.known]]\nvalue = 9.0\ntolerance = { abs = 0.01 }\nstatus = "KNOWN LIMIT"\n'
        'data = ["surrogate"]\nreason = "the surrogate crystal has Ba CN 9"\n'
    )
    body = "min = 8.0\nmax = 8.0"
    f = exp_file(
        tmp_path,
        row("fig2.crystal_cn_ba_mean", "bound", body, '["paper", "surrogate"]', extra=known),
    )
    res = tmp_path / "r"
    cases = (
        ("surrogate", 9.0, "KNOWN LIMIT", EXIT_OK),
        ("surrogate", 8.0, "SURROGATE", EXIT_OK),
        ("surrogate", 7.0, "FAIL", EXIT_FAIL),
        ("paper", 9.0, "FAIL", EXIT_FAIL),
        ("paper", 8.0, "PASS", EXIT_OK),
    )
    for data, value, status, code in cases:
        write_run(res, "fig2", {"fig2.crystal_cn_ba_mean": value}, data=data)
        rows, got = verify(res, f)
        assert (rows[0].status, got) == (status, code), (data, value)


def test_surrogate_derived_number_is_never_pass_in_paper_mode(tmp_path):
    body = "max = 25.0"
    f = exp_file(
        tmp_path,
        row(
            "fig1.reenact_rmse",
            "bound",
            body,
            '["paper", "surrogate"]',
            extra="surrogate_derived = true",
        ),
    )
    res = tmp_path / "r"
    write_run(res, "fig1", {"fig1.reenact_rmse": 9.6}, data="paper")
    rows, code = verify(res, f)
    assert (rows[0].status, code) == ("SURROGATE", EXIT_OK)
    assert "SURROGATE NUMBERS" in (res / "report.md").read_text()
    write_run(res, "fig1", {"fig1.reenact_rmse": 40.0}, data="paper")
    rows, code = verify(res, f)
    assert (rows[0].status, code) == ("FAIL", EXIT_FAIL)  # a broken fit still fails


def test_unavailable_input_is_neither_pass_nor_incomplete(tmp_path):
    f = exp_file(
        tmp_path,
        row(
            "fig1.rmse_energy",
            body="value = 13.9\ntolerance = { abs = 1.0 }",
            extra='needs = "the DFT data set"',
        ),
    )
    res = tmp_path / "r"
    write_run(res, "fig1", {}, unavailable={"fig1.rmse_energy": "not public"})
    rows, code = verify(res, f)
    assert (rows[0].status, code) == ("UNAVAILABLE", EXIT_OK)
    write_run(res, "fig1", {})  # the run did not say why: a missing number is NOT RUN
    rows, code = verify(res, f)
    assert (rows[0].status, code) == ("NOT RUN", EXIT_INCOMPLETE)


def test_experiment_rows_show_the_difference_and_never_pass(tmp_path):
    f = exp_file(
        tmp_path, row("fig2.zrs:exafs", "experiment", "value = 2.593\ntolerance = { abs = 0.02 }")
    )
    res = tmp_path / "r"
    for value in (2.575, 3.5):
        write_run(res, "fig2", {"fig2.zrs": value})
        rows, code = verify(res, f)
        assert (rows[0].status, code) == ("EXPERIMENT", EXIT_OK)
    assert "this work - experiment = +0.907" in rows[0].detail


def test_input_echoes_leave_the_verdict_table(tmp_path):
    f = exp_file(
        tmp_path,
        row("fig3.natoms", "input", "value = 1224\ntolerance = { abs = 0 }")
        + row("fig3.egb", "bound", "max = 2.0"),
    )
    res = tmp_path / "r"
    write_run(res, "fig3", {"fig3.natoms": 1224, "fig3.egb": 1.0})
    _rows, code = verify(res, f)
    assert code == EXIT_OK
    md = (res / "report.md").read_text()
    verdicts, inputs = md.split("## Inputs verified")
    assert "`fig3.natoms`" not in verdicts
    assert "`fig3.natoms`" in inputs
    assert "VERIFIED" in inputs
    write_run(res, "fig3", {"fig3.natoms": 1223, "fig3.egb": 1.0})
    assert verify(res, f)[1] == EXIT_FAIL


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("[1, 2]", "JSON object of numbers, not a list"),
        ('{"fig2.density_g_cm3": "3.9"}', "key 'fig2.density_g_cm3' holds '3.9'"),
        ('{"fig2.density_g_cm3": true}', "holds True"),
        ('{"fig2.density_g_cm3": 3.9', "not valid JSON"),
        ("", "not valid JSON"),
    ],
)
def test_malformed_numbers_json_is_one_line_naming_file_and_key(results, capsys, content, needle):
    (results / "fig2" / "numbers.json").write_text(content)
    assert main(["verify", "--results", str(results), "--expectations", str(EXP)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "fig2/numbers.json" in err[0]
    assert needle in err[0]
    assert "Traceback" not in err[0]


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("value = 3.94", 'value = "3.94"', "value"),
        ("tolerance = { abs = 0.02 }", "tolerance = { abs = inf }", "abs"),
        ("tolerance = { abs = 0.02 }", "tolerance = { rel = 1e9 }", "rel"),
        ("value = 3.94", "value = nan", "value"),
        ("value = 3.94", "value = true", "value"),
        ('kind = "paper"', 'kind = "papr"', "kind"),
        ("justification = ", "justifcation = ", "justifcation"),
        ("tolerance = { abs = 0.02 }", "tolerance = { abs = 0.02, rel = 0.1 }", "exactly one"),
        ("[[expectation]]", "[[expectation]", "not valid TOML"),
    ],
)
def test_schema_rejects_bad_expectations_naming_the_file(tmp_path, old, new, needle):
    bad = tmp_path / "e.toml"
    bad.write_text(EXP.read_text().replace(old, new, 1))
    with pytest.raises(ExpectationsError, match=needle) as err:
        load_expectations(bad)
    assert str(bad) in str(err.value)


def test_schema_rejects_empty_file_and_duplicates(tmp_path):
    bad = tmp_path / "e.toml"
    bad.write_text("# nothing\n")
    with pytest.raises(ExpectationsError, match="nothing would be checked"):
        load_expectations(bad)
    text = EXP.read_text()
    first = text[text.index("[[expectation]]") :].split("\n\n")[0]
    bad.write_text(text + "\n" + first + "\n")
    with pytest.raises(ExpectationsError, match="duplicate"):
        load_expectations(bad)


# ------------------------------------------------------------------ the project's own rows
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
    }
    for key, value in required.items():
        assert exps[key].value == pytest.approx(value), key
        assert exps[key].kind == "paper"
    assert exps["fig2.zrs_bond_mean_A:exafs"].kind == "experiment"
    assert exps["fig2.cn_zr_mean:exafs"].kind == "experiment"
    assert exps["fig3.authors_sigma31.natoms"].kind == "input"
    assert "fig4.max_gamma_6grains" in exps
    assert "fig4.max_gamma" not in exps


def test_every_expectation_belongs_to_a_target():
    from bzs_repro.targets import discover_targets

    targets = discover_targets()
    orphans = [e.id for e in load_expectations() if e.target not in targets]
    assert orphans == []


def test_no_project_row_can_only_pass():
    """Every checked row fails for some value, and every pinned disagreement is a distinct value:
    outside the row's own tolerance, so the paper's value and the pinned one are told apart."""
    for e in load_expectations():
        if e.kind == "bound":
            lo = e.min if e.min is not None else -1e300
            hi = e.max if e.max is not None else 1e300
            assert not (e.check(lo - 1.0) and e.check(hi + 1.0)), e.id
        for k in e.known:
            assert not e.check(k.value), (e.id, "pinned value passes anyway")
            if e.kind in ("paper", "recorded"):
                assert not k.matches(e.value), (e.id, "pin admits the paper's value")
            assert k.tolerance.width(k.value) < 0.15 * max(abs(k.value), 1.0), e.id


def test_surrogate_rows_are_marked_and_every_mode_has_recorded_rows():
    exps = load_expectations()
    reenact = [e for e in exps if e.key.startswith("fig1.reenact_")]
    assert reenact
    assert all(e.surrogate_derived for e in reenact)
    recorded = [e for e in exps if e.kind == "recorded"]
    for mode in ("paper", "surrogate"):
        targets = {e.target for e in recorded if mode in e.data and "smoke" in e.scales}
        assert targets == {"fig1", "fig2", "fig3", "fig4", "figS3"}, mode


def test_broken_cn_cutoff_in_the_analysis_fails_the_report(paper_mirror, tmp_path, monkeypatch):
    """The authors' real 10 240-atom model analysed with the paper's 3.1 A cutoff gives the
    pinned DISAGREES value; with the cutoff changed to 3.3 A the same row FAILs (exit 1)."""
    from bzs_repro.analysis import amorphous
    from bzs_repro.data.registry import default_registry
    from bzs_repro.structures.amorphous import read_authors_model

    atoms = read_authors_model(default_registry().fetch("amorphous-model"))
    exps = [e for e in load_expectations() if e.id == "fig2.authors_model.cn_zr_mean"]
    res = tmp_path / "r"
    good = amorphous.structure_summary(atoms)["cn_zr_mean"]
    write_run(res, "fig2", {"fig2.authors_model.cn_zr_mean": good})
    assert [r.status for r in evaluate(res, exps)] == ["DISAGREES"]
    monkeypatch.setitem(amorphous.CUTOFFS, ("Zr", "S"), 3.3)
    broken = amorphous.structure_summary(atoms)["cn_zr_mean"]
    assert broken != pytest.approx(good, abs=0.01)
    write_run(res, "fig2", {"fig2.authors_model.cn_zr_mean": broken})
    assert [r.status for r in evaluate(res, exps)] == ["FAIL"]


def test_runs_table_says_resumed_only_for_resumed_runs(tmp_path):
    """provenance 'resumed' is the list of resumed MD runs: [] is a run from scratch."""
    out = tmp_path / "r"
    write_run(out, "fig2", {"fig2.density_ratio": 0.9}, resumed=[])
    write_run(
        out,
        "fig4",
        {"fig4.cn_zr_mean": 5.8},
        resumed=[{"label": "relax", "from_step": 20, "earlier_wall_s": 3.0}],
    )
    verify(out, EXP)
    runs = {
        ln.split("|")[1].strip(): ln
        for ln in (out / "report.md").read_text().splitlines()
        if ln.startswith("| fig")
    }
    assert runs["fig2"].rstrip(" |").endswith("| ok")
    assert runs["fig4"].rstrip(" |").endswith("ok (resumed)")


def test_report_says_when_no_recorded_row_applies_to_the_engine(tmp_path):
    """Recorded rows of another engine are N/A, and the report says the target went unchecked."""
    exp = exp_file(
        tmp_path,
        row("fig2.cn_zr_mean:recorded-smoke-paper", kind="recorded", extra='engines = ["ase"]'),
    )
    out = tmp_path / "r"
    write_run(out, "fig2", {"fig2.cn_zr_mean": 5.9}, engine="lammps")
    rows, _ = verify(out, exp)
    assert rows[0].status == "N/A"
    assert "recorded with engine ase" in rows[0].detail
    md = (out / "report.md").read_text()
    assert "fig2: **no recorded row applies to this run's engine** (recorded for ase)" in md
    write_run(out, "fig2", {"fig2.cn_zr_mean": 5.9}, engine="ase")
    rows, _ = verify(out, exp)
    assert rows[0].status == "PASS"
    assert "no recorded row applies" not in (out / "report.md").read_text()


def test_the_fig2_decomposition_rows_fail_a_decomposed_glass(tmp_path):
    """The project's own rows (data/expectations.toml) on smoke numbers: the measured
    single-phase glass passes; the decomposed quench of docs/fig2-quench-rate.md (29 % of S in
    S-S bonds, the two ACE versions 1.6 eV/atom apart), a crystal-like g(r) (0.30) and an S-S
    bond counted in the crystal each FAIL."""
    good = {
        "fig2.ss_bonded_fraction": 0.0,
        "fig2.ace_versions_energy_difference_eV_atom": -0.001,
        "fig2.gr_long_range_deviation": 0.08,
        "fig2.crystal_ss_bonded_fraction": 0.0,
        "fig2.authors_model.ace_versions_energy_difference_eV_atom": 3e-7,
    }
    bad = {
        "fig2.ss_bonded_fraction": 0.286,
        "fig2.ace_versions_energy_difference_eV_atom": -1.6,
        "fig2.gr_long_range_deviation": 0.30,
        "fig2.crystal_ss_bonded_fraction": 0.01,
        "fig2.authors_model.ace_versions_energy_difference_eV_atom": 0.16,
    }
    ids = {
        "fig2.ss_bonded_fraction",
        "fig2.ace_versions_energy_difference_eV_atom",
        "fig2.gr_long_range_deviation:smoke",
        "fig2.crystal_ss_bonded_fraction",
        "fig2.authors_model.ace_versions_energy_difference_eV_atom",
    }
    for numbers, want in ((good, "PASS"), (bad, "FAIL")):
        out = tmp_path / want
        write_run(out, "fig2", numbers)
        got = {r.exp.id: r.status for r in evaluate(out, load_expectations()) if r.exp.id in ids}
        assert got == dict.fromkeys(ids, want), got


@pytest.mark.parametrize(
    ("scale", "value", "status"),
    [
        ("smoke", 0.78, "PASS"),
        ("smoke", 1.6, "FAIL"),
        ("paper", 0.02, "PASS"),
        ("paper", 0.8, "FAIL"),
    ],
)
def test_the_composition_bound_of_the_built_polycrystals_can_fail(tmp_path, scale, value, status):
    """The project's rows (no balancing since Atomsk's construction): 1.5 % at smoke, 0.5 % above;
    a builder that loses a species (~20 %) fails at every scale."""
    res = tmp_path / "r"
    write_run(res, "fig4", {"fig4.composition_deviation_pct": value}, scale=scale)
    rows = {r.exp.id: r for r in evaluate(res, load_expectations()) if r.exp.target == "fig4"}
    rid = "fig4.composition_deviation_pct" + (":smoke" if scale == "smoke" else "")
    assert rows[rid].status == status


def test_the_authors_polycrystal_rows_fail_a_wrong_analysis(tmp_path):
    """fig4.authors_8grains.*: the paper's 5.87 / 2.54 A on the authors' own file, at any scale;
    UNAVAILABLE (exit 0) when the file is not at hand, FAIL for a wrong number."""
    res = tmp_path / "r"
    keys = ("fig4.authors_8grains.cn_zr_mean", "fig4.authors_8grains.zrs_bond_mean_A")

    def status(nums, **prov):
        write_run(res, "fig4", nums, **prov)
        return {r.exp.id: r.status for r in evaluate(res, load_expectations())}

    st = status({keys[0]: 5.87, keys[1]: 2.541})
    assert (st[keys[0]], st[keys[1]]) == ("PASS", "PASS")
    st = status({keys[0]: 5.6, keys[1]: 2.60})
    assert (st[keys[0]], st[keys[1]]) == ("FAIL", "FAIL")
    st = status({}, unavailable=dict.fromkeys(keys, "not in the offline mirror"))
    assert (st[keys[0]], st[keys[1]]) == ("UNAVAILABLE", "UNAVAILABLE")
