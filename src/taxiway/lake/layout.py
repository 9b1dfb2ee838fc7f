"""Where things live under a storage root (``./data`` locally).

::

    <root>/landing/topics/<topic>/year=YYYY/month=MM/day=DD/hour=HH/<topic>+<part>+<offset:010d>.json.gz
    <root>/curated/events/event_date=YYYY-MM-DD/landing_hour=YYYY-MM-DDTHH.parquet
                                                                   one file per (date, landing hour)
    <root>/quarantine/landing_hour=YYYY-MM-DDTHH.parquet          one file per landing hour
    <root>/manifests/runs/<run_id>.json                            one per run
    <root>/manifests/hours/YYYY-MM-DDTHH.json                      latest run's counts for that hour
    <root>/manifests/journal/<run_id>.json                         a publish in progress (redo log)
    <root>/.lake.lock                                              the lake lock (flock)
    <root>/reports/<report>/data.parquet
    <root>/warehouse.duckdb                                        the local catalog
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from taxiway.errors import UsageError

_HOUR = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})$")
DATA_FILE = "data.parquet"


def parse_hour(text: str) -> datetime:
    """``2026-11-23T05`` -> aware UTC datetime at the top of that hour."""
    m = _HOUR.match(text.strip())
    if not m:
        raise UsageError(f"Hour `{text}` is not of the form YYYY-MM-DDTHH (e.g. 2026-11-23T05).")
    y, mo, d, h = (int(g) for g in m.groups())
    try:
        return datetime(y, mo, d, h, tzinfo=UTC)
    except ValueError as exc:
        raise UsageError(f"Hour `{text}` is not a valid date and hour: {exc}.") from exc


def format_hour(hour: datetime) -> str:
    return hour.astimezone(UTC).strftime("%Y-%m-%dT%H")


def hour_range(start: datetime, end: datetime) -> list[datetime]:
    """Inclusive hourly range; raises when end is before start."""
    if end < start:
        raise UsageError(f"`--to {format_hour(end)}` is before `--from {format_hour(start)}`.")
    hours = []
    h = start
    while h <= end:
        hours.append(h)
        h += timedelta(hours=1)
    return hours


@dataclass(frozen=True)
class Lake:
    """Paths under one storage root for one topic."""

    root: Path
    topic: str = "events"

    def landing_hour_dir(self, hour: datetime) -> Path:
        h = hour.astimezone(UTC)
        return (
            self.root
            / "landing"
            / "topics"
            / self.topic
            / f"year={h:%Y}"
            / f"month={h:%m}"
            / f"day={h:%d}"
            / f"hour={h:%H}"
        )

    def landing_file(self, hour: datetime, partition: int, offset: int, gz: bool = True) -> Path:
        suffix = ".json.gz" if gz else ".json"
        return self.landing_hour_dir(hour) / f"{self.topic}+{partition}+{offset:010d}{suffix}"

    def landing_files(self, hour: datetime) -> list[Path]:
        """The hour's input files (``.json.gz`` and ``.json``), sorted by name."""
        folder = self.landing_hour_dir(hour)
        if not folder.is_dir():
            return []
        return sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and (p.name.endswith(".json.gz") or p.name.endswith(".json"))
        )

    @property
    def events_dir(self) -> Path:
        return self.root / "curated" / "events"

    def partition_dir(self, event_date: date) -> Path:
        return self.events_dir / f"event_date={event_date.isoformat()}"

    def partition_file(self, event_date: date, hour: datetime) -> Path:
        """Rows of ``event_date`` that arrived in landing hour ``hour``.

        One file per (date, hour) means an hourly run rewrites only its own files, and a
        rerun of an hour replaces exactly what the previous run of that hour wrote.
        """
        return self.partition_dir(event_date) / f"landing_hour={format_hour(hour)}.parquet"

    def partition_files(self, event_date: date | None = None) -> list[Path]:
        pattern = f"event_date={event_date.isoformat()}" if event_date else "event_date=*"
        return sorted(self.events_dir.glob(f"{pattern}/landing_hour=*.parquet"))

    def hour_files(self, hour: datetime) -> list[Path]:
        """Every curated file that landing hour ``hour`` contributed (in any event_date)."""
        return sorted(
            self.events_dir.glob(f"event_date=*/landing_hour={format_hour(hour)}.parquet")
        )

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    def quarantine_file(self, hour: datetime) -> Path:
        return self.quarantine_dir / f"landing_hour={format_hour(hour)}.parquet"

    def quarantine_files(self) -> list[Path]:
        return sorted(self.quarantine_dir.glob("landing_hour=*.parquet"))

    @property
    def runs_dir(self) -> Path:
        return self.root / "manifests" / "runs"

    @property
    def hours_dir(self) -> Path:
        return self.root / "manifests" / "hours"

    def hour_manifest(self, hour: datetime) -> Path:
        return self.hours_dir / f"{format_hour(hour)}.json"

    @property
    def journal_dir(self) -> Path:
        return self.root / "manifests" / "journal"

    @property
    def lock_file(self) -> Path:
        from taxiway.lake.lock import LOCK_NAME

        return self.root / LOCK_NAME

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def ground_truth(self) -> Path:
        return self.root / "ground_truth.json"
