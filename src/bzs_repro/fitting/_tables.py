"""Config tables (reproduce/*/config.toml) into the fitting dataclasses, typos rejected."""

from __future__ import annotations


def dataclass_from_table(cls, cfg: dict, what: str):
    """``cls(**cfg)`` with lists turned into tuples.

    Unknown keys are a ValueError naming ``what``.
    """
    known = set(cls.__dataclass_fields__)
    unknown = set(cfg) - known
    if unknown:
        msg = f"unknown {what} keys {sorted(unknown)}; known: {sorted(known)}"
        raise ValueError(msg)
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()})
