"""The curate step on Spark: classify, dedupe, count and write, shared by engine and EMR job.

Imports only pyspark, the standard library and :mod:`taxiway.jobs.event_rules`, and keeps
to Spark 3.5 / Python 3.9 APIs (EMR 7), so the EMR job can ship it in a small zip.

Why the Python rules run over an RDD (not Arrow UDFs) for the lines Spark SQL cannot
decide (:mod:`taxiway.jobs.native`; every line in ``SparkEngine``'s default): Spark's JSON
functions coerce types silently and cannot tell "absent" from "null" or a number from a
string, so DuckDB's reason codes could not be reproduced; an RDD of plain tuples needs
neither pandas nor pyarrow on the cluster's workers.

The steps after classifying (:func:`mark_new`, :func:`tally`, the two writes) are the same
for every way of classifying, and each is one pass over the cached classified rows (two
small actions, then the two writes): none reads a landing file again. The dates to dedupe
against are observed in the dedupe's pass, the native read's line-number check takes its
figures from the counts' pass.

Why Spark writes the files (``partitionBy`` into a temporary folder, then one move per
file) rather than collecting rows to the driver: it scales with the cluster, and after
``repartition`` by (event_date, landing hour) every group is written by exactly one task,
so each partition folder holds exactly one part file, which becomes the published
``landing_hour=....parquet`` with a single rename (local) or copy (S3).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from taxiway.jobs import event_rules

#: Spark settings for a small local session (tests, the local engine, the benchmark).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.driver.memory": "2g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # the classified rows are cached once and scanned a few times: on two cores, building
    # a compressed cache cost more (~25% of the native read-and-parse pass) than it saved
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
}
#: Settings every curate session needs, local or on EMR: UTC and DuckDB-compatible Parquet
#: (INT64 microsecond timestamps without time zone, not Spark's legacy INT96).
CURATE_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.files.maxRecordsPerFile": "0",  # one file per (date, hour) group
}
#: Spark's output folder under the storage root: outside curated/ and quarantine/, so no
#: reader ever globs it, and on the same filesystem, so moving a file out is a rename.
TMP_DIR = ".spark-tmp"
DATE_COL, HOUR_COL = "tw_event_date", "tw_landing_hour"  # partition folders in the temp dir

HourCounts = dict[str, Any]
Groups = list[tuple[date, datetime, int]]


def session(master: str | None = None, conf: dict[str, str] | None = None) -> Any:
    """The active SparkSession, or a new one with the curate settings (``master`` if given)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("taxiway-curate")
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        # Local Python workers must be this interpreter (it has taxiway and pyspark); Spark's
        # default is whatever `python3` is first on PATH, which outside an activated venv is
        # another Python. On a cluster, the cluster's own Python runs them.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**CURATE_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in CURATE_CONF.items():  # getOrCreate may return an existing session
        spark.conf.set(key, value)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def row_schema() -> Any:
    """Spark schema of a classified row (``event_rules.ROW_NAMES``)."""
    from pyspark.sql import types as T

    special = {
        "event_ts": T.TimestampNTZType(),
        "received_ts": T.TimestampNTZType(),
        "revenue": T.DecimalType(18, 4),
        "landing_hour": T.TimestampNTZType(),
        "event_date": T.DateType(),
        "line_number": T.LongType(),
    }
    return T.StructType(
        [T.StructField(n, special.get(n, T.StringType()), True) for n in event_rules.ROW_NAMES]
    )


def lines_schema() -> Any:
    """Spark schema of raw landing lines, as ``taxiway.engines.landing.read_landing`` and
    :func:`taxiway.jobs.native.read_files_native` read them."""
    from pyspark.sql import types as T

    return T.StructType(
        [
            T.StructField("raw", T.StringType(), True),
            T.StructField("line_number", T.LongType(), True),
            T.StructField("source_file", T.StringType(), True),
            T.StructField("landing_hour", T.TimestampNTZType(), True),
            T.StructField("bad_utf8", T.BooleanType(), True),
        ]
    )


def classify_lines_frame(
    spark: Any,
    lines: Any,
    lookback_days: int,
    extra: list[Any],
    future_hours: int = event_rules.FUTURE_TOLERANCE_HOURS,
) -> Any:
    """A DataFrame of raw lines (``lines_schema``) -> classified rows; ``extra`` rows appended."""

    def run(rows: Any) -> Any:
        return event_rules.classify_lines(
            ((r[0], r[1], r[2], r[3], r[4]) for r in rows), lookback_days, future_hours
        )

    rdd = lines.rdd.mapPartitions(run)
    if extra:
        rdd = rdd.union(spark.sparkContext.parallelize(extra, 1))
    return spark.createDataFrame(rdd, row_schema(), verifySchema=False)


#: per source file: (rows that carry a line number, the largest line number)
FileLines = dict[str, tuple[int, int]]
_EPOCH = date(1970, 1, 1)


def file_ranks(files: Iterable[tuple[str, datetime]]) -> dict[str, int]:
    """(``source_file``, landing hour) pairs -> each file's rank in the first-occurrence
    order: landing hour, then file name."""
    return {name: i for i, (_h, name) in enumerate(sorted({(h, n) for n, h in files}))}


def mark_new(
    spark: Any,
    classified: Any,
    ranks: dict[str, int],
    kept_files: Callable[[list[date]], list[str]],
) -> tuple[Any, Any, list[date]]:
    """(``classified`` plus ``_new``: the valid rows to curate, a cached frame to unpersist,
    the dates the valid rows span).

    The first occurrence of an id wins (landing hour, file, line: :func:`file_ranks` orders
    the files), and ids already curated for the same date by another landing hour are
    dropped: ``kept_files(dates)`` names those partition files for the dates the valid rows
    span. Only (id, position) pairs are shuffled, the position one number (file rank, then
    line): one hash aggregation finds, per repeated id, its first position; that small frame
    is cached (so its size is known and the join broadcasts it where it fits) and joined
    back. No full row is shuffled, nothing sorts. The same pass observes the first and last
    event date of the valid rows (a minimum and a maximum: a retried task cannot change
    them), so no query of its own is needed to find which partitions to read.
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    lookup = F.create_map(*[F.lit(x) for name, i in ranks.items() for x in (name, i)])
    position = lookup[F.col("source_file")].cast("long") * (1 << 33) + F.col("line_number")
    span = Observation()
    day = F.expr("unix_date(event_date)")
    valid = (
        classified.filter("reason IS NULL")
        .observe(span, F.min(day).alias("first"), F.max(day).alias("last"))
        .select("event_id", position.alias("_pos"))
    )
    firsts = (
        valid.groupBy("event_id")
        .agg(F.count(F.lit(1)).alias("_n"), F.min("_pos").alias("_first"))
        .filter("_n > 1")
        .select("event_id", "_first")
        .persist()
    )
    firsts.count()  # materialized: the join below is planned with its real size
    got = span.get
    dates = (
        [_EPOCH + timedelta(days=d) for d in range(got["first"], got["last"] + 1)]
        if got.get("first") is not None
        else []
    )
    marked = classified.join(firsts, "event_id", "left")
    new = F.col("reason").isNull() & (F.col("_first").isNull() | (F.col("_first") == position))
    kept_paths = kept_files(dates)
    if kept_paths:
        kept = (  # the schema given: no job to infer it
            spark.read.schema("event_id STRING, event_date DATE")
            .parquet(*kept_paths)
            .select("event_id", "event_date", F.lit(True).alias("_kept"))
            .dropDuplicates(["event_id", "event_date"])
        )
        marked = marked.join(kept, ["event_id", "event_date"], "left")
        new = new & F.col("_kept").isNull()
    marked = marked.withColumn("_new", new).select(*event_rules.ROW_NAMES, "_new")
    return marked, firsts, dates


def tally(
    hours: list[datetime], marked: Any
) -> tuple[dict[datetime, HourCounts], Groups, FileLines]:
    """Per landing hour (naive UTC): the manifest counts; the (date, hour, n) groups of new
    rows; and per source file the rows that carry a line number and the largest one (the
    native read's line-number check, :func:`taxiway.jobs.native.check_line_numbers`). One
    aggregation over ``marked`` (:func:`mark_new`) counts everything; each count is taken
    from the rows themselves (duplicates too), so the counts check (input = curated new +
    duplicates + quarantined) proves that no row was lost."""
    from pyspark.sql import functions as F

    by_hour: dict[datetime, HourCounts] = {
        h: {
            "input_records": 0,
            "curated_new": 0,
            "duplicates": 0,
            "quarantined": 0,
            "quarantined_by_reason": {},
            "event_dates": [],
        }
        for h in hours
    }
    new: dict[tuple[date, datetime], int] = {}
    got = (
        marked.groupBy("landing_hour", "reason", "event_date", "_new", "source_file")
        .agg(F.count(F.lit(1)), F.count("line_number"), F.max("line_number"))
        .collect()
    )
    lines: FileLines = {}
    for hour, reason, day, is_new, name, n, numbered, top in got:
        if numbered:
            rows, last = lines.get(name, (0, 0))
            lines[name] = (rows + numbered, max(last, top))
        c = by_hour[hour]
        c["input_records"] += n
        if reason is not None:
            c["quarantined_by_reason"][reason] = c["quarantined_by_reason"].get(reason, 0) + n
            c["quarantined"] += n
        elif is_new:
            c["curated_new"] += n
            new[(day, hour)] = new.get((day, hour), 0) + n
        else:
            c["duplicates"] += n
    groups: Groups = sorted((d, h, n) for (d, h), n in new.items())
    for d, h, _n in groups:
        by_hour[h]["event_dates"].append(d.isoformat())
    for c in by_hour.values():
        c["quarantined_by_reason"] = dict(sorted(c["quarantined_by_reason"].items()))
    return by_hour, groups, lines


def write_events(marked: Any, out: str) -> None:
    """The new rows of ``marked`` (:func:`mark_new`): one Parquet part file per
    (event_date, landing hour) under ``out``/<date>/<hour>/."""
    from pyspark.sql import functions as F

    rows = marked.filter("_new").select(*event_rules.CURATED_NAMES, "line_number")
    (
        rows.withColumn(DATE_COL, F.date_format("event_date", "yyyy-MM-dd"))
        .withColumn(HOUR_COL, F.date_format("landing_hour", "yyyy-MM-dd'T'HH"))
        .repartition(DATE_COL, HOUR_COL)
        .sortWithinPartitions(DATE_COL, HOUR_COL, "source_file", "line_number")
        .drop("line_number")
        .write.partitionBy(DATE_COL, HOUR_COL)
        .parquet(out)
    )


def write_quarantine(
    spark: Any, classified: Any, run_id: str, out: str, empty: bool = True
) -> None:
    """Rejected rows, one part file per landing hour under ``out``/<hour>/; with ``empty``
    (some hour has no rejects: :func:`tally` says which), also an empty file with the
    quarantine schema under ``out``/empty for those hours."""
    from pyspark.sql import functions as F

    rejects = classified.filter("reason IS NOT NULL").select(
        "landing_hour",
        "source_file",
        "line_number",
        "raw_line",
        "reason",
        "detail",
        F.lit(run_id).alias("run_id"),
    )
    (
        rejects.withColumn(HOUR_COL, F.date_format("landing_hour", "yyyy-MM-dd'T'HH"))
        .repartition(HOUR_COL)
        .sortWithinPartitions(HOUR_COL, "source_file", F.asc_nulls_last("line_number"))
        .write.partitionBy(HOUR_COL)
        .parquet(out + "/hours")
    )
    if empty:
        spark.createDataFrame([], rejects.schema).coalesce(1).write.parquet(out + "/empty")


def hour_key(hour: datetime) -> str:
    """``YYYY-MM-DDTHH`` of a naive UTC hour (the partition folder and manifest key)."""
    return hour.strftime("%Y-%m-%dT%H")
