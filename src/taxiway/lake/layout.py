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

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from taxiway.lake import contract

# the hour rules are the shared contract's (the EMR job ships the same module)
parse_hour = contract.parse_hour
format_hour = contract.format_hour
hour_range = contract.hour_range
DATA_FILE = "data.parquet"


@dataclass(frozen=True)
class Lake:
    """Paths under one storage root for one topic."""

    root: Path
    topic: str = "events"

    def landing_hour_dir(self, hour: datetime) -> Path:
        return self.root / contract.landing_dir(self.topic, hour)

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
        return self.root / contract.EVENTS_DIR

    def partition_dir(self, event_date: date) -> Path:
        return self.root / contract.partition_dir(event_date)

    def partition_file(self, event_date: date, hour: datetime) -> Path:
        """Rows of ``event_date`` that arrived in landing hour ``hour``.

        One file per (date, hour) means an hourly run rewrites only its own files, and a
        rerun of an hour replaces exactly what the previous run of that hour wrote.
        """
        return self.root / contract.partition_file(event_date, hour)

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
        return self.root / contract.QUARANTINE_DIR

    def quarantine_file(self, hour: datetime) -> Path:
        return self.root / contract.quarantine_file(hour)

    def quarantine_files(self) -> list[Path]:
        return sorted(self.quarantine_dir.glob("landing_hour=*.parquet"))

    @property
    def runs_dir(self) -> Path:
        return self.root / contract.RUNS_DIR

    @property
    def hours_dir(self) -> Path:
        return self.root / contract.HOURS_DIR

    def hour_manifest(self, hour: datetime) -> Path:
        return self.root / contract.hour_manifest(format_hour(hour))

    @property
    def journal_dir(self) -> Path:
        return self.root / contract.JOURNAL_DIR

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
