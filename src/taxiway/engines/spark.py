"""SparkEngine: the curate step on Spark (local mode here; the EMR job shares its core).

Same semantics as :class:`taxiway.engines.duckdb.DuckDBEngine`, row for row: the per-line
rules are :mod:`taxiway.jobs.event_rules` (DuckDB's checks re-done in Python), the Spark
plan is :mod:`taxiway.jobs.spark_core`, which the EMR job
(:mod:`taxiway.jobs.curate_spark`) runs too. With ``classify="native"`` (the default, the
EMR job's one path) Spark reads the files itself and types the plain lines with Spark SQL
(:mod:`taxiway.jobs.native`); with ``classify="python"`` input is read by
:func:`taxiway.engines.landing.read_landing` (line numbers, corrupt gzip as a file-level
reject), handed to Spark as Arrow and every line goes through the Python rules (kept as
the tests' second witness). Output is written by Spark into a temporary folder under the
lake root and each single part file is moved to the publisher's staged path.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taxiway.engines.base import CurateRequest, CurateResult, HourCounts
from taxiway.errors import MissingDependencyError, ToolchainError
from taxiway.events.contract import FUTURE_TOLERANCE_HOURS
from taxiway.jobs.event_rules import MAX_LINE_BYTES
from taxiway.jobs.spark_core import TMP_DIR

if TYPE_CHECKING:
    from taxiway.lake.layout import Lake
    from taxiway.lake.publish import Publisher

JDK_HINT = (
    "Spark needs a Java runtime: install a JDK 17 (e.g. `apt-get install "
    "openjdk-17-jdk-headless` or `brew install openjdk@17`) and put `java` on PATH or set "
    "`JAVA_HOME`."
)


def check_java() -> None:
    """Raise ToolchainError with the install hint when no Java runtime can be found."""
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return
    if shutil.which("java") is None:
        raise ToolchainError(f"No `java` found. {JDK_HINT}")


def local_session(master: str = "local[2]", conf: dict[str, str] | None = None) -> Any:
    """A local SparkSession for curating (created once per process, then reused)."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("pyspark", "spark") from exc
    from taxiway.jobs import spark_core

    check_java()
    try:
        return spark_core.session(master, {**spark_core.LOCAL_CONF, **(conf or {})})
    except Exception as exc:  # the JVM did not start: PySparkRuntimeError, OSError, ...
        if "JAVA_GATEWAY_EXITED" in str(exc) or "Java gateway" in str(exc):
            raise ToolchainError(f"The Spark JVM did not start ({exc}). {JDK_HINT}") from exc
        raise


class SparkEngine:
    """Validate, type, dedupe and stage partitions with PySpark."""

    dialect = "spark"

    def __init__(
        self,
        master: str = "local[2]",
        conf: dict[str, str] | None = None,
        future_tolerance_hours: int = FUTURE_TOLERANCE_HOURS,
        classify: str = "native",
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        if classify not in ("native", "python"):
            raise ValueError(f"classify must be `native` or `python`, not `{classify}`")
        self.master = master
        self.conf = conf or {}
        self.future_tolerance_hours = future_tolerance_hours
        # "native": Spark SQL for plain lines, Python rules for the rest (jobs/native.py),
        # what the EMR job runs; "python": the Python rules for every line
        self.classify = classify
        self.max_line_bytes = max_line_bytes  # a longer line is quarantined as it is read
        self._spark: Any = None

    @property
    def spark(self) -> Any:
        """The SparkSession, started on first use (a JVM start costs seconds)."""
        if self._spark is None:
            self._spark = local_session(self.master, self.conf)
        return self._spark

    def curate(self, request: CurateRequest, lake: Lake, publisher: Publisher) -> CurateResult:
        from taxiway.engines.landing import read_landing
        from taxiway.jobs import event_rules, native, spark_core

        spark = self.spark
        lookback = request.late_event_lookback_days
        future = self.future_tolerance_hours
        if self.classify == "native":  # Spark reads the files; Spark SQL types plain lines
            files = {
                str(path): (path.relative_to(lake.root).as_posix(), _naive(hour))
                for hour, paths in request.files.items()
                for path in paths
            }
            classified, cached, expected = native.classify_files_native(
                spark, files, lookback, future, self.max_line_bytes
            )
        else:  # Python reads the files (Arrow to the JVM) and classifies every line
            raw, rejects = read_landing(
                request.files, root=lake.root, threads=2, max_line_bytes=self.max_line_bytes
            )
            lines = spark.createDataFrame(raw, schema=spark_core.lines_schema())
            extra = [
                event_rules.reject_row(
                    r.source_file, _naive(r.landing_hour), r.reason, r.detail, r.line_number
                )
                for r in rejects
            ]
            classified = spark_core.classify_lines_frame(spark, lines, lookback, extra, future)
            classified = classified.persist()  # Python rules run once, not once per action
            cached, expected = [classified], None
        tmp = lake.root / TMP_DIR
        shutil.rmtree(tmp, ignore_errors=True)  # leftovers of a killed run
        firsts = None
        try:
            run_hours = {_naive(h) for h in request.hours}
            ranks = spark_core.file_ranks(
                (path.relative_to(lake.root).as_posix(), _naive(hour))
                for hour, paths in request.files.items()
                for path in paths
            )

            def kept(dates: list[date]) -> list[str]:  # other hours' partitions of these dates
                return [
                    str(p)
                    for d in dates
                    for p in lake.partition_files(d)
                    if _hour_of(p) not in run_hours
                ]

            marked, firsts, _dates = spark_core.mark_new(spark, classified, ranks, kept)
            by_hour, groups, numbered = spark_core.tally(sorted(run_hours), marked)
            if expected is not None:  # Spark read the files: every line, numbered 1..n
                native.check_line_numbers(numbered, expected)
            out = tmp / request.run_id
            spark_core.write_events(marked, str(out / "events"))
            empty = any(c["quarantined"] == 0 for c in by_hour.values())
            spark_core.write_quarantine(spark, classified, request.run_id, str(out / "q"), empty)
            written = self._stage_events(groups, out / "events", lake, publisher)
            self._stage_quarantine(request, out / "q", lake, publisher)
        finally:
            for frame in cached:
                frame.unpersist()
            if firsts is not None:
                firsts.unpersist()
            shutil.rmtree(tmp, ignore_errors=True)
        removed = [p for h in request.hours for p in lake.hour_files(h) if p not in written]
        for path in removed:
            publisher.stage_removal(path)
        per_date: dict[str, int] = {}
        for d, _h, n in groups:
            per_date[d.isoformat()] = per_date.get(d.isoformat(), 0) + n
        return CurateResult(
            hours={h: HourCounts(**by_hour[_naive(h)]) for h in request.hours},
            written=sorted(written),
            removed=removed,
            new_rows_per_date=dict(sorted(per_date.items())),
        )

    @staticmethod
    def _stage_events(
        groups: list[tuple[date, datetime, int]], out: Path, lake: Lake, publisher: Publisher
    ) -> set[Path]:
        from taxiway.jobs.spark_core import DATE_COL, HOUR_COL, hour_key

        written = set()
        for d, hour, _n in groups:
            folder = out / f"{DATE_COL}={d.isoformat()}" / f"{HOUR_COL}={hour_key(hour)}"
            final = lake.partition_file(d, hour.replace(tzinfo=UTC))
            os.replace(_single_part(folder), publisher.stage(final))
            written.add(final)
        return written

    @staticmethod
    def _stage_quarantine(
        request: CurateRequest, out: Path, lake: Lake, publisher: Publisher
    ) -> None:
        from taxiway.jobs.spark_core import HOUR_COL, hour_key

        for hour in request.hours:
            folder = out / "hours" / f"{HOUR_COL}={hour_key(_naive(hour))}"
            staged = publisher.stage(lake.quarantine_file(hour))
            if folder.is_dir():
                os.replace(_single_part(folder), staged)
            else:  # an hour without rejects still gets its (empty) file, as with DuckDB
                shutil.copyfile(_single_part(out / "empty"), staged)


def _naive(hour: datetime) -> datetime:
    return hour.astimezone(UTC).replace(tzinfo=None) if hour.tzinfo else hour


def _hour_of(partition_file: Path) -> datetime:
    text = partition_file.stem.removeprefix("landing_hour=")
    return datetime.strptime(text, "%Y-%m-%dT%H")


def _single_part(folder: Path) -> Path:
    parts = sorted(folder.glob("part-*.parquet"))
    if len(parts) != 1:
        raise ToolchainError(
            f"Spark wrote {len(parts)} part files into `{folder}`, expected exactly one; "
            "check that `spark.sql.files.maxRecordsPerFile` is 0."
        )
    return parts[0]
