"""Classify landing lines with Spark SQL functions: no Python per ordinary line.

Spark's JSON functions cannot reproduce every rule of :mod:`taxiway.jobs.event_rules`
(DuckDB's semantics): ``from_json`` turns a number into text without saying so, keeps
the last of duplicate keys where DuckDB keeps the first, and on its own would accept text
after the object and 'single quotes'. So a line is classified natively
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
#: first characters of every text _NOT_PLAIN matches
_SUSPECT_FIRST = tuple("-0123456789tfNI[{")
_TS = (
    r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3])"
    r":[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
)
_REVENUE = r"^-?[0-9]{1,14}(\.[0-9]{1,4})?$"
_VALUE = r'("[^"\\]*"|-?[0-9]{1,15}|true|false|null)'
_PAIR = rf'"[A-Za-z0-9_]+":{_VALUE}'
_FLAT_OBJECT = rf"^\{{({_PAIR},)*({_PAIR})?\}}$"


#: The end marker's key: ``\u0001end`` written as an escape, which no line that reaches
#: Spark SQL's typing can spell (a plain line has no backslash), so only the wrapper's own
#: marker ever fills it.
_END = "\u0001end"
_OPEN, _CLOSE = '{"_tw":', ',"\\u0001end":1}'


def _schema() -> Any:
    """The wrapper ``{"_tw":`` line ``,"\u0001end":1}``: the contract's fields as text, and
    the end marker (see :func:`flag_plain`)."""
    from pyspark.sql import types as T

    fields = T.StructType([T.StructField(f, T.StringType(), True) for f in FIELDS])
    return T.StructType(
        [T.StructField("_tw", fields, True), T.StructField(_END, T.IntegerType(), True)]
    )


#: Jackson accepts what DuckDB rejects unless told otherwise: 'single quotes', NaN/Infinity
#: (valid to DuckDB, but then the Python rules decide what the field becomes)
_JSON_OPTIONS = {"allowSingleQuotes": "false", "allowNonNumericNumbers": "false"}


def flag_plain(lines: Any, lookback_days: int, future_hours: int) -> Any:
    """``lines`` (``raw``, ``bad_utf8``, ``landing_hour``, ...) plus ``_s`` (the fields as
    text), ``_ts``, ``_received`` (UTC timestamps) and ``_plain``: true when Spark SQL alone
    may type the line (see the module doc)."""
    from pyspark.sql import functions as F

    # Parsed as the value of a wrapper object, `{"_tw":` raw `,"\u0001end":1}`: Jackson stops
    # after the first value, so `{...} trailing`, `{...}{...}` or `{...},{...}` would pass as
    # an object; inside the wrapper they are a syntax error, and an extra `}` closes the
    # wrapper before its end marker, which then stays null. (The same check as parsing
    # `[` raw `]` as a one-element array, at less than half the cost: an array root takes
    # Spark's slower conversion path, measured 3.3 s against 1.3 s per 200k lines.)
    parsed = F.from_json(
        F.concat(F.lit(_OPEN), F.col("raw"), F.lit(_CLOSE)), _schema(), _JSON_OPTIONS
    )
    s = F.when(F.col("_p").getField(_END).isNotNull(), F.col("_p").getField("_tw"))
    keys = F.col("_k")  # a column of its own, so each line's keys are listed once
    ts = F.expr("CAST(try_to_timestamp(_s.event_ts) AS TIMESTAMP_NTZ)")
    received = F.expr("CAST(try_to_timestamp(_s.received_ts) AS TIMESTAMP_NTZ)")
    f = F.col("_s")
    plain = (
        # invalid UTF-8 (found when the files were inspected: Spark's strings keep the bytes
        # as read) goes to the Python rules, which decode it as DuckDB's reader does
        ~F.col("bad_utf8")
        # a backslash is a plain byte: `contains` compares bytes (`instr` counts characters
        # and cost twice as much)
        & ~F.col("raw").contains("\\")
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
        else:  # the regular expression only where the first character could start a number,
            # a boolean, NaN/Infinity, an object or an array (a tenth of the cost)
            suspect = F.substring(value, 1, 1).isin(*_SUSPECT_FIRST)
            plain = plain & (
                value.isNull() | F.when(suspect, ~value.rlike(_NOT_PLAIN)).otherwise(F.lit(True))
            )
    plain = (
        plain
        & f["event_type"].isin(*EVENT_TYPES)
        & F.col("_ts").isNotNull()
        & (f["received_ts"].isNull() | F.col("_received").isNotNull())
        & (F.col("_ts") >= F.expr(f"landing_hour - INTERVAL {int(lookback_days)} DAYS"))
        & (F.col("_ts") <= F.expr(f"landing_hour + INTERVAL {int(future_hours) + 1} HOURS"))
    )
    return (
        lines.withColumn("_p", parsed)
        .withColumn("_s", s)
        .withColumn("_k", F.json_object_keys(F.col("raw")))
        .withColumn("_ts", ts)
        .withColumn("_received", received)
        .withColumn("_plain", F.coalesce(plain, F.lit(False)))
        .drop("_k", "_p")
    )


#: The cache of the typed lines: Spark's own default for DataFrames (columnar batches kept
#: as objects, spilled to disk when memory runs short). PySpark's ``MEMORY_AND_DISK`` is the
#: serialized level, which copies every batch through a serializer on the way in.
CACHE_LEVEL = "MEMORY_AND_DISK_DESER"


def _level() -> Any:
    from pyspark import StorageLevel

    return getattr(StorageLevel, CACHE_LEVEL)


def classify_lines_native(
    spark: Any,
    lines: Any,
    lookback_days: int,
    extra: list[Any],
    future_hours: int = event_rules.FUTURE_TOLERANCE_HOURS,
) -> Any:
    """Raw lines (``raw``, ``line_number``, ``source_file``, ``landing_hour``) -> (classified
    rows (``event_rules.ROW_NAMES``), the cached frames they are read from: every line
    typed once, the Python rules' rows; unpersist them when done).

    Plain lines are typed with Spark SQL; the others, and ``extra`` rows (corrupt files),
    come from the Python rules, which decode the line's bytes themselves (exactly as
    ``read_landing`` does), so invalid UTF-8 is classified as DuckDB classifies it.
    """
    from pyspark.sql import functions as F

    flagged = flag_plain(lines, lookback_days, future_hours)
    f = F.col("_s")
    typed = {
        "event_ts": F.col("_ts"),
        "received_ts": F.col("_received"),
        "revenue": f["revenue"].cast("decimal(18,4)"),
    }
    plain = F.col("_plain")
    # One lean cached frame feeds both branches, so each line is parsed once: typed values
    # for plain lines, the raw bytes for the rest.
    pre = flagged.select(
        *[F.when(plain, typed.get(name, f[name])).alias(name) for name in FIELDS],
        F.when(plain, F.to_date(F.col("_ts"))).alias("event_date"),
        F.when(~plain, F.col("raw").cast("binary")).alias("_bytes"),
        "source_file",
        "landing_hour",
        "line_number",
        "_plain",
    ).persist(_level())
    fast = pre.filter("_plain").select(
        *FIELDS,
        "source_file",
        "landing_hour",
        "event_date",
        "line_number",
        F.lit(None).cast("string").alias("reason"),
        F.lit(None).cast("string").alias("detail"),
        F.lit(None).cast("string").alias("raw_line"),
    )

    def run(rows: Any) -> Any:
        for r in rows:
            data = bytes(r[0])
            try:
                raw, bad = data.decode("utf-8"), False
            except UnicodeDecodeError:
                raw, bad = data.decode("utf-8", errors="replace"), True
            yield from event_rules.classify_lines(
                [(raw, r[1], r[2], r[3], bad)], lookback_days, future_hours
            )

    from taxiway.jobs import spark_core

    rest = pre.filter("NOT _plain").select("_bytes", "line_number", "source_file", "landing_hour")
    rdd = rest.rdd.mapPartitions(run)
    if extra:
        rdd = rdd.union(spark.sparkContext.parallelize(extra, 1))
    # cached: every later action (dates, dedupe, counts, writes) reads the Python rules'
    # rows instead of running them again; it is filled by the first of those actions
    slow = spark.createDataFrame(rdd, spark_core.row_schema(), verifySchema=False)
    slow = slow.persist(_level())
    # fewer, larger partitions downstream: the union has one per file plus the Python ones
    parts = max(2, spark.sparkContext.defaultParallelism)
    return fast.unionByName(slow).coalesce(parts), [pre, slow]


#: Spark settings under which every landing file is read whole by one task, so that
#: ``monotonically_increasing_id`` (partition index << 33, then the row's position) numbers
#: a file's lines in order. Gzip is never split; the huge open cost keeps two files out of
#: one partition and the huge split size keeps a plain ``.json`` file in one piece.
READ_CONF = {
    "spark.sql.files.maxPartitionBytes": str(1 << 40),
    "spark.sql.files.openCostInBytes": str(1 << 40),
}
_ROW_BITS = (1 << 33) - 1


def _tail(path: str) -> str:
    return "/".join(path.rstrip("/").split("/")[-5:])


def _keys(path: str) -> set[str]:
    """The spellings Spark may report a file under (``input_file_name`` is URI-encoded)."""
    from urllib.parse import quote

    tail = _tail(path)
    uri_safe = "/!$&'()*+,;=:@"
    keep = "".join(sorted({c for c in tail if ord(c) > 127}))
    return {tail, quote(tail, safe=uri_safe), quote(tail, safe=uri_safe + keep)}


def bad_utf8_lines(data: bytes) -> list[int]:
    """The numbers (from 1, lines split at ``\\n``) of the lines that are not valid UTF-8.

    One C-speed decode of the whole text when it is valid (the usual case); else the lines
    from the first bad one on are decoded one by one (linear, however many are bad). A
    newline byte is never part of a UTF-8 sequence, so the text is valid exactly when
    every line is.
    """
    try:
        data.decode("utf-8")
        return []
    except UnicodeDecodeError as exc:
        first = data.rfind(b"\n", 0, exc.start) + 1
    bad = []
    for number, line in enumerate(data[first:].split(b"\n"), data.count(b"\n", 0, first) + 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
    return bad


#: What :func:`inspect_files` learns of one file: (number of lines, why it cannot be read,
#: the lines with invalid UTF-8, the lines over the limit as (number, byte offset, size)).
Inspected = dict[str, tuple[Any, Any, list[int], list[tuple[int, int, int]]]]


def inspect_files(
    spark: Any,
    files: dict[str, tuple[str, Any]],
    max_line_bytes: int = event_rules.MAX_LINE_BYTES,
) -> Inspected:
    """Decompress every file once in Python workers (zlib, C speed) without keeping the
    text: file URI -> (number of lines, None, lines with invalid UTF-8, lines over
    ``max_line_bytes``) or (None, why it cannot be read, [], []).

    Spark's text reader would return a truncated gzip's first lines (or fail the job);
    DuckDB's engine rejects the whole file, once. The line counts also prove the line
    numbers Spark assigns (see :func:`check_line_numbers`). The text streams through
    :class:`event_rules.LineLimit` in pieces, so a worker holds at most about a line limit
    and a piece of it, whatever the file inflates to.
    """
    from urllib.parse import urlparse

    if not files:
        return {}
    sc = spark.sparkContext
    by_path = {urlparse(uri).path: uri for uri in files}
    parts = max(sc.defaultParallelism, min(len(files), 4 * sc.defaultParallelism))

    def run(item: tuple[str, bytes]) -> Any:
        uri = by_path[urlparse(item[0]).path]
        cut = event_rules.LineLimit(max_line_bytes)
        bad: list[int] = []
        try:
            for chunk in event_rules.chunks(files[uri][0], bytes(item[1])):
                first = cut.lines  # the piece's lines are numbered from here on
                bad.extend(first + n for n in bad_utf8_lines(b"".join(cut.feed(chunk))))
        except ValueError as exc:
            return (uri, None, str(exc), [], [])
        first = cut.lines
        bad.extend(first + n for n in bad_utf8_lines(b"".join(cut.end())))
        return (uri, cut.lines, None, bad, cut.long)

    got = sc.binaryFiles(",".join(sorted(files)), minPartitions=parts).map(run).collect()
    return {uri: (n, err, bad, long) for uri, n, err, bad, long in got}


def _bounded_lines(
    spark: Any,
    files: dict[str, tuple[str, Any]],
    long: dict[str, list[int]],
    max_line_bytes: int,
) -> Any:
    """The lines (``lines_schema``) of the files that hold a line over the limit, read in
    Python workers through :class:`event_rules.LineLimit` (Hadoop's line reader would hold
    the whole line, and fails past 2 GiB); ``long`` (URI -> line numbers) is left out."""
    from urllib.parse import urlparse

    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    by_path = {urlparse(uri).path: uri for uri in long}

    def run(item: tuple[str, bytes]) -> Any:
        uri = by_path[urlparse(item[0]).path]
        name, hour = files[uri]
        skip, cut, number = set(long[uri]), event_rules.LineLimit(max_line_bytes), 0

        def texts() -> Any:  # whole lines, a piece at a time
            for chunk in event_rules.chunks(name, bytes(item[1])):
                yield b"".join(cut.feed(chunk))
            yield b"".join(cut.end())

        for text in texts():
            lines = text.split(b"\n")
            if text.endswith(b"\n") or not text:
                lines.pop()
            for line in lines:
                number += 1
                if number in skip:
                    continue
                try:
                    line.decode("utf-8")
                    bad = False
                except UnicodeDecodeError:
                    bad = True
                yield (line, number, name, hour, bad)

    schema = T.StructType(
        [
            T.StructField("raw", T.BinaryType(), True),
            T.StructField("line_number", T.LongType(), True),
            T.StructField("source_file", T.StringType(), True),
            T.StructField("landing_hour", T.TimestampNTZType(), True),
            T.StructField("bad_utf8", T.BooleanType(), True),
        ]
    )
    rdd = spark.sparkContext.binaryFiles(",".join(sorted(long)), minPartitions=len(long))
    frame = spark.createDataFrame(rdd.flatMap(run), schema, verifySchema=False)
    # binary -> string keeps the bytes as they are (invalid UTF-8 too), as the text source
    return frame.withColumn("raw", F.col("raw").cast("string"))


def read_files_native(
    spark: Any,
    files: dict[str, tuple[str, Any]],
    inspected: Inspected,
    max_line_bytes: int = event_rules.MAX_LINE_BYTES,
) -> tuple[Any, list[Any]]:
    """Landing files (URI -> (``source_file``, naive landing hour)) -> (their lines, read by
    Spark's text source with exact line numbers; the reader's rejects: ``corrupt-file`` and
    ``line-too-long`` rows).

    Only files :func:`inspect_files` could read are read; empty files have no lines. A file
    with a line over ``max_line_bytes`` is read by :func:`_bounded_lines` instead.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    rejects = [
        event_rules.corrupt_file_row(files[uri][0], files[uri][1], err)
        for uri, (_n, err, _bad, _long) in sorted(inspected.items())
        if err is not None
    ]
    long = {
        uri: [number for number, _o, _s in cut]
        for uri, (_n, err, _bad, cut) in sorted(inspected.items())
        if err is None and cut
    }
    for uri in long:
        name, hour = files[uri]
        rejects.extend(
            event_rules.reject_row(
                name,
                hour,
                event_rules.LINE_TOO_LONG,
                event_rules.too_long_detail(size, offset, max_line_bytes),
                number,
            )
            for number, offset, size in inspected[uri][3]
        )
    good = sorted(
        uri
        for uri, (n, err, _bad, _l) in inspected.items()
        if err is None and n and uri not in long
    )
    key_schema = T.StructType(
        [
            T.StructField("_key", T.StringType()),
            T.StructField("source_file", T.StringType()),
            T.StructField("landing_hour", T.TimestampNTZType()),
            T.StructField("_bad", T.ArrayType(T.LongType())),
        ]
    )
    keys = [
        (k, files[uri][0], files[uri][1], inspected[uri][2]) for uri in good for k in _keys(uri)
    ]
    if len(keys) != len({k[0] for k in keys}):
        raise RuntimeError("two landing files share year=/month=/day=/hour=/name: cannot map")
    columns = ("raw", "line_number", "source_file", "landing_hour", "bad_utf8")
    bounded = _bounded_lines(spark, files, long, max_line_bytes) if long else None
    if not good:
        from taxiway.jobs.spark_core import lines_schema

        if bounded is not None:
            return bounded.select(*columns), rejects
        return spark.createDataFrame([], lines_schema()), rejects
    for key, value in READ_CONF.items():
        spark.conf.set(key, value)
    text = spark.read.option("lineSep", "\n").text(good)
    lines = text.select(
        F.col("value").alias("raw"),
        ((F.monotonically_increasing_id().bitwiseAND(_ROW_BITS)) + 1).alias("line_number"),
        # year=/month=/day=/hour=/file (a regexp_extract here cost 5x the whole read)
        F.substring_index(F.input_file_name(), "/", -5).alias("_key"),
    )
    mapping = F.broadcast(spark.createDataFrame(keys, key_schema))
    joined = lines.join(mapping, "_key")
    bad = F.array_contains(F.col("_bad"), F.col("line_number"))
    out = joined.withColumn("bad_utf8", bad).select(*columns)
    if bounded is not None:
        out = out.unionByName(bounded.select(*columns))
    return out, rejects


def expected_lines(files: dict[str, tuple[str, Any]], inspected: Inspected) -> dict[str, int]:
    """``source_file`` -> its number of lines, for every file the inspection could read."""
    return {files[uri][0]: n for uri, (n, err, _b, _l) in inspected.items() if err is None and n}


def check_line_numbers(got: dict[str, tuple[int, int]], expected: dict[str, int]) -> None:
    """Every readable file has exactly its lines, numbered 1..n (else a clear error):
    proves that Spark read each file whole, in order, in one task.

    ``got`` is :func:`taxiway.jobs.spark_core.tally`'s (rows with a line number, largest
    line number) per source file, so the check costs no pass of its own; ``expected`` is
    :func:`expected_lines`.
    """
    wrong: dict[str, tuple[int | None, tuple[int, int] | None]] = {
        name: (n, got.get(name)) for name, n in expected.items() if got.get(name) != (n, n)
    }
    wrong = wrong or {name: (None, v) for name, v in got.items() if name not in expected}
    if wrong:
        raise RuntimeError(
            f"Spark's text reader did not number the lines of `{sorted(wrong)[0]}` as "
            f"expected (expected lines, (rows, last line number)): {wrong}; nothing was "
            "published. Check `spark.sql.files.openCostInBytes` / `maxPartitionBytes`."
        )


#: Landing lines per shuffle partition (about 128 MiB of classified rows): the shuffles
#: (the dedupe's id pairs, the partitioned writes) are sized to the input, not to Spark's
#: fixed default of 200 (or 96 tasks for a day of 24 files).
LINES_PER_PARTITION = 250_000


def shuffle_partitions(spark: Any, inspected: Inspected) -> int:
    """Shuffle partitions for the inspected files: one per ``LINES_PER_PARTITION`` lines,
    at least one per core (``defaultParallelism``)."""
    lines: int = sum(n for n, err, _bad, _l in inspected.values() if err is None and n)
    cores: int = spark.sparkContext.defaultParallelism
    return max(cores, -(-lines // LINES_PER_PARTITION))


def classify_files_native(
    spark: Any,
    files: dict[str, tuple[str, Any]],
    lookback_days: int,
    future_hours: int = event_rules.FUTURE_TOLERANCE_HOURS,
    max_line_bytes: int = event_rules.MAX_LINE_BYTES,
) -> tuple[Any, list[Any], dict[str, int]]:
    """Read and classify landing files natively -> (classified rows, the cached frames they
    are read from: the caller unpersists them when done, the line count of every readable
    file: pass it with :func:`taxiway.jobs.spark_core.tally`'s to :func:`check_line_numbers`
    before anything is published).

    Files are read by Spark's text source (no Python per line); lines are typed by Spark
    SQL when plain, else by the Python rules; each corrupt gzip becomes one reject, each
    line over ``max_line_bytes`` one ``line-too-long`` reject (its text is never held).
    Each line is read and parsed once: later actions read the cache.
    """
    from taxiway.jobs import spark_core

    if not files:
        empty = spark.createDataFrame([], spark_core.row_schema())
        return empty, [], {}
    inspected = inspect_files(spark, files, max_line_bytes)
    spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions(spark, inspected)))
    lines, corrupt = read_files_native(spark, files, inspected, max_line_bytes)
    classified, cached = classify_lines_native(spark, lines, lookback_days, corrupt, future_hours)
    return classified, cached, expected_lines(files, inspected)
