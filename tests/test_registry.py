"""The data registry against a local HTTP server on 127.0.0.1 serving fixture files."""

from __future__ import annotations

import hashlib
import http.server
import threading
import tomllib
from pathlib import Path
from typing import ClassVar

import pytest

from bzs_repro.data.registry import ChecksumError, DataUnavailableError, Registry, sha256sum

GOOD = b"Ba Zr S\n" * 500  # 4000 bytes of "potential"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


class _Handler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        _Handler.hits.append(self.path)
        if self.path.endswith("/broken.yaml"):  # promises 4000 bytes, sends 100, hangs up
            self.send_response(200)
            self.send_header("Content-Length", "4000")
            self.end_headers()
            self.wfile.write(GOOD[:100])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        body = _Handler.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _registry(
    tmp_path: Path, base_url: str, size: int = len(GOOD), mirror: Path | None = None
) -> Registry:
    reg_file = tmp_path / "registry.toml"
    reg_file.write_text(
        f"""
[source]
repository = "test/repo"
url_template = "{base_url}/{{commit}}/{{path}}"

[artifacts.pot]
path = "potential/pot.yaml"
commit = "{COMMIT}"
size = {size}

[artifacts.broken]
path = "potential/broken.yaml"
commit = "{COMMIT}"
size = 4000
"""
    )
    return Registry(reg_file, tmp_path / "registry.lock", tmp_path / "cache", mirror)


@pytest.fixture
def served():
    _Handler.files = {f"/{COMMIT}/potential/pot.yaml": GOOD}
    _Handler.hits = []
    return _Handler


def test_download_records_first_use_hash_in_the_cache_never_in_the_lock(tmp_path, server, served):
    reg = _registry(tmp_path, server)
    path = reg.fetch("pot")
    assert path.read_bytes() == GOOD
    assert path == tmp_path / "cache" / "potential" / "pot.yaml"
    assert not (tmp_path / "registry.lock").exists()  # the committed lock is never written
    assert reg.trust("pot") == "first use"
    assert reg.trust_of_digest(hashlib.sha256(GOOD).hexdigest()).startswith("UNVERIFIED")
    lock = tomllib.loads((tmp_path / "cache" / "first-use.lock").read_text())
    assert lock["pot"]["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert lock["pot"]["size"] == len(GOOD)
    assert lock["pot"]["origin"] == "download"
    n_hits = len(served.hits)
    assert reg.fetch("pot") == path  # second call: from the cache, no request
    assert len(served.hits) == n_hits


def test_size_mismatch_is_refused_and_deleted(tmp_path, server, served):
    reg = _registry(tmp_path, server, size=len(GOOD) + 1)
    with pytest.raises(ChecksumError, match="bytes, the registry pins"):
        reg.fetch("pot")
    assert not (tmp_path / "cache" / "potential" / "pot.yaml").exists()
    assert not (tmp_path / "registry.lock").exists()  # nothing locked from a bad copy
    assert not (tmp_path / "cache" / "first-use.lock").exists()


def test_tampered_content_after_lock_is_refused(tmp_path, server, served):
    reg = _registry(tmp_path, server)
    path = reg.fetch("pot")
    # tampered on the server, same size: the download no longer matches the lock
    served.files[f"/{COMMIT}/potential/pot.yaml"] = GOOD.replace(b"Zr", b"Hf")
    path.unlink()
    with pytest.raises(ChecksumError, match="sha256"):
        reg.fetch("pot")
    assert not path.exists()
    # tampered in the cache: deleted, then re-downloaded (and refused again)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(GOOD.replace(b"Ba", b"Sr"))
    with pytest.raises(ChecksumError):
        reg.fetch("pot")
    assert not path.exists()


def test_interrupted_download_leaves_no_partial_file(tmp_path, server, served):
    reg = _registry(tmp_path, server)
    with pytest.raises(DataUnavailableError):
        reg.fetch("broken")
    cache = tmp_path / "cache"
    leftovers = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    assert leftovers == []


def test_offline_error_names_file_url_and_mirror_variable(tmp_path):
    reg = _registry(tmp_path, "http://127.0.0.1:9")  # discard port: connection refused
    with pytest.raises(DataUnavailableError) as info:
        reg.fetch("pot")
    text = str(info.value)
    assert "potential/pot.yaml" in text
    assert f"http://127.0.0.1:9/{COMMIT}/potential/pot.yaml" in text
    assert "BZS_REPRO_DATA_MIRROR" in text


def test_mirror_is_used_and_verified(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "potential").mkdir(parents=True)
    (mirror / "potential" / "pot.yaml").write_bytes(GOOD)
    reg = _registry(tmp_path, "http://127.0.0.1:9", mirror=mirror)
    assert reg.fetch("pot") == mirror / "potential" / "pot.yaml"
    lock = tomllib.loads((tmp_path / "cache" / "first-use.lock").read_text())
    assert lock["pot"]["origin"].startswith("offline mirror")
    # a mirror copy that differs from the lock is refused (and left alone: it is not ours)
    (mirror / "potential" / "pot.yaml").write_bytes(GOOD.replace(b"S\n", b"O\n"))
    with pytest.raises(ChecksumError):
        reg.fetch("pot")
    assert (mirror / "potential" / "pot.yaml").exists()


def test_a_pinned_file_is_verified_and_garbage_is_never_locked(tmp_path, server, served):
    """With the hash pinned in the committed lock, a garbage file is refused on first use, and
    the genuine one is accepted afterwards (no trust on first use)."""
    (tmp_path / "registry.lock").write_text(
        f'[pot]\nsha256 = "{hashlib.sha256(GOOD).hexdigest()}"\nsize = {len(GOOD)}\n'
    )
    before = (tmp_path / "registry.lock").read_bytes()
    served.files[f"/{COMMIT}/potential/pot.yaml"] = GOOD.replace(b"Zr", b"Hf")
    reg = _registry(tmp_path, server)
    with pytest.raises(ChecksumError):
        reg.fetch("pot")
    served.files[f"/{COMMIT}/potential/pot.yaml"] = GOOD
    assert reg.fetch("pot").read_bytes() == GOOD
    assert reg.trust("pot") == "locked"
    assert (tmp_path / "registry.lock").read_bytes() == before
    assert not (tmp_path / "cache" / "first-use.lock").exists()


def test_unknown_name_lists_known(tmp_path):
    reg = _registry(tmp_path, "http://127.0.0.1:9")
    with pytest.raises(KeyError, match="known: broken, pot"):
        reg.fetch("nope")


def test_project_registry_matches_manifest(paper_mirror):
    """Every mirrored file of the project registry verifies against the committed lock."""
    reg = Registry(mirror_dir=paper_mirror, cache_dir=Path("/nonexistent-cache"))
    lock = reg.read_lock()
    mirrored = [a for a in reg.artifacts.values() if a.mirrored]
    assert len(mirrored) == 15
    for art in mirrored:
        assert reg.local_copy(art.name) == paper_mirror / art.path
        assert lock[art.name]["size"] == art.size
    # the two potentials carry the sha256 published in MANIFEST.md
    assert lock["ace-low-energy"]["sha256"].startswith("8bb0e22c34f4")
    assert lock["ace-full-dataset"]["sha256"].startswith("93b59d8f4f0f")
    for art in reg.artifacts.values():
        assert art.url.startswith("https://raw.githubusercontent.com/BiancaPasca/")
        assert art.commit in art.url


def test_bundled_copies_need_no_mirror_and_are_verified(tmp_path, monkeypatch):
    """The two Atomsk parameter files ship with the project: a clone with neither cache, mirror
    nor network gets them, checked against the committed lock; a changed copy is refused."""
    import shutil

    monkeypatch.delenv("BZS_REPRO_DATA_MIRROR", raising=False)
    reg = Registry(cache_dir=tmp_path / "cache", mirror_dir=None, timeout_s=0.5)
    bundled = [a for a in reg.artifacts.values() if a.bundled]
    assert sorted(a.name for a in bundled) == ["atomsk-6grain-params", "atomsk-8grain-params"]
    for art in bundled:
        path = reg.fetch(art.name)
        assert path == reg.bundled_dir / art.path
        assert sha256sum(path) == reg.read_lock()[art.name]["sha256"]
    data = tmp_path / "data"
    shutil.copytree(reg.registry_file.parent / "bundled", data / "bundled")
    shutil.copy(reg.registry_file, data / "registry.toml")
    shutil.copy(reg.lock_file, data / "registry.lock")
    name = bundled[0].name
    copy = data / "bundled" / reg[name].path
    copy.write_bytes(copy.read_bytes().replace(b"node", b"nOde"))
    tampered = Registry(data / "registry.toml", data / "registry.lock", tmp_path / "cache")
    with pytest.raises(ChecksumError):
        tampered.fetch(name)
