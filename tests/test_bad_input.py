"""Bad input, as a hostile user gives it: each case exits non-zero with one line that names the
culprit, no traceback, and leaves nothing new or half-written behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bzs_repro.cli import main

FIX = Path(__file__).parent / "fixtures" / "verify"
GOOD_PARAMS = "box 40 40 40\nnode 0 0 0 0 0 0\nnode 20 20 20 10 20 30\n"


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _check(
    capsys, argv: list[str], needle: str | list[str], folder: Path, code: int | None = None
) -> None:
    before = _files(folder)
    got = main(argv)
    err = [ln for ln in capsys.readouterr().err.strip().splitlines() if ln.strip()]
    assert got != 0, argv
    if code is not None:
        assert got == code
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    for want in [needle] if isinstance(needle, str) else needle:
        assert want in err[0], (want, err[0])
    assert _files(folder) == before, "something new or half-written was left"


ATOMSK = [
    ("", "needs one 'box' line"),
    ("box -40 40 40\nnode 0 0 0 0 0 0\n", "finite and > 0"),
    ("box nan 40 40\nnode 0 0 0 0 0 0\n", "finite and > 0"),
    ("box 0 40 40\nnode 0 0 0 0 0 0\n", "finite and > 0"),
    ("box 40 40 40\nnode inf 0 0 0 0 0\n", "must be finite"),
    ("box 40 40 40\nnode 0 0 0 1e300 0 0\n", "360"),
    ("box 40 40 40\nnode 0 0 0 0 0 0\nnode 40 40 40 5 5 5\n", "same point"),
    ("node 0 0 0 0 0 0\nbox 40 40 40\n", "'box' must come before"),
    ("box 40 40 40\nnode 0 0 0 0 0\n", "expected 'box Lx Ly Lz'"),
    ("box 40 40 40\nnode a b c 0 0 0\n", "node"),
    ("box 40 40\nnode 0 0 0 0 0 0\n", "expected 'box Lx Ly Lz'"),
    ("just garbage\n", "expected 'box Lx Ly Lz'"),
]


@pytest.mark.parametrize(("content", "needle"), ATOMSK)
def test_bad_atomsk_parameter_files(tmp_path, capsys, content, needle):
    f = tmp_path / "params.txt"
    f.write_text(content)
    out = tmp_path / "out"
    out.mkdir()
    _check(
        capsys,
        [
            "build",
            "polycrystal",
            "--atomsk-params",
            str(f),
            "--lattice",
            "7.09",
            "9.94",
            "6.94",
            "--out",
            str(out / "pc.extxyz"),
        ],
        needle,
        out,
    )


GB_ARGS = [
    (["--sigma", "31", "--lattice", "0", "0", "0"], "--lattice: '0' must be a finite number > 0"),
    (["--sigma", "31", "--lattice", "-7", "9.9", "7"], "--lattice: '-7' must be"),
    (["--sigma", "31", "--lattice", "nan", "9.9", "7"], "--lattice: 'nan' must be"),
    (["--sigma", "31", "--lattice", "inf", "9.9", "7"], "--lattice: 'inf' must be"),
    (["--sigma", "31", "--lattice", "a", "9.9", "7"], "--lattice: 'a' is not a number"),
    (["--sigma", "31", "--lattice", "7", "9.9"], "--lattice"),
    (["--sigma", "31", "--thickness", "0"], "--thickness: '0' must be"),
    (["--sigma", "31", "--thickness", "-20"], "--thickness: '-20' must be"),
    (["--sigma", "31", "--thickness", "nan"], "--thickness: 'nan' must be"),
    (["--misorientation", "nan"], "--misorientation: 'nan' must be"),
    (["--misorientation", "1e300"], "--misorientation: '1e300' must be"),
    (["--sigma", "x"], "--sigma: invalid int value"),
    (["--sigma", "31", "--misorientation", "3"], "not allowed with argument"),
    ([], "one of the arguments --grain-rotation --misorientation --sigma is required"),
    (["--sigma", "2", "--lattice", "7.09", "9.94", "6.94"], "no symmetric [001] tilt with Sigma2"),
]


@pytest.mark.parametrize(("args", "needle"), GB_ARGS)
def test_bad_gb_arguments(tmp_path, capsys, args, needle):
    _check(capsys, ["build", "gb", *args, "--out", str(tmp_path / "gb.extxyz")], needle, tmp_path)


def test_build_out_is_a_folder_or_below_a_file(tmp_path, capsys):
    args = ["build", "gb", "--sigma", "31", "--lattice", "7.09", "9.94", "6.94"]
    _check(capsys, [*args, "--out", str(tmp_path)], "is a folder; give a file name", tmp_path)
    (tmp_path / "file").write_text("x")
    _check(
        capsys,
        [*args, "--out", str(tmp_path / "file" / "gb.extxyz")],
        "is not a writable folder",
        tmp_path,
    )


POLY_ARGS = [
    (["--grains", "3", "--box", "0"], "--box: '0' must be"),
    (["--grains", "3", "--box", "-5"], "--box: '-5' must be"),
    (["--grains", "3", "--box", "nan"], "--box: 'nan' must be"),
    (["--grains", "3"], "--grains needs --box"),
    (["--atomsk-params", "/nonexistent/params.txt"], "Atomsk parameter file not found"),
]


@pytest.mark.parametrize(("args", "needle"), POLY_ARGS)
def test_bad_polycrystal_arguments(tmp_path, capsys, args, needle):
    _check(
        capsys,
        [
            "build",
            "polycrystal",
            *args,
            "--lattice",
            "7.09",
            "9.94",
            "6.94",
            "--out",
            str(tmp_path / "pc.extxyz"),
        ],
        needle,
        tmp_path,
    )


RUN_ARGS = [
    (["run", "fig9"], "unknown target 'fig9'"),
    (["run", "fig2", "--scale", "huge"], "argument --scale: invalid choice"),
    (["run", "fig2", "--data", "dft"], "argument --data: invalid choice"),
    (["run", "fig2", "--engine", "gromacs"], "argument --engine: invalid choice"),
    (["run", "fig2", "--seed", "x"], "argument --seed: invalid int value"),
    (["frobnicate"], "invalid choice"),
    (["verify", "--results", "/nonexistent/results"], "does not exist"),
    (["fetch", "no-such-file"], "unknown registry file"),
]


@pytest.mark.parametrize(("argv", "needle"), RUN_ARGS)
def test_bad_run_and_verify_arguments(tmp_path, capsys, argv, needle):
    _check(capsys, argv, needle, tmp_path)


def test_run_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "results"
    f.write_text("x")
    _check(capsys, ["run", "figS3", "--out", str(f)], "is a file, not a folder", tmp_path, code=2)


def test_root_pointing_nowhere_is_an_error(tmp_path, capsys, monkeypatch):
    from bzs_repro import paths

    monkeypatch.setenv("BZS_REPRO_ROOT", str(tmp_path / "nowhere"))
    paths.project_root.cache_clear()
    try:
        _check(capsys, ["targets"], "BZS_REPRO_ROOT=", tmp_path)
    finally:
        monkeypatch.delenv("BZS_REPRO_ROOT")
        paths.project_root.cache_clear()


def test_malformed_lock_names_the_file(tmp_path, capsys, monkeypatch):
    from bzs_repro.data.registry import default_registry

    lock = tmp_path / "bad.lock"
    lock.write_text("[pot\nsha256 = 1\n")
    monkeypatch.setenv("BZS_REPRO_LOCK", str(lock))
    default_registry.cache_clear()
    try:
        _check(capsys, ["fetch", "ace-low-energy"], f"{lock}: malformed lock file", tmp_path)
    finally:
        monkeypatch.delenv("BZS_REPRO_LOCK")
        default_registry.cache_clear()


BAD_EXPECTATIONS = [
    ("value = 3.94", 'value = "5.9"', "value"),
    ("tolerance = { abs = 0.02 }", "tolerance = { abs = inf }", "abs"),
    ("tolerance = { abs = 0.02 }", "tolerance = { rel = 1e9 }", "rel"),
    ("tolerance = { abs = 0.02 }", "tolerance = { abs = -1 }", "abs"),
    ("value = 3.94", "value = nan", "value"),
    ("value = 3.94", "value = true", "value"),
    ('data = ["paper"]', 'data = ["dft"]', "data"),
    ('scales = ["smoke", "reduced", "paper"]', 'scales = ["huge"]', "scales"),
    ("[[expectation]]", "[[expectation]", "not valid TOML"),
    ('id = "fig2.authors_model.density_g_cm3"', 'id = "no dots"', "id"),
]


@pytest.mark.parametrize(("old", "new", "needle"), BAD_EXPECTATIONS)
def test_bad_expectation_files_via_verify(tmp_path, capsys, old, new, needle):
    import shutil

    res = tmp_path / "results"
    shutil.copytree(FIX / "results", res)
    bad = tmp_path / "e.toml"
    bad.write_text((FIX / "expectations.toml").read_text().replace(old, new, 1))
    before = _files(res)
    assert main(["verify", "--results", str(res), "--expectations", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert str(bad) in err[0]
    assert needle in err[0]
    assert _files(res) == before  # no report written from bad expectations


def test_empty_expectation_file(tmp_path, capsys):
    bad = tmp_path / "e.toml"
    bad.write_text("")
    res = tmp_path / "r"
    res.mkdir()
    assert main(["verify", "--results", str(res), "--expectations", str(bad)]) == 2
    assert "nothing would be checked" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        _check(capsys, ["run", "figS3", "--out", str(ro / "results")], "not a writable folder", ro)
    finally:
        ro.chmod(0o700)


def _cut_after(text: str, marker: str) -> str:
    return text[: text.index(marker)]


SURROGATE_YAML = (
    Path(__file__).parents[1] / "data" / "fixtures" / "surrogate" / "ace-low-energy.yaml"
)
BAD_POTENTIALS = [
    (lambda t: "", "the file is empty"),
    (lambda t: t[: len(t) // 2], "truncated"),  # cut mid-line: broken YAML or a lost block
    (lambda t: _cut_after(t, "  - speciesblock: S Ba\n"), "no species block 'S Ba'"),
    (lambda t: _cut_after(t, "    radcoefficients:"), "lacks radcoefficients"),
    (lambda t: t.replace("Zr", "Ti"), "no Zr (holds Ba, S, Ti"),
    (lambda t: "- just\n- a list\n", "no key/value mapping"),
    (lambda t: "species: [\n", "not a readable YAML file at line"),
    (lambda t: "\x00\x01garbage: [", "not a readable YAML file"),
    (lambda t: "global: {}\n", "no 'species' blocks"),
]


@pytest.mark.parametrize(("damage", "needle"), BAD_POTENTIALS)
def test_bad_potential_file_is_refused_before_any_work(
    tmp_path, capsys, monkeypatch, damage, needle
):
    """A damaged potential of the project's own (surrogate mode; the paper's files are checked
    by sha256): one line naming the file, exit 2, no results folder."""
    from bzs_repro import paths

    root = tmp_path / "root"
    data = root / "data"
    data.mkdir(parents=True)
    real = paths.data_dir()
    for item in real.iterdir():
        if item.name != "fixtures":
            (data / item.name).symlink_to(item)
    (data / "fixtures").mkdir()
    for item in (real / "fixtures").iterdir():
        if item.name != "surrogate":
            (data / "fixtures" / item.name).symlink_to(item)
    sur = data / "fixtures" / "surrogate"
    sur.mkdir()
    for item in SURROGATE_YAML.parent.iterdir():
        if item.suffix not in (".yace", ".yaml"):
            (sur / item.name).symlink_to(item)
    (sur / "ace-full-dataset.yaml").symlink_to(SURROGATE_YAML.parent / "ace-full-dataset.yaml")
    bad = sur / "ace-low-energy.yaml"
    bad.write_bytes(damage(SURROGATE_YAML.read_text()).encode("latin-1", "replace"))
    (root / "reproduce").symlink_to(paths.reproduce_dir())
    monkeypatch.setenv("BZS_REPRO_ROOT", str(root))
    paths.project_root.cache_clear()
    try:
        _check(
            capsys,
            ["run", "figS3", "--data", "surrogate", "--out", str(tmp_path / "out")],
            [f"potential {bad}: ", needle],
            tmp_path,
            code=2,
        )
    finally:
        monkeypatch.delenv("BZS_REPRO_ROOT")
        paths.project_root.cache_clear()
