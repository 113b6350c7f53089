"""Paper artifacts (registry with lock file and offline mirror) and stored expectations."""

from bzs_repro.data.expectations import Expectation, load_expectations
from bzs_repro.data.registry import (
    Artifact,
    ChecksumError,
    DataUnavailableError,
    Registry,
    default_registry,
    fetch,
)

__all__ = [
    "Artifact",
    "ChecksumError",
    "DataUnavailableError",
    "Expectation",
    "Registry",
    "default_registry",
    "fetch",
    "load_expectations",
]
