"""DuckDBEngine: the local curate engine (DuckDB in-process, Parquet out)."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from taxiway.engines.base import CurateRequest, CurateResult, HourCounts
from taxiway.engines.curate_sql import classify_sql, detail_sql, typed_columns
from taxiway.errors import MissingDependencyError
from taxiway.events.contract import CURATED_COLUMNS, QUARANTINE_COLUMNS
from taxiway.lake.layout import format_hour

if TYPE_CHECKING:
    from taxiway.lake.layout import Lake
    from taxiway.lake.publish import Publisher

_EVENT_COLS = ", ".join(name for name, _ in CURATED_COLUMNS)
_PARQUET = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"


def connect(database: str = ":memory:", threads: int | None = None) -> Any:
    """A DuckDB connection in UTC; raises the install command when duckdb is missing."""
    try:
        import duckdb
    except ImportError as exc:  # the `pipeline` extra is not installed
        raise MissingDependencyError("duckdb", "pipeline") from exc
    con = duckdb.connect(database)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class DuckDBEngine:
    """Validate, type, dedupe and stage partitions with DuckDB."""

    dialect = "duckdb"

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or os.cpu_count() or 2

    def curate(self, request: CurateRequest, lake: Lake, publisher: Publisher) -> CurateResult:
        from taxiway.engines.landing import read_landing

        con = connect(threads=self.threads)
        raw, rejects = read_landing(request.files, root=lake.root, threads=self.threads)
        con.register("raw_lines", raw)
        lookback = request.late_event_lookback_days
        # one pass: the reason (NULL = valid) and the typed columns; raw text stays behind
        con.execute(
            f"""CREATE TEMP TABLE classified AS
            SELECT reason, line_number, {typed_columns()} FROM ({classify_sql(lookback)})"""
        )
        run_dates = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT event_date FROM classified WHERE reason IS NULL"
            ).fetchall()
        ]
        run_hours = {format_hour(h) for h in request.hours}
        # what other landing hours already curated for these dates is kept and deduplicated
        # against; what earlier runs of *these* hours wrote is replaced (idempotent reruns)
        others = [
            p
            for d in run_dates
            for p in lake.partition_files(d)
            if p.stem.removeprefix("landing_hour=") not in run_hours
        ]
        if others:
            files = ", ".join(_lit(str(p)) for p in others)
            con.execute(
                f"""CREATE TEMP TABLE kept AS SELECT event_id, event_date
                FROM read_parquet([{files}])"""
            )
        else:
            con.execute("CREATE TEMP TABLE kept (event_id VARCHAR, event_date DATE)")
        # One materialisation for dedupe + anti-join + sort. First occurrence wins: earliest
        # landing hour, then file, then line. Only ids whose hash repeats need the window.
        con.execute(
            f"""CREATE TEMP TABLE new_rows AS
            WITH v AS (SELECT * EXCLUDE (reason) FROM classified WHERE reason IS NULL),
            rep AS (SELECT h FROM (SELECT hash(event_id) AS h FROM v)
                    GROUP BY 1 HAVING count(*) > 1),
            later AS (SELECT source_file, line_number FROM (
                SELECT source_file, line_number, row_number() OVER (
                    PARTITION BY event_id ORDER BY landing_hour, source_file, line_number) AS rn
                FROM v WHERE hash(event_id) IN (SELECT h FROM rep)) WHERE rn > 1)
            SELECT {_EVENT_COLS} FROM v
            WHERE NOT EXISTS (SELECT 1 FROM later l
                              WHERE l.source_file = v.source_file
                                AND l.line_number = v.line_number)
              AND NOT EXISTS (SELECT 1 FROM kept k
                              WHERE k.event_id = v.event_id AND k.event_date = v.event_date)
            ORDER BY event_date, landing_hour"""
        )
        groups = con.execute(
            "SELECT event_date, landing_hour, count(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        written = set()
        for d, hour, _n in groups:
            final = lake.partition_file(d, hour)
            written.add(final)
            con.execute(
                f"""COPY (SELECT * FROM new_rows WHERE event_date = DATE '{d}'
                    AND landing_hour = TIMESTAMP '{hour:%Y-%m-%d %H}:00:00')
                TO {_lit(str(publisher.stage(final)))} {_PARQUET}"""
            )
        removed = [p for h in request.hours for p in lake.hour_files(h) if p not in written]
        for path in removed:
            publisher.stage_removal(path)
        self._stage_quarantine(con, request, rejects, lake, publisher)
        counts = self._counts(con, request, rejects)
        return CurateResult(
            hours=counts,
            written=sorted(written),
            removed=removed,
            new_rows_per_date={
                d.isoformat(): sum(n for dd, _h, n in groups if dd == d)
                for d in sorted({g[0] for g in groups})
            },
        )

    def _stage_quarantine(
        self, con: Any, request: CurateRequest, rejects: list[Any], lake: Lake, publisher: Publisher
    ) -> None:
        cols = ", ".join(f"{n} {t}" for n, t in QUARANTINE_COLUMNS)
        con.execute(f"CREATE TEMP TABLE quarantine ({cols})")
        # rejects are few: re-classify just their raw lines to explain each one
        lookback = request.late_event_lookback_days
        con.execute(
            """CREATE TEMP TABLE rejected_lines AS SELECT r.* FROM raw_lines r
            SEMI JOIN (SELECT source_file, line_number FROM classified WHERE reason IS NOT NULL) c
            USING (source_file, line_number)"""
        )
        con.execute(
            f"""INSERT INTO quarantine
            SELECT landing_hour, source_file, line_number, rtrim(raw, chr(10) || chr(13)),
                   reason, {detail_sql(lookback)}, {_lit(request.run_id)}
            FROM ({classify_sql(lookback, "rejected_lines")})"""
        )
        for r in rejects:
            con.execute(
                "INSERT INTO quarantine VALUES (?, ?, NULL, NULL, 'corrupt-file', ?, ?)",
                [r.landing_hour.replace(tzinfo=None), r.source_file, r.detail, request.run_id],
            )
        for hour in request.hours:
            path = publisher.stage(lake.quarantine_file(hour))
            con.execute(
                f"""COPY (SELECT * FROM quarantine
                    WHERE landing_hour = TIMESTAMP '{hour:%Y-%m-%d %H}:00:00'
                    ORDER BY source_file, line_number) TO {_lit(str(path))} {_PARQUET}"""
            )

    def _counts(
        self, con: Any, request: CurateRequest, rejects: list[Any]
    ) -> dict[datetime, HourCounts]:
        by_hour: dict[datetime, HourCounts] = {h: HourCounts() for h in request.hours}
        key = {h.replace(tzinfo=None): h for h in request.hours}

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return list(con.execute(sql).fetchall())

        for hour, n in rows("SELECT landing_hour, count(*) FROM raw_lines GROUP BY 1"):
            by_hour[key[hour]].input_records += n
        for r in rejects:
            by_hour[key[r.landing_hour.replace(tzinfo=None)]].input_records += 1
        for hour, n in rows("SELECT landing_hour, count(*) FROM new_rows GROUP BY 1"):
            by_hour[key[hour]].curated_new = n
        valid = dict(
            rows("SELECT landing_hour, count(*) FROM classified WHERE reason IS NULL GROUP BY 1")
        )
        for hour, counts in by_hour.items():
            counts.duplicates = valid.get(hour.replace(tzinfo=None), 0) - counts.curated_new
        reasons: dict[datetime, dict[str, int]] = defaultdict(dict)
        for hour, reason, n in rows(
            "SELECT landing_hour, reason, count(*) FROM quarantine GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            reasons[key[hour]][reason] = n
        dates: dict[datetime, list[str]] = defaultdict(list)
        for hour, d in rows("SELECT DISTINCT landing_hour, event_date FROM new_rows ORDER BY 1, 2"):
            dates[key[hour]].append(d.isoformat() if isinstance(d, date) else str(d))
        for hour, counts in by_hour.items():
            counts.quarantined_by_reason = reasons.get(hour, {})
            counts.quarantined = sum(counts.quarantined_by_reason.values())
            counts.event_dates = dates.get(hour, [])
        return by_hour
