"""DuckDBEngine: the local curate engine (DuckDB in-process, Parquet out).

Hours are curated in batches, in landing-hour order, so memory does not grow with the
number of hours. For each batch (the next one is read in the background meanwhile):

1. one DuckDB query classifies every line once (``curate_sql``) and hands the result to
   Arrow: reason, typed columns, and for a rejected line its text and detail;
2. a small query finds the duplicates: repeats within the batch (first occurrence =
   (file_seq, line_number) order), ids earlier batches curated (``seen``) and ids other
   landing hours published for the same date (``kept``);
3. pyarrow writes one Parquet file per (event date, landing hour) in background threads,
   filtering the batch's Arrow columns, while DuckDB classifies the next batch.

Only the event ids of the run's valid lines stay between batches, in temporary tables
under a memory limit, so DuckDB spills them to ``<root>/.duckdb-tmp/<run_id>/`` rather than
grow (see ``benchmarks/curate_week.py``). Temporary tables, not a database file: inserting
the ids through a file's write-ahead log cost about 3x as much CPU. The classified rows go
to Arrow rather than a DuckDB table, and the files are written by pyarrow rather than
DuckDB's COPY: each cost about a third less CPU than what it replaced
(measured with ``benchmarks/curate.py``'s data).
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
from taxiway.jobs.event_rules import MAX_LINE_BYTES
from taxiway.lake.layout import format_hour
from taxiway.sql.literal import literal

if TYPE_CHECKING:
    from taxiway.engines.landing import FileReject, LandingFile
    from taxiway.lake.layout import Lake
    from taxiway.lake.publish import Publisher

_PARQUET = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
#: pyarrow's writer for the curated files: the same zstd level; dictionaries only where
#: values repeat (the unique ids and timestamps would build one and throw it away), no
#: pyarrow-only schema blob, decimals as INT64 like DuckDB and Spark write them.
_PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": [
        n for n, _ in CURATED_COLUMNS if n not in ("event_id", "event_ts", "received_ts")
    ],
    "store_decimal_as_integer": True,
    "store_schema": False,
}
#: The columns of a curated file, in order, with ``file_seq`` where ``source_file`` goes.
_FILE_COLUMNS = ["file_seq" if n == "source_file" else n for n, _ in CURATED_COLUMNS]
#: Compressed input bytes per batch (~190k generated events): peak RSS ~650 MB for 50k-event
#: hours (16 MB: ~800 MB, for about 2% less CPU; benchmarks/curate.py).
BATCH_BYTES = 12 * 1024 * 1024
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
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.threads = threads or os.cpu_count() or 2
        self.future_tolerance_hours = future_tolerance_hours
        self.batch_bytes = batch_bytes
        self.memory_limit = memory_limit
        # a longer line is quarantined as `line-too-long` while it is read (landing.py)
        self.max_line_bytes = max_line_bytes

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
            groups = batches(files, self.batch_bytes)
            for batch, box in _prefetch(groups, self.threads, self.max_line_bytes):
                run.batch(batch, *box.pop())
            run.empty_hours()
            run.finish()
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
            run.writer.shutdown(cancel_futures=True)
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
    groups: list[list[LandingFile]], threads: int, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[list[LandingFile], list[tuple[Any, list[FileReject]]]]]:
    """Each batch with its lines; the next batch is read while the caller works on this one.

    The lines come in a one-item list for the caller to pop, so that this generator holds
    no reference to them: the caller frees a batch's text as soon as it is classified.
    """
    from taxiway.engines.landing import read_files

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[tuple[Any, list[FileReject]]] | None = None
        for i, group in enumerate(groups):
            box = [pending.result() if pending else read_files(group, threads, max_line_bytes)]
            pending = (
                pool.submit(read_files, groups[i + 1], threads, max_line_bytes)
                if i + 1 < len(groups)
                else None
            )
            yield group, box


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
        # curated files are written by pyarrow (about a third less CPU than DuckDB's COPY here)
        # in background threads, while the next batch is classified
        self.writer = ThreadPoolExecutor(max_workers=engine.threads)
        self.pending: list[tuple[str, Future[None]]] = []  # (batch's hours, write)
        self.names: Any = None  # file names by file_seq, an Arrow array (set in setup)

    def setup(self) -> None:
        import pyarrow as pa

        con = self.con
        # file names by file_seq (= position): for pyarrow's dictionary and DuckDB's joins
        self.names = pa.array([f.name for f in self.files], pa.string())
        con.register(
            "files",
            pa.table(
                {
                    "file_seq": pa.array(range(len(self.files)), pa.int32()),
                    "source_file": self.names,
                }
            ),
        )
        # event ids this run curated so far (the first occurrence over the whole run wins)
        con.execute("CREATE TEMP TABLE seen (event_id VARCHAR)")
        # (event_id, event_date) other landing hours published for the run's dates
        con.execute("CREATE TEMP TABLE kept (event_id VARCHAR, event_date DATE)")
        cols = ", ".join(f"{n} {t}" for n, t in QUARANTINE_COLUMNS)
        con.execute(f"CREATE TEMP TABLE quarantine ({cols})")

    def batch(self, batch: list[LandingFile], table: Any, rejects: list[FileReject]) -> None:
        """Classify, dedupe and stage one batch of whole landing hours."""
        import numpy as np
        import pyarrow as pa

        con = self.con
        hours = sorted({f.hour for f in batch})
        self.current = format_hour(hours[0]) + (
            f"..{format_hour(hours[-1])}" if len(hours) > 1 else ""
        )
        lookback = self.request.late_event_lookback_days
        future = self.engine.future_tolerance_hours
        con.register("batch_lines", table)
        # The one pass over every line, as Arrow (cheaper than a DuckDB table, and outside
        # DuckDB's memory limit), in the lines' (file_seq, line_number) order: the reason
        # (NULL = valid), the typed columns, and for a rejected line its text and a detail
        # (CASE evaluates those for the rejected rows only).
        cls = con.sql(
            f"""SELECT reason, file_seq, line_number, {typed_columns()},
                CASE WHEN reason IS NOT NULL THEN rtrim(raw, chr(10) || chr(13)) END AS raw_line,
                {detail_sql(lookback, future)} AS detail
            FROM ({classify_sql(lookback, "batch_lines", future)})"""
        ).to_arrow_table()
        cls = cls.append_column("row", pa.array(np.arange(cls.num_rows, dtype=np.int64)))
        con.register("cls", cls)
        con.unregister("batch_lines")
        del table  # the batch's text is not needed any more
        self._explain(rejects)
        self._load_kept()
        # First occurrence wins: earlier batches (seen), then (file_seq, line_number) in
        # this batch; what other landing hours published for the same date is dropped too.
        # Only ids whose hash repeats within the batch need the sorting window.
        con.execute(
            """CREATE OR REPLACE TEMP TABLE dropped AS
            WITH v AS (SELECT row, event_id, event_date, file_seq, line_number
                       FROM cls WHERE reason IS NULL),
            rep AS (SELECT h FROM (SELECT hash(event_id) AS h FROM v)
                    GROUP BY 1 HAVING count(*) > 1),
            later AS (SELECT row FROM (
                SELECT row, row_number() OVER (
                    PARTITION BY event_id ORDER BY file_seq, line_number) AS rn
                FROM v WHERE hash(event_id) IN (SELECT h FROM rep)) WHERE rn > 1),
            prior AS (SELECT DISTINCT event_id FROM seen SEMI JOIN v USING (event_id)),
            old AS (SELECT DISTINCT event_id, event_date FROM kept
                    SEMI JOIN v USING (event_id, event_date))
            SELECT row FROM later
            UNION SELECT row FROM v SEMI JOIN prior USING (event_id)
            UNION SELECT row FROM v SEMI JOIN old USING (event_id, event_date)"""
        )
        # Every valid id counts as seen, even one dropped because another landing hour
        # published it for the same date: its later copies (any date) are duplicates, as in
        # one batch, where they come after it in the window.
        con.execute("INSERT INTO seen SELECT DISTINCT event_id FROM cls WHERE reason IS NULL")
        keep = cls.column("reason").is_null().to_numpy(zero_copy_only=False)
        keep[con.execute("SELECT row FROM dropped").fetchnumpy()["row"]] = False
        self._write(cls, keep)
        self._stage_quarantine(hours)
        self._count(rejects)
        con.unregister("cls")

    def _write(self, cls: Any, keep: Any) -> None:
        """Stage one Parquet file per (event date, landing hour) of the rows in ``keep``."""
        import numpy as np

        dates = cls.column("event_date").to_numpy().astype("datetime64[D]")
        hours = cls.column("landing_hour").to_numpy()
        # one integer per (date, hour): days since the epoch, then hours since the epoch
        key = np.where(
            keep,
            dates.astype(np.int64) * 1_000_000 + hours.astype("datetime64[h]").astype(np.int64),
            -1,
        )
        columns = cls.select(_FILE_COLUMNS)
        groups, counts = np.unique(key[keep], return_counts=True)
        for group, n in zip(groups.tolist(), counts.tolist(), strict=True):
            d = np.datetime64(group // 1_000_000, "D").astype(date)
            hour = np.datetime64(group % 1_000_000, "h").astype(datetime)
            final = self.lake.partition_file(d, hour.replace(tzinfo=UTC))
            self.written.add(final)
            self.per_date[d.isoformat()] = self.per_date.get(d.isoformat(), 0) + n
            self.counts[self.key[hour]].event_dates.append(d.isoformat())
            self.counts[self.key[hour]].curated_new += n
            path = self.publisher.stage(final)
            job = self.writer.submit(self._write_file, columns, key == group, path)
            self.pending.append((self.current, job))

    def _write_file(self, columns: Any, mask: Any, path: Path) -> None:
        """One curated file: the rows of ``mask``, with ``file_seq`` as ``source_file`` (a
        dictionary of the names, so no path is copied per row)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        part = columns.filter(mask)
        i = part.schema.get_field_index("file_seq")
        names = pa.chunked_array(
            [pa.DictionaryArray.from_arrays(c, self.names) for c in part.column(i).chunks],
            pa.dictionary(pa.int32(), pa.string()),
        )
        try:
            pq.write_table(part.set_column(i, "source_file", names), path, **_PARQUET_OPTIONS)
        except (OSError, pa.ArrowException) as exc:  # the file, not pyarrow's internals
            raise OSError(getattr(exc, "errno", None), str(exc), str(path)) from exc

    def finish(self) -> None:
        """Wait for every staged write; the first failure is raised, naming its batch."""
        pending, self.pending = self.pending, []
        for hours, job in pending:
            self.current = hours
            job.result()

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

    def _explain(self, rejects: list[FileReject]) -> None:
        """The batch's quarantine rows: its rejected lines, explained, unreadable files and
        lines over the length limit (the reader's rejects)."""
        con = self.con
        con.execute("DELETE FROM quarantine")
        con.execute(
            f"""INSERT INTO quarantine
            SELECT landing_hour, source_file, line_number, raw_line, reason, detail,
                   {literal(self.request.run_id)}
            FROM cls JOIN files USING (file_seq) WHERE reason IS NOT NULL"""
        )
        for r in rejects:
            con.execute(
                "INSERT INTO quarantine VALUES (?, ?, ?, NULL, ?, ?, ?)",
                [
                    _naive(r.landing_hour),
                    r.source_file,
                    r.line_number,
                    r.reason,
                    r.detail,
                    self.request.run_id,
                ],
            )

    def _stage_quarantine(self, hours: list[datetime]) -> None:
        """One quarantine file per landing hour of the batch."""
        con = self.con
        for hour in hours:
            path = self.publisher.stage(self.lake.quarantine_file(hour))
            con.execute(
                f"""COPY (SELECT * FROM quarantine WHERE landing_hour = {_ts(_naive(hour))}
                    ORDER BY source_file, line_number) TO {literal(str(path))} {_PARQUET}"""
            )

    def _count(self, rejects: list[FileReject]) -> None:
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return list(self.con.execute(sql).fetchall())

        for hour, n in rows("SELECT landing_hour, count(*) FROM cls GROUP BY 1"):
            self.counts[self.key[hour]].input_records += n
        for r in rejects:
            self.counts[self.key[_naive(r.landing_hour)]].input_records += 1
        for hour, n in rows(
            "SELECT landing_hour, count(*) FROM cls SEMI JOIN dropped USING (row) GROUP BY 1"
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
