"""Stored expectations: every number a pipeline checks, with unit, tolerance and source.

data/expectations.toml (the paper's numbers, bounds, experiment, inputs) and
data/expectations_recorded.toml (this project's recorded smoke-scale values, written by
``bzs-repro record``) hold ``[[expectation]]`` tables validated against
:class:`Expectation` (unknown keys are errors). Kinds:

- ``paper``: a number printed in the paper (value + tolerance);
- ``bound``: a physical or protocol bound this project asserts (``min``/``max``);
- ``recorded``: this project's own value at a scale (mean of seeds, tolerance from their
  scatter): a regression check of the software, never the paper's number;
- ``experiment``: an experimental value the paper compares with (shown with the difference,
  never PASS/FAIL);
- ``input``: a property of an input file (already fixed by its sha256): listed as verified,
  not a reproduced number.

``known``: what a disagreeing source really holds, pinned (value + tolerance, data modes,
status DISAGREES or KNOWN LIMIT, reason): a failing value that matches it gets that status,
anything else is FAIL. ``surrogate_derived``: the number comes from the surrogate whatever the
data mode (status SURROGATE, never PASS). ``needs``: an input that is public nowhere; without it
the number is UNAVAILABLE rather than NOT RUN. ``engines``: the engines whose runs the row
applies to (recorded rows: the engine of their seeds; empty: every engine).
The id's first component is the target (``fig2.density_g_cm3`` belongs to target ``fig2``).
"""

from __future__ import annotations

import functools
import math
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bzs_repro.paths import data_dir

Scale = Literal["smoke", "reduced", "paper"]
DataMode = Literal["paper", "surrogate"]


FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=True)]


class Tolerance(BaseModel):
    """Absolute (in the expectation's unit) or relative (fraction) tolerance."""

    model_config = ConfigDict(extra="forbid")
    abs: FiniteFloat | None = Field(default=None, ge=0)
    rel: FiniteFloat | None = Field(default=None, ge=0, le=1)

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


class Known(BaseModel):
    """What a disagreeing source holds, pinned: a failing value within ``tolerance`` of ``value``
    is reported as ``status`` with ``reason``; any other failing value is FAIL."""

    model_config = ConfigDict(extra="forbid")
    value: FiniteFloat
    tolerance: Tolerance
    status: Literal["DISAGREES", "KNOWN LIMIT"]
    reason: str = Field(min_length=10)
    data: list[DataMode] = Field(min_length=1)

    def matches(self, x: float) -> bool:
        return abs(x - self.value) <= self.tolerance.width(self.value) * (1 + 1e-12)


class Expectation(BaseModel):
    """One checked number."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9]+(\.[A-Za-z0-9_\-]+)+(:[A-Za-z0-9_\-]+)?$")
    quantity: str
    unit: str
    kind: Literal["paper", "bound", "recorded", "experiment", "input"]
    value: FiniteFloat | None = None
    tolerance: Tolerance | None = None
    min: FiniteFloat | None = None
    max: FiniteFloat | None = None
    justification: str = Field(min_length=3)
    source: str = Field(min_length=3)
    data: list[DataMode] = Field(min_length=1)
    scales: list[Scale] = Field(min_length=1)
    note: str = ""
    known: list[Known] = Field(default_factory=list)
    surrogate_derived: bool = False
    needs: str = ""
    engines: list[Literal["ase", "lammps"]] = Field(default_factory=list)  # empty: every engine

    @model_validator(mode="after")
    def _consistent(self) -> Expectation:
        has_value = self.value is not None and self.tolerance is not None
        has_bound = self.min is not None or self.max is not None
        if self.kind in ("experiment", "input") and self.known:
            msg = f"{self.id}: kind={self.kind!r} takes no 'known' entries"
            raise ValueError(msg)
        if self.kind in ("paper", "recorded", "experiment", "input") and not has_value:
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

    def known_for(self, data: str) -> list[Known]:
        """The pinned disagreements that apply to data mode ``data``."""
        return [k for k in self.known if data in k.data]

    def check(self, x: float) -> bool:
        """True if the reproduced value ``x`` satisfies this expectation."""
        if x is None or isinstance(x, bool) or not math.isfinite(x):
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


EXPECTATION_FILES = ("expectations.toml", "expectations_recorded.toml")


def _short(err: ValidationError) -> str:
    """One line per validation error: 'field: message'."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in err.errors()
    )


def _read_file(path: Path) -> list[Expectation]:
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as err:
        msg = f"{path}: cannot read the expectations file ({err.strerror or err})"
        raise ExpectationsError(msg) from err
    except tomllib.TOMLDecodeError as err:
        msg = f"{path}: not valid TOML ({err})"
        raise ExpectationsError(msg) from err
    unknown = set(raw) - {"expectation"}
    if unknown:
        msg = f"{path}: unknown top-level keys {sorted(unknown)} (expected [[expectation]])"
        raise ExpectationsError(msg)
    items = raw.get("expectation", [])
    if not isinstance(items, list) or not items:
        msg = f"{path}: no [[expectation]] tables: nothing would be checked"
        raise ExpectationsError(msg)
    out: list[Expectation] = []
    for i, item in enumerate(items):
        try:
            out.append(Expectation(**item))
        except ValidationError as err:
            ident = item.get("id", f"entry #{i + 1}")
            msg = f"{path}: expectation {ident}: {_short(err)}"
            raise ExpectationsError(msg) from err
    return out


def load_expectations(path: Path | None = None) -> list[Expectation]:
    """Read and validate the expectations (``path``, or the project's files in data/); ids
    must be unique."""
    paths = [Path(path)] if path else [data_dir() / f for f in EXPECTATION_FILES]
    paths = [p for p in paths if path or p.is_file() or p.name == EXPECTATION_FILES[0]]
    out: list[Expectation] = []
    for p in paths:
        out += _read_file(p)
    ids = [e.id for e in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        msg = f"{', '.join(map(str, paths))}: duplicate expectation ids {dupes}"
        raise ExpectationsError(msg)
    return out


@functools.lru_cache(maxsize=1)
def _by_id() -> dict[str, Expectation]:
    return {e.id: e for e in load_expectations()}


def paper_value(ident: str) -> float:
    """The stored value of expectation ``ident`` (a paper or experiment number): pipelines
    quote the paper in their notes and tables from here, so that each printed number of the
    paper is written once, in data/expectations.toml."""
    try:
        exp = _by_id()[ident]
    except KeyError:
        msg = f"no expectation {ident!r} in data/expectations.toml"
        raise KeyError(msg) from None
    if exp.value is None:
        msg = f"expectation {ident!r} holds no single value (kind {exp.kind})"
        raise ValueError(msg)
    return float(exp.value)
