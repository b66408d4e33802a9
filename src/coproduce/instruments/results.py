"""Value types of scoring: results, bands, change thresholds and the validation error."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

Number = float | int


class InvalidResponse(ValueError):
    """An answer cannot be accepted; ``link_id`` names the item at fault."""

    def __init__(self, link_id: str, message: str):
        self.link_id = link_id
        self.message = message
        super().__init__(f"{link_id}: {message}")


@dataclass(frozen=True, slots=True)
class ScoreResult:
    instrument_id: str
    version: str
    score: Number | None
    band: str | None = None
    band_label: str | None = None
    flags: tuple[str, ...] = ()
    complete: bool = True
    reason: str | None = None
    derived: dict[str, Any] = field(default_factory=dict)
    item_values: dict[str, Number] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["flags"] = list(self.flags)
        return data


@dataclass(frozen=True, slots=True)
class Band:
    """A severity band: applies while the score is below (or at, if inclusive) ``upper``."""

    code: str
    label: str
    upper: float = math.inf
    inclusive: bool = False

    def holds(self, value: Number) -> bool:
        return value <= self.upper if self.inclusive else value < self.upper


def band_of(bands: tuple[Band, ...], value: Number | None) -> Band | None:
    if value is None or not bands:
        return None
    for band in bands:
        if band.holds(value):
            return band
    return bands[-1]


@dataclass(frozen=True, slots=True)
class Mcid:
    """A published minimal clinically important difference.

    ``points``: an absolute change of at least this many points counts (``strict``: more
    than). ``percent``: a relative change of at least this fraction of the first score.
    When both are given either suffices.
    """

    source: str
    points: float | None = None
    percent: float | None = None
    strict: bool = False
    note: str = ""

    @property
    def description(self) -> str:
        parts = []
        if self.points is not None:
            parts.append(f"{'more than' if self.strict else 'at least'} {self.points:g} points")
        if self.percent is not None:
            parts.append(f"at least {self.percent * 100:g} % of the earlier score")
        return " or ".join(parts)


@dataclass(frozen=True, slots=True)
class Change:
    instrument_id: str
    before: Number | None
    after: Number | None
    difference: Number | None
    percent_change: float | None
    direction: str  # "better" | "worse" | "no important change" | "unknown"
    important: bool
    threshold: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Scorer = Callable[[Any, Mapping[str, Number], Mapping[str, Any]], ScoreResult]


@dataclass(frozen=True)
class Rule:
    """How one instrument is scored, banded and compared over time."""

    scorer: Scorer
    versions: tuple[str, ...]
    bands: tuple[Band, ...] = ()
    mcid: Mcid | None = None
    higher_is_worse: bool = True
    no_mcid_reason: str = "no published threshold"
