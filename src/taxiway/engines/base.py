"""The engine seam: the pipeline decides what to curate; an engine does it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from taxiway.errors import DataError

if TYPE_CHECKING:
    from taxiway.lake.layout import Lake
    from taxiway.lake.publish import Publisher


class EngineError(DataError):
    """An engine failed on a file or a landing hour (a DuckDB, Spark or file-system error);
    the message names the file or the hours and says what to check."""


@dataclass(frozen=True)
class CurateRequest:
    """One curate run: which landing hours and files, which partitions earlier runs touched."""

    run_id: str
    hours: list[datetime]
    files: dict[datetime, list[Path]]  # landing hour -> input files
    late_event_lookback_days: int


@dataclass
class HourCounts:
    """Counts for one landing hour; input = curated_new + duplicates + quarantined."""

    input_records: int = 0
    curated_new: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    event_dates: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.input_records == self.curated_new + self.duplicates + self.quarantined


@dataclass
class CurateResult:
    """What an engine did: counts per hour and the partitions it staged or removed."""

    hours: dict[datetime, HourCounts]
    written: list[Path]  # final paths of the staged partition files
    removed: list[Path]  # partition files an earlier run of these hours wrote, now empty
    new_rows_per_date: dict[str, int]


class Engine(Protocol):
    """What the curate pipeline needs from an engine."""

    dialect: str

    def curate(self, request: CurateRequest, lake: Lake, publisher: Publisher) -> CurateResult:
        """Validate, type and dedupe the input; stage partitions and quarantine files."""
        ...
