"""DuckDBCatalog: ``warehouse.duckdb`` exposing the lake to BI tools and the ``duckdb`` CLI.

Views (always current, absolute paths so the file opens from anywhere):
``events``, ``quarantine``, ``hourly_counts`` (latest run per landing hour), ``runs``.
Tables: the reports, rebuilt by :meth:`DuckDBCatalog.refresh`, also written as Parquet under
``reports/``.

Writes to the warehouse happen under the lake lock (one DuckDB writer per file, and never
while a run publishes); :meth:`DuckDBCatalog.sync` is what every curate calls, with or
without reports. A read-only connection first rolls forward a publish a crashed run had
committed (:func:`taxiway.lake.guard.settle`), so a reader never sees half of a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taxiway.engines.duckdb import connect
from taxiway.events.contract import CURATED_COLUMNS, QUARANTINE_COLUMNS
from taxiway.lake.layout import Lake
from taxiway.sql.literal import literal

_HOUR_COLUMNS = (
    "{landing_hour: 'VARCHAR', run_id: 'VARCHAR', finished_at: 'VARCHAR', "
    "input_records: 'BIGINT', curated_new: 'BIGINT', duplicates: 'BIGINT', "
    "quarantined: 'BIGINT', quarantined_by_reason: 'MAP(VARCHAR, BIGINT)', "
    "event_dates: 'VARCHAR[]'}"
)


def _empty(columns: tuple[tuple[str, str], ...]) -> str:
    return "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in columns) + " LIMIT 0"


class DuckDBCatalog:
    """The local catalog over one lake."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.path = lake.warehouse

    def connect(self, read_only: bool = False) -> Any:
        """A connection to the warehouse; read-only ones see no half-published run."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and self.path.exists():
            import duckdb

            from taxiway.lake.guard import settle

            settle(self.lake)
            con = duckdb.connect(str(self.path), read_only=True)
            con.execute("SET TimeZone = 'UTC'")
            return con
        return connect(str(self.path))

    def register(self, con: Any) -> None:
        """(Re)create the lake views; an empty lake gets empty views with the right columns."""
        root = self.lake.root.resolve()
        events = root / "curated" / "events" / "*" / "*.parquet"
        quarantine = root / "quarantine" / "*.parquet"
        hours = root / "manifests" / "hours" / "*.json"
        runs = root / "manifests" / "runs" / "*.json"
        if self.lake.partition_files():
            sql = f"SELECT * FROM read_parquet({literal(str(events))}, hive_partitioning = false)"
        else:
            sql = _empty(CURATED_COLUMNS)
        con.execute(f"CREATE OR REPLACE VIEW events AS {sql}")
        if self.lake.quarantine_files():
            sql = (
                f"SELECT * FROM read_parquet({literal(str(quarantine))}, hive_partitioning = false)"
            )
        else:
            sql = _empty(QUARANTINE_COLUMNS)
        con.execute(f"CREATE OR REPLACE VIEW quarantine AS {sql}")
        if any(self.lake.hours_dir.glob("*.json")):
            sql = f"""SELECT strptime(landing_hour, '%Y-%m-%dT%H') AS landing_hour, run_id,
                input_records, curated_new, duplicates, quarantined, quarantined_by_reason,
                event_dates, CAST(finished_at AS TIMESTAMPTZ) AS finished_at
                FROM read_json({literal(str(hours))}, columns = {_HOUR_COLUMNS})"""
        else:
            sql = _empty(
                (
                    ("landing_hour", "TIMESTAMP"),
                    ("run_id", "VARCHAR"),
                    ("input_records", "BIGINT"),
                    ("curated_new", "BIGINT"),
                    ("duplicates", "BIGINT"),
                    ("quarantined", "BIGINT"),
                    ("quarantined_by_reason", "MAP(VARCHAR, BIGINT)"),
                    ("event_dates", "VARCHAR[]"),
                    ("finished_at", "TIMESTAMPTZ"),
                )
            )
        con.execute(f"CREATE OR REPLACE VIEW hourly_counts AS {sql}")
        if any(self.lake.runs_dir.glob("*.json")):
            sql = f"""SELECT run_id, engine, CAST(started_at AS TIMESTAMPTZ) AS started_at,
                CAST(finished_at AS TIMESTAMPTZ) AS finished_at,
                totals.input_records, totals.curated_new, totals.duplicates, totals.quarantined
                FROM read_json({literal(str(runs))}, columns = {{run_id: 'VARCHAR',
                engine: 'VARCHAR', started_at: 'VARCHAR', finished_at: 'VARCHAR',
                totals: 'STRUCT(input_records BIGINT, curated_new BIGINT, duplicates BIGINT,
                quarantined BIGINT)'}})"""
        else:
            sql = _empty(
                (
                    ("run_id", "VARCHAR"),
                    ("engine", "VARCHAR"),
                    ("started_at", "TIMESTAMPTZ"),
                    ("finished_at", "TIMESTAMPTZ"),
                    ("input_records", "BIGINT"),
                    ("curated_new", "BIGINT"),
                    ("duplicates", "BIGINT"),
                    ("quarantined", "BIGINT"),
                )
            )
        con.execute(f"CREATE OR REPLACE VIEW runs AS {sql}")

    def sync(self, locked: bool = False) -> None:
        """Create or replace the lake views in the warehouse (under the lake lock).

        ``locked=True``: the caller already holds the lake lock.
        """
        if not locked:
            from taxiway.lake.guard import lake_lock

            with lake_lock(self.lake, "catalog"):
                return self.sync(locked=True)
        con = self.connect()
        try:
            self.register(con)
        finally:
            con.close()

    def refresh(
        self, attribution_window_days: int = 7, only: list[str] | None = None
    ) -> dict[str, int]:
        """Register the lake and rebuild the reports (all, or ``only``); return row counts."""
        from taxiway.lake.guard import lake_lock
        from taxiway.pipeline.reports import build_reports

        with lake_lock(self.lake, "reports"):
            con = self.connect()
            try:
                self.register(con)
                return build_reports(
                    con,
                    str(self.lake.reports_dir),
                    attribution_window_days=attribution_window_days,
                    only=only,
                )
            finally:
                con.close()


def open_catalog(root: Path, topic: str = "events") -> DuckDBCatalog:
    return DuckDBCatalog(Lake(root, topic))
