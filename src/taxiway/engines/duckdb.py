"""DuckDBEngine: the local curate engine (DuckDB in-process, Parquet out).

Hours are curated in batches, in landing-hour order, so memory does not grow with the
number of hours: a batch's lines are read (the next batch is read in the background
while this one is classified), classified once, deduplicated against every event id
that earlier batches of the run curated and against what other landing hours already
published, written, and dropped. Only the event ids of the run's valid lines stay, in
temporary tables under a memory limit, so DuckDB spills them to
``<root>/.duckdb-tmp/<run_id>/`` rather than grow (see ``benchmarks/curate_week.py``).
Temporary tables, not a database file: inserting the ids through a file's write-ahead log
cost about 3x as much CPU.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taxiway.engines.base import CurateRequest, CurateResult, EngineError, HourCounts
from taxiway.engines.curate_sql import classify_sql, detail_sql, typed_columns
from taxiway.errors import MissingDependencyError
from taxiway.events.contract import CURATED_COLUMNS, FUTURE_TOLERANCE_HOURS, QUARANTINE_COLUMNS
from taxiway.lake.layout import format_hour
from taxiway.sql.literal import literal

if TYPE_CHECKING:
    from taxiway.engines.landing import FileReject, LandingFile
    from taxiway.lake.layout import Lake
    from taxiway.lake.publish import Publisher

_PARQUET = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
#: Compressed input bytes per batch (~250k generated events, ~150 MB of Arrow text).
BATCH_BYTES = 16 * 1024 * 1024
#: DuckDB's own memory cap; past it, the run's event ids spill to the temporary folder.
MEMORY_LIMIT = "256MB"
#: The runs' spill folders, under the lake root; readers never glob it.
TMP_DIR = ".duckdb-tmp"
#: A spill folder this old belongs to a run that was killed (a run takes minutes).
STALE_SECONDS = 6 * 3600


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


def _cols(source_file: str) -> str:
    """The curated columns with ``source_file`` computed by the given expression."""
    return ", ".join(
        f"{source_file} AS source_file" if n == "source_file" else n for n, _ in CURATED_COLUMNS
    )


def _ts(hour: datetime) -> str:
    return f"TIMESTAMP '{hour:%Y-%m-%d %H}:00:00'"


def _naive(hour: datetime) -> datetime:
    return hour.astimezone(UTC).replace(tzinfo=None) if hour.tzinfo else hour


def batches(files: list[LandingFile], max_bytes: int = BATCH_BYTES) -> list[list[LandingFile]]:
    """Consecutive whole landing hours, each batch up to ``max_bytes`` of input (or one hour)."""
    out: list[list[LandingFile]] = []
    size = 0
    for hour in sorted({f.hour for f in files}):
        group = [f for f in files if f.hour == hour]
        n = sum(_size(f.path) for f in group)
        if out and size + n <= max_bytes:
            out[-1].extend(group)
            size += n
        else:
            out.append(group)
            size = n
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the reader turns it into a corrupt-file reject


class DuckDBEngine:
    """Validate, type, dedupe and stage partitions with DuckDB."""

    dialect = "duckdb"

    def __init__(
        self,
        threads: int | None = None,
        future_tolerance_hours: int = FUTURE_TOLERANCE_HOURS,
        batch_bytes: int = BATCH_BYTES,
        memory_limit: str = MEMORY_LIMIT,
    ) -> None:
        self.threads = threads or os.cpu_count() or 2
        self.future_tolerance_hours = future_tolerance_hours
        self.batch_bytes = batch_bytes
        self.memory_limit = memory_limit

    def curate(self, request: CurateRequest, lake: Lake, publisher: Publisher) -> CurateResult:
        import duckdb

        from taxiway.engines.landing import LandingFile

        files = [
            LandingFile(seq, hour, path, path.relative_to(lake.root).as_posix())
            for seq, (hour, path) in enumerate(
                (h, p) for h in sorted(request.files) for p in request.files[h]
            )
        ]
        # Spill on the lake's disk, not in /tmp (often RAM): what spills must leave memory.
        # A killed run's folder is removed by a later run once it is surely stale; a live
        # one's never is (a run bypassing the lock must not pull another's folder away).
        work = lake.root / TMP_DIR / request.run_id
        _remove_stale(lake.root / TMP_DIR)
        work.mkdir(parents=True, exist_ok=True)
        run = _Run(self, request, lake, publisher, files)
        try:
            run.con = connect(threads=self.threads)
            run.con.execute(f"SET memory_limit = '{self.memory_limit}'")
            run.con.execute(f"SET temp_directory = {literal(str(work / 'spill'))}")
            run.setup()
            for batch, (table, rejects) in _prefetch(
                batches(files, self.batch_bytes), self.threads
            ):
                run.batch(batch, table, rejects)
            run.empty_hours()
        except duckdb.Error as exc:
            hint = (
                "Check the file it names: a damaged published partition is replaced by "
                "rerunning the landing hour that wrote it; check free space and permissions."
                if isinstance(exc, duckdb.IOException | duckdb.InvalidInputException)
                else "This is a bug: please report it with the hours' input files."
            )
            first = str(exc).strip().splitlines()[0]  # not DuckDB's echo of the SQL
            raise EngineError(
                f"DuckDB failed while curating landing hours `{run.current}`: {first.rstrip('.')}. {hint}"
            ) from exc
        except OSError as exc:
            name = exc.filename or run.current
            raise EngineError(
                f"Could not read or write `{name}` while curating landing hours `{run.current}`: "
                f"{exc.strerror or exc}. Check the path's permissions and free space."
            ) from exc
        finally:
            if run.con is not None:
                run.con.close()
            shutil.rmtree(work, ignore_errors=True)
            with contextlib.suppress(OSError):  # another run's folder is still there
                (lake.root / TMP_DIR).rmdir()
        return run.result()


def _remove_stale(tmp: Path, max_age_s: float = STALE_SECONDS) -> None:
    """Remove the spill folders of runs that were killed (older than ``max_age_s``)."""
    now = time.time()
    for old in tmp.glob("*"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > max_age_s:
                shutil.rmtree(old, ignore_errors=True)


def _prefetch(
    groups: list[list[LandingFile]], threads: int
) -> Iterator[tuple[list[LandingFile], tuple[Any, list[FileReject]]]]:
    """Each batch with its lines; the next batch is read while the caller works on this one."""
    from taxiway.engines.landing import read_files

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[tuple[Any, list[FileReject]]] | None = None
        for i, group in enumerate(groups):
            current = pending.result() if pending else read_files(group, threads)
            pending = (
                pool.submit(read_files, groups[i + 1], threads) if i + 1 < len(groups) else None
            )
            yield group, current
            del current


class _Run:
    """The state of one curate run across its batches."""

    def __init__(
        self,
        engine: DuckDBEngine,
        request: CurateRequest,
        lake: Lake,
        publisher: Publisher,
        files: list[LandingFile],
    ) -> None:
        self.engine = engine
        self.request = request
        self.lake = lake
        self.publisher = publisher
        self.files = files
        self.con: Any = None
        self.current = "-"
        self.counts: dict[datetime, HourCounts] = {h: HourCounts() for h in request.hours}
        self.key = {_naive(h): h for h in request.hours}
        self.run_hours = {format_hour(h) for h in request.hours}
        self.loaded_dates: set[date] = set()
        self.written: set[Path] = set()
        self.per_date: dict[str, int] = {}

    def setup(self) -> None:
        con = self.con
        con.execute("CREATE TEMP TABLE files (file_seq INTEGER, source_file VARCHAR)")
        if self.files:
            con.executemany(
                "INSERT INTO files VALUES (?, ?)", [(f.seq, f.name) for f in self.files]
            )
        # event ids this run curated so far (the first occurrence over the whole run wins)
        con.execute("CREATE TEMP TABLE seen (event_id VARCHAR)")
        # (event_id, event_date) other landing hours published for the run's dates
        con.execute("CREATE TEMP TABLE kept (event_id VARCHAR, event_date DATE)")
        cols = ", ".join(f"{n} {t}" for n, t in QUARANTINE_COLUMNS)
        con.execute(f"CREATE TEMP TABLE quarantine ({cols})")

    def batch(self, batch: list[LandingFile], table: Any, rejects: list[FileReject]) -> None:
        """Classify, dedupe and stage one batch of whole landing hours."""
        con = self.con
        hours = sorted({f.hour for f in batch})
        self.current = format_hour(hours[0]) + (
            f"..{format_hour(hours[-1])}" if len(hours) > 1 else ""
        )
        lookback = self.request.late_event_lookback_days
        future = self.engine.future_tolerance_hours
        con.register("batch_lines", table)
        # the one pass over every line: the reason (NULL = valid) and the typed columns
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE cls AS
            SELECT reason, file_seq, line_number, {typed_columns()}
            FROM ({classify_sql(lookback, "batch_lines", future)})"""
        )
        self._load_kept()
        # First occurrence wins: earlier batches (seen), then (file_seq, line_number) in
        # this batch; what other landing hours published for the same date is dropped too.
        # Only ids whose hash repeats within the batch need the sorting window.
        con.execute(
            """CREATE OR REPLACE TEMP TABLE dropped AS
            WITH v AS (SELECT event_id, event_date, file_seq, line_number
                       FROM cls WHERE reason IS NULL),
            rep AS (SELECT h FROM (SELECT hash(event_id) AS h FROM v)
                    GROUP BY 1 HAVING count(*) > 1),
            later AS (SELECT file_seq, line_number FROM (
                SELECT file_seq, line_number, row_number() OVER (
                    PARTITION BY event_id ORDER BY file_seq, line_number) AS rn
                FROM v WHERE hash(event_id) IN (SELECT h FROM rep)) WHERE rn > 1),
            prior AS (SELECT DISTINCT event_id FROM seen SEMI JOIN v USING (event_id)),
            old AS (SELECT DISTINCT event_id, event_date FROM kept
                    SEMI JOIN v USING (event_id, event_date))
            SELECT file_seq, line_number FROM later
            UNION SELECT file_seq, line_number FROM v SEMI JOIN prior USING (event_id)
            UNION SELECT file_seq, line_number FROM v SEMI JOIN old USING (event_id, event_date)"""
        )
        # Every valid id counts as seen, even one dropped because another landing hour
        # published it for the same date: its later copies (any date) are duplicates, as in
        # one batch, where they come after it in the window.
        con.execute("INSERT INTO seen SELECT DISTINCT event_id FROM cls WHERE reason IS NULL")
        # a duplicate keeps its row (the counts need it) but leaves the valid set; the
        # update touches few rows and keeps the table in (file, line) order for the COPYs
        con.execute(
            """UPDATE cls SET reason = 'duplicate' FROM dropped d
            WHERE cls.file_seq = d.file_seq AND cls.line_number = d.line_number"""
        )
        groups = con.execute(
            """SELECT event_date, landing_hour, count(*) FROM cls WHERE reason IS NULL
            GROUP BY 1, 2 ORDER BY 1, 2"""
        ).fetchall()
        for d, hour, n in groups:
            final = self.lake.partition_file(d, hour.replace(tzinfo=UTC))
            self.written.add(final)
            self.per_date[d.isoformat()] = self.per_date.get(d.isoformat(), 0) + n
            names = " ".join(
                f"WHEN {f.seq} THEN {literal(f.name)}" for f in batch if _naive(f.hour) == hour
            )
            # rows stay in insertion order: (file, line), so no sort is needed
            con.execute(
                f"""COPY (SELECT {_cols(f"CASE file_seq {names} END")} FROM cls
                    WHERE reason IS NULL AND event_date = DATE '{d}'
                      AND landing_hour = {_ts(hour)})
                TO {literal(str(self.publisher.stage(final)))} {_PARQUET}"""
            )
            self.counts[self.key[hour]].event_dates.append(d.isoformat())
            self.counts[self.key[hour]].curated_new += n
        self._quarantine(hours, rejects)
        self._count(rejects)
        con.unregister("batch_lines")

    def empty_hours(self) -> None:
        """An hour without input files still gets its (empty) quarantine file."""
        with_files = {f.hour for f in self.files}
        for hour in self.request.hours:
            if hour not in with_files:
                self.current = format_hour(hour)
                path = self.publisher.stage(self.lake.quarantine_file(hour))
                self.con.execute(
                    f"COPY (SELECT * FROM quarantine WHERE false) TO {literal(str(path))} {_PARQUET}"
                )

    def _load_kept(self) -> None:
        """What other landing hours already published for the batch's dates, once per date."""
        dates = [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT event_date FROM cls WHERE reason IS NULL"
            ).fetchall()
        ]
        for d in dates:
            if d in self.loaded_dates:
                continue
            self.loaded_dates.add(d)
            # what earlier runs of *these* hours wrote is replaced, not deduplicated against
            others = [
                p
                for p in self.lake.partition_files(d)
                if p.stem.removeprefix("landing_hour=") not in self.run_hours
            ]
            if others:
                paths = ", ".join(literal(str(p)) for p in others)
                self.con.execute(
                    f"INSERT INTO kept SELECT event_id, event_date FROM read_parquet([{paths}])"
                )

    def _quarantine(self, hours: list[datetime], rejects: list[FileReject]) -> None:
        con = self.con
        lookback = self.request.late_event_lookback_days
        future = self.engine.future_tolerance_hours
        con.execute("DELETE FROM quarantine")
        # rejects are few: re-classify just their raw lines to explain each one
        con.execute(
            """CREATE OR REPLACE TEMP TABLE rejected_lines AS SELECT b.* FROM batch_lines b
            SEMI JOIN (SELECT file_seq, line_number FROM cls
                       WHERE reason IS NOT NULL AND reason <> 'duplicate') c
            USING (file_seq, line_number)"""
        )
        con.execute(
            f"""INSERT INTO quarantine
            SELECT landing_hour, source_file, line_number, rtrim(raw, chr(10) || chr(13)),
                   reason, {detail_sql(lookback, future)}, {literal(self.request.run_id)}
            FROM ({classify_sql(lookback, "rejected_lines", future)}) JOIN files USING (file_seq)"""
        )
        for r in rejects:
            con.execute(
                "INSERT INTO quarantine VALUES (?, ?, NULL, NULL, 'corrupt-file', ?, ?)",
                [_naive(r.landing_hour), r.source_file, r.detail, self.request.run_id],
            )
        for hour in hours:
            path = self.publisher.stage(self.lake.quarantine_file(hour))
            con.execute(
                f"""COPY (SELECT * FROM quarantine WHERE landing_hour = {_ts(_naive(hour))}
                    ORDER BY source_file, line_number) TO {literal(str(path))} {_PARQUET}"""
            )

    def _count(self, rejects: list[FileReject]) -> None:
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return list(self.con.execute(sql).fetchall())

        for hour, n in rows("SELECT landing_hour, count(*) FROM batch_lines GROUP BY 1"):
            self.counts[self.key[hour]].input_records += n
        for r in rejects:
            self.counts[self.key[_naive(r.landing_hour)]].input_records += 1
        for hour, n in rows(
            "SELECT landing_hour, count(*) FROM cls WHERE reason = 'duplicate' GROUP BY 1"
        ):
            self.counts[self.key[hour]].duplicates += n
        for hour, reason, n in rows(
            "SELECT landing_hour, reason, count(*) FROM quarantine GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            by_reason = self.counts[self.key[hour]].quarantined_by_reason
            by_reason[reason] = by_reason.get(reason, 0) + n

    def result(self) -> CurateResult:
        for counts in self.counts.values():
            counts.quarantined_by_reason = dict(sorted(counts.quarantined_by_reason.items()))
            counts.quarantined = sum(counts.quarantined_by_reason.values())
            counts.event_dates = sorted(counts.event_dates)
        removed = [p for h in self.request.hours for p in self.lake.hour_files(h)]
        removed = [p for p in removed if p not in self.written]
        for path in removed:
            self.publisher.stage_removal(path)
        return CurateResult(
            hours=self.counts,
            written=sorted(self.written),
            removed=removed,
            new_rows_per_date=dict(sorted(self.per_date.items())),
        )
