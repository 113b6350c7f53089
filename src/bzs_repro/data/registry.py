"""Registry of the authors' published files: pinned URL, size, sha256 lock, cache and mirror.

data/registry.toml lists every public file of the paper (MANIFEST.md of the offline mirror):
the raw URL at a commit known to hold it, and its size in bytes. A file is obtained, in order,
from the cache (``BZS_REPRO_CACHE``), an offline mirror (``BZS_REPRO_DATA_MIRROR``, same
relative paths as the repository), the project's own copy of a few small files
(``bundled = true``: data/bundled/<path>, e.g. the two 1 kB Atomsk parameter files, so that a
clean clone without network still builds the authors' polycrystals; used only against a
locked sha256) or a download with pooch. data/registry.lock (committed, never written at run
time) pins the sha256 of every file whose content is known; a copy whose size or sha256
differs is refused (and a downloaded one deleted), never used. A file it does not pin is
accepted on first use, its hash kept in the user's cache (``first-use.lock``) so that a later
different copy is refused, and every report marks it UNVERIFIED.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pooch

from bzs_repro.paths import data_dir

log = logging.getLogger(__name__)
CACHE_ENV = "BZS_REPRO_CACHE"
MIRROR_ENV = "BZS_REPRO_DATA_MIRROR"
LOCK_ENV = "BZS_REPRO_LOCK"


class DataUnavailableError(RuntimeError):
    """A registry file is neither cached, nor mirrored, nor downloadable."""


class ChecksumError(RuntimeError):
    """A copy of a registry file differs from the pinned size or the locked sha256."""


@dataclass(frozen=True)
class Artifact:
    """One published file: ``path`` inside the authors' repository at ``commit``."""

    name: str
    path: str
    commit: str
    url: str
    size: int | None
    description: str
    mirrored: bool = False
    bundled: bool = False


def sha256sum(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_lock(path: Path, lock: dict[str, dict]) -> None:
    """Write the lock atomically (a tiny TOML writer: flat tables of strings and ints)."""
    lines = [
        "# sha256 lock of the paper artifacts, written by bzs_repro.data.registry.",
        "# 'origin' says how each hash was first obtained; a differing copy is refused.",
        "",
    ]
    for name in sorted(lock):
        lines.append(f"[{_toml_str(name)}]")
        for key, value in lock[name].items():
            lines.append(f"{key} = {value if isinstance(value, int) else _toml_str(str(value))}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    from bzs_repro.results import atomic_write_text  # the user's umask, unique temp name

    atomic_write_text(path, "\n".join(lines))


class Registry:
    """Resolve registry names to verified local files.

    Parameters
    ----------
    registry_file, lock_file:
        TOML files (default: data/registry.toml, data/registry.lock or ``BZS_REPRO_LOCK``).
    cache_dir:
        Download cache (default ``BZS_REPRO_CACHE`` or the platform cache, via pooch).
    mirror_dir:
        Offline mirror with the repository's relative paths (default ``BZS_REPRO_DATA_MIRROR``).
    """

    def __init__(
        self,
        registry_file: Path | None = None,
        lock_file: Path | None = None,
        cache_dir: Path | None = None,
        mirror_dir: Path | None = None,
        timeout_s: float = 30.0,
    ):
        self.registry_file = Path(registry_file or data_dir() / "registry.toml")
        self.lock_file = Path(lock_file or os.environ.get(LOCK_ENV) or data_dir() / "registry.lock")
        self.cache_dir = Path(cache_dir or os.environ.get(CACHE_ENV) or pooch.os_cache("bzs-repro"))
        mirror = mirror_dir or os.environ.get(MIRROR_ENV)
        self.mirror_dir = Path(mirror) if mirror else None
        self.bundled_dir = self.registry_file.parent / "bundled"
        self.timeout_s = timeout_s
        spec = tomllib.loads(self.registry_file.read_text())
        template = spec["source"]["url_template"]
        self.artifacts: dict[str, Artifact] = {}
        for name, item in spec["artifacts"].items():
            unknown = set(item) - {"path", "commit", "size", "description", "mirrored", "bundled"}
            if unknown:
                msg = f"{self.registry_file}: artifact {name!r} has unknown keys {sorted(unknown)}"
                raise ValueError(msg)
            self.artifacts[name] = Artifact(
                name=name,
                path=item["path"],
                commit=item["commit"],
                url=template.format(commit=item["commit"], path=item["path"]),
                size=item.get("size"),
                description=item.get("description", ""),
                mirrored=item.get("mirrored", False),
                bundled=item.get("bundled", False),
            )

    # -- lock ---------------------------------------------------------------------------
    @property
    def first_use_file(self) -> Path:
        """Hashes of files first seen on this machine (not in the committed lock): kept in the
        user's cache, never in the repository; such files are reported as unverified."""
        return self.cache_dir / "first-use.lock"

    @staticmethod
    def _read_toml(path: Path) -> dict[str, dict]:
        if not path.is_file():
            return {}
        try:
            return tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            msg = f"{path}: malformed lock file ({err})"
            raise ValueError(msg) from err

    def read_lock(self) -> dict[str, dict]:
        """The committed lock, completed by this machine's first-use hashes (committed wins)."""
        return {**self._read_toml(self.first_use_file), **self._read_toml(self.lock_file)}

    def trust(self, name: str) -> str:
        """'locked' (the committed lock pins it), 'first use' (unverified), or 'none'."""
        if self._read_toml(self.lock_file).get(name, {}).get("sha256"):
            return "locked"
        return "first use" if self._read_toml(self.first_use_file).get(name) else "none"

    def trust_of_digest(self, digest: str) -> str:
        """As :meth:`trust`, for a file's sha256."""
        for name, entry in self._read_toml(self.lock_file).items():
            if entry.get("sha256") == digest:
                return f"locked ({name})"
        for name, entry in self._read_toml(self.first_use_file).items():
            if entry.get("sha256") == digest:
                return f"UNVERIFIED: first use of {name}, not in the committed lock"
        return "not a registry file"

    def _record(self, art: Artifact, digest: str, size: int, origin: str) -> None:
        """Record a first-use hash in the user's cache (the committed lock is never written)."""
        lock = self._read_toml(self.first_use_file)
        lock[art.name] = {
            "path": art.path,
            "commit": art.commit,
            "size": size,
            "sha256": digest,
            "origin": origin,
            "recorded": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        log.warning(
            "%s: no sha256 in %s; first-use hash %s kept in %s (reported as unverified)",
            art.name,
            self.lock_file,
            digest,
            self.first_use_file,
        )
        self.first_use_file.parent.mkdir(parents=True, exist_ok=True)
        _write_lock(self.first_use_file, lock)

    # -- lookup -------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Artifact:
        try:
            return self.artifacts[name]
        except KeyError:
            known = ", ".join(sorted(self.artifacts))
            msg = f"unknown registry file {name!r}; known: {known}"
            raise KeyError(msg) from None

    def cached_path(self, name: str) -> Path:
        return self.cache_dir / self[name].path

    def _check(self, art: Artifact, path: Path) -> str:
        """Return the sha256 of ``path`` or raise ChecksumError (size, then locked hash)."""
        size = path.stat().st_size
        if art.size is not None and size != art.size:
            msg = f"{art.name}: {path} has {size} bytes, the registry pins {art.size} ({art.url})"
            raise ChecksumError(msg)
        digest = sha256sum(path)
        locked = self.read_lock().get(art.name, {}).get("sha256")
        if locked and digest != locked:
            msg = (
                f"{art.name}: sha256 of {path} is {digest}, the lock {self.lock_file} "
                f"records {locked}; refusing to use it"
            )
            raise ChecksumError(msg)
        return digest

    def _lock_if_new(self, art: Artifact, path: Path, digest: str, origin: str) -> None:
        if not self.read_lock().get(art.name, {}).get("sha256"):
            self._record(art, digest, path.stat().st_size, origin)

    def local_copy(self, name: str) -> Path | None:
        """A verified copy already on this machine (cache, mirror, bundled copy), or None."""
        art = self[name]
        cached = self.cached_path(name)
        if cached.is_file():
            try:
                self._lock_if_new(art, cached, self._check(art, cached), "download")
            except ChecksumError:
                cached.unlink()  # a corrupted or tampered cache entry is never used
            else:
                return cached
        if self.mirror_dir is not None:
            mirrored = self.mirror_dir / art.path
            if mirrored.is_file():
                digest = self._check(art, mirrored)  # a bad mirror copy is refused, not deleted
                self._lock_if_new(art, mirrored, digest, f"offline mirror {self.mirror_dir}")
                return mirrored
        if art.bundled:
            bundled = self.bundled_dir / art.path
            if not self.read_lock().get(name, {}).get("sha256"):
                raise ChecksumError(f"{name}: a bundled copy needs a sha256 in {self.lock_file}")
            if bundled.is_file():
                self._check(art, bundled)
                return bundled
        return None

    def fetch(self, name: str, progressbar: bool | None = None) -> Path:
        """Path to a verified copy of registry file ``name`` (downloading it if needed)."""
        art = self[name]
        local = self.local_copy(name)
        if local is not None:
            return local
        locked = self.read_lock().get(name, {}).get("sha256")
        target = self.cached_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if progressbar is None:
            progressbar = sys.stderr.isatty()
        try:
            # pooch streams into a temporary file and moves it into place only when the
            # transfer completed and the hash matched: no partial file is ever left behind.
            pooch.retrieve(
                art.url,
                known_hash=f"sha256:{locked}" if locked else None,
                fname=target.name,
                path=target.parent,
                progressbar=progressbar,
                downloader=pooch.HTTPDownloader(timeout=self.timeout_s, progressbar=progressbar),
            )
        except ValueError as err:  # pooch: hash mismatch
            target.unlink(missing_ok=True)
            msg = f"{name}: download from {art.url} does not match the locked sha256 ({err})"
            raise ChecksumError(msg) from err
        except Exception as err:
            target.unlink(missing_ok=True)
            mirror = self.mirror_dir or f"unset (set {MIRROR_ENV})"
            msg = (
                f"cannot obtain {name!r} ({art.path}): download from {art.url} failed "
                f"({type(err).__name__}: {err}), it is not in the cache {self.cache_dir}, "
                f"and not in the offline mirror {mirror}. Set {MIRROR_ENV} to a folder "
                f"with the repository's layout, or run where the URL is reachable."
            )
            raise DataUnavailableError(msg) from err
        try:
            digest = self._check(art, target)
        except ChecksumError:
            target.unlink(missing_ok=True)
            raise
        self._lock_if_new(art, target, digest, "download")
        return target

    def available(self, name: str) -> bool:
        """True if ``name`` is cached or mirrored (no network access)."""
        try:
            return self.local_copy(name) is not None
        except ChecksumError:
            return False

    def status(self) -> list[dict]:
        """One row per artifact: name, path, size, where a verified copy is, locked hash."""
        lock = self.read_lock()
        rows = []
        for name, art in self.artifacts.items():
            try:
                local = self.local_copy(name)
                where = str(local) if local else "-"
            except ChecksumError as err:
                where = f"REFUSED: {err}"
            rows.append(
                {
                    "name": name,
                    "path": art.path,
                    "size": art.size,
                    "local": where,
                    "sha256": lock.get(name, {}).get("sha256", ""),
                }
            )
        return rows


@cache
def default_registry() -> Registry:
    return Registry()


def fetch(name: str) -> Path:
    """Verified local path of registry file ``name`` (see :class:`Registry`)."""
    return default_registry().fetch(name)
