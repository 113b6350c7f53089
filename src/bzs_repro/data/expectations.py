"""Stored expectations: every number a pipeline checks, with unit, tolerance and source.

data/expectations.toml holds ``[[expectation]]`` tables validated against :class:`Expectation`
(unknown keys are errors). An expectation is either a *paper* value with a tolerance, or a
*bound* (``min``/``max``) that the project itself asserts (e.g. an amorphous density between
80 % and 100 % of the crystal), or a *recorded* value of this project (surrogate mode).
The id's first component is the target (``fig2.density_g_cm3`` belongs to target ``fig2``).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bzs_repro.paths import data_dir

Scale = Literal["smoke", "reduced", "paper"]
DataMode = Literal["paper", "surrogate"]


class Tolerance(BaseModel):
    """Absolute (in the expectation's unit) or relative (fraction) tolerance."""

    model_config = ConfigDict(extra="forbid")
    abs: float | None = Field(default=None, ge=0)
    rel: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_of(self) -> Tolerance:
        if (self.abs is None) == (self.rel is None):
            msg = "tolerance needs exactly one of 'abs' or 'rel'"
            raise ValueError(msg)
        return self

    def width(self, value: float) -> float:
        return self.abs if self.abs is not None else self.rel * abs(value)

    def __str__(self) -> str:
        return f"± {self.abs:g}" if self.abs is not None else f"± {100 * self.rel:g} %"


class Expectation(BaseModel):
    """One checked number."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9]+(\.[A-Za-z0-9_\-]+)+(:[A-Za-z0-9_\-]+)?$")
    quantity: str
    unit: str
    kind: Literal["paper", "bound", "recorded"]
    value: float | None = None
    tolerance: Tolerance | None = None
    min: float | None = None
    max: float | None = None
    justification: str = Field(min_length=3)
    source: str = Field(min_length=3)
    data: list[DataMode] = Field(min_length=1)
    scales: list[Scale] = Field(min_length=1)
    note: str = ""
    # A disagreement this project has traced to the paper's own sources (e.g. its text vs the
    # authors' published file): a failing check is then reported as DISAGREES with this text,
    # never as PASS, and it does not fail the run.
    discrepancy: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Expectation:
        has_value = self.value is not None and self.tolerance is not None
        has_bound = self.min is not None or self.max is not None
        if self.kind in ("paper", "recorded") and not has_value:
            msg = f"{self.id}: kind={self.kind!r} needs 'value' and 'tolerance'"
            raise ValueError(msg)
        if self.kind == "bound" and (not has_bound or self.value is not None):
            msg = f"{self.id}: kind='bound' needs 'min' and/or 'max' and no 'value'"
            raise ValueError(msg)
        if self.min is not None and self.max is not None and self.min > self.max:
            msg = f"{self.id}: min > max"
            raise ValueError(msg)
        return self

    @property
    def key(self) -> str:
        """The numbers.json key this row checks (the id without its ':variant')."""
        return self.id.split(":", 1)[0]

    @property
    def target(self) -> str:
        return self.id.split(".", 1)[0]

    def applies_to(self, data: str, scale: str) -> bool:
        return data in self.data and scale in self.scales

    def check(self, x: float) -> bool:
        """True if the reproduced value ``x`` satisfies this expectation."""
        if x is None or not math.isfinite(x):
            return False
        if self.kind == "bound":
            return (self.min is None or x >= self.min) and (self.max is None or x <= self.max)
        return abs(x - self.value) <= self.tolerance.width(self.value) * (1 + 1e-12)

    def expected_text(self) -> str:
        if self.kind == "bound":
            lo = "-inf" if self.min is None else f"{self.min:g}"
            hi = "inf" if self.max is None else f"{self.max:g}"
            return f"[{lo}, {hi}]"
        return f"{self.value:g} {self.tolerance}"


class ExpectationsError(ValueError):
    """data/expectations.toml does not follow the schema."""


def load_expectations(path: Path | None = None) -> list[Expectation]:
    """Read and validate the expectations file; ids must be unique."""
    path = Path(path or data_dir() / "expectations.toml")
    raw = tomllib.loads(path.read_text())
    unknown = set(raw) - {"expectation"}
    if unknown:
        msg = f"{path}: unknown top-level keys {sorted(unknown)} (expected [[expectation]])"
        raise ExpectationsError(msg)
    out: list[Expectation] = []
    for i, item in enumerate(raw.get("expectation", [])):
        try:
            out.append(Expectation(**item))
        except ValidationError as err:
            ident = item.get("id", f"entry #{i + 1}")
            msg = f"{path}: expectation {ident}: {err}"
            raise ExpectationsError(msg) from err
    ids = [e.id for e in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        msg = f"{path}: duplicate expectation ids {dupes}"
        raise ExpectationsError(msg)
    return out
