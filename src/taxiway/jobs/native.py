"""Classify landing lines with Spark SQL functions: no Python per ordinary line.

Spark's JSON functions cannot reproduce every rule of :mod:`taxiway.jobs.event_rules`
(DuckDB's semantics): ``from_json`` turns a number into text without saying so, and keeps
the last of duplicate keys where DuckDB keeps the first. So a line is classified natively
only when nothing about it is ambiguous, which is what almost every line of a healthy
stream looks like: a JSON object without duplicate keys or backslash escapes, whose string
fields do not read like JSON numbers, booleans, objects or arrays, whose timestamps are
plain ISO-8601 (``2026-11-23T05:10:00.123+01:00``) inside the hour's accepted window, whose
revenue is a plain decimal and whose ``properties`` is a flat object of plain values. Such
a line is valid, and its values are exactly what DuckDB gives. Every other line (every
reject, every odd but valid line) goes through the Python rules, so reasons, details and
values stay DuckDB's, line for line.

Imports only pyspark (lazily), the standard library and this package: Python 3.9, Spark 3.5.
"""

from __future__ import annotations

from typing import Any

from taxiway.events.contract import EVENT_TYPES, FIELDS, REQUIRED
from taxiway.jobs import event_rules

#: A string field's text that could be a JSON number, boolean, NaN/Infinity, object or array.
_NOT_PLAIN = r"^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|NaN|-?Infinity|[\[{].*)$"
_TS = (
    r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3])"
    r":[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
)
_REVENUE = r"^-?[0-9]{1,14}(\.[0-9]{1,4})?$"
_VALUE = r'("[^"\\]*"|-?[0-9]{1,15}|true|false|null)'
_PAIR = rf'"[A-Za-z0-9_]+":{_VALUE}'
_FLAT_OBJECT = rf"^\{{({_PAIR},)*({_PAIR})?\}}$"


def _schema() -> Any:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(f, T.StringType(), True) for f in FIELDS])


def flag_plain(lines: Any, lookback_days: int, future_hours: int) -> Any:
    """``lines`` plus ``_s`` (the fields as text), ``_ts``, ``_received`` (UTC timestamps)
    and ``_plain``: true when Spark SQL alone may type the line (see the module doc)."""
    from pyspark.sql import functions as F

    s = F.from_json(F.col("raw"), _schema())
    keys = F.json_object_keys(F.col("raw"))
    ts = F.expr("CAST(try_to_timestamp(_s.event_ts) AS TIMESTAMP_NTZ)")
    received = F.expr("CAST(try_to_timestamp(_s.received_ts) AS TIMESTAMP_NTZ)")
    f = F.col("_s")
    plain = (
        ~F.col("bad_utf8")
        & (F.instr(F.col("raw"), "\\") == 0)
        & keys.isNotNull()
        & (F.size(keys) == F.size(F.array_distinct(keys)))
        & f.isNotNull()
    )
    for name in FIELDS:
        value = f[name]
        if name in REQUIRED:
            plain = plain & value.isNotNull() & (value != "")
        if name == "revenue":
            plain = plain & (value.isNull() | value.rlike(_REVENUE))
        elif name == "properties":
            plain = plain & (value.isNull() | value.rlike(_FLAT_OBJECT))
        elif name in ("event_ts", "received_ts"):
            plain = plain & (value.isNull() | value.rlike(_TS))
        else:
            plain = plain & (value.isNull() | ~value.rlike(_NOT_PLAIN))
    plain = (
        plain
        & f["event_type"].isin(*EVENT_TYPES)
        & F.col("_ts").isNotNull()
        & (f["received_ts"].isNull() | F.col("_received").isNotNull())
        & (F.col("_ts") >= F.expr(f"landing_hour - INTERVAL {int(lookback_days)} DAYS"))
        & (F.col("_ts") <= F.expr(f"landing_hour + INTERVAL {int(future_hours) + 1} HOURS"))
    )
    return (
        lines.withColumn("_s", s)
        .withColumn("_ts", ts)
        .withColumn("_received", received)
        .withColumn("_plain", F.coalesce(plain, F.lit(False)))
    )


def classify_lines_native(
    spark: Any,
    lines: Any,
    lookback_days: int,
    extra: list[Any],
    future_hours: int = event_rules.FUTURE_TOLERANCE_HOURS,
) -> Any:
    """Raw lines (``spark_core.lines_schema``) -> (classified rows (``event_rules.ROW_NAMES``),
    a cached frame to unpersist once the classified rows are persisted or written).

    Plain lines are typed with Spark SQL; the others, and ``extra`` rows (corrupt files),
    come from the Python rules.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from taxiway.jobs import spark_core

    # both branches read the flags: cached, the JSON is parsed once, not once per branch
    flagged = flag_plain(lines, lookback_days, future_hours).persist(StorageLevel.MEMORY_AND_DISK)
    f = F.col("_s")
    typed = {
        "event_ts": F.col("_ts"),
        "received_ts": F.col("_received"),
        "revenue": f["revenue"].cast("decimal(18,4)"),
    }
    fast = flagged.filter("_plain").select(
        *[typed.get(name, f[name]).alias(name) for name in FIELDS],
        "source_file",
        "landing_hour",
        F.to_date(F.col("_ts")).alias("event_date"),
        "line_number",
        F.lit(None).cast("string").alias("reason"),
        F.lit(None).cast("string").alias("detail"),
        F.lit(None).cast("string").alias("raw_line"),
    )
    rest = flagged.filter("NOT _plain").select(*lines.columns)
    slow = spark_core.classify_lines_frame(spark, rest, lookback_days, extra, future_hours)
    return fast.unionByName(slow), flagged
