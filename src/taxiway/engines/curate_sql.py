"""The curate step's SQL for DuckDB, built from the event contract (pure string building).

Each line is validated once (``json_valid``); a valid one is then parsed twice, the least
found fast here (see benchmarks/curate.py): once by ``json_transform`` into a struct of
strings (the values) and once by a multi-path ``json_type`` for the fields whose JSON type
the contract fixes (required fields, revenue, properties). Optional string fields are
coerced: a number there is kept as its text. The first failing check gives the reason code (order = ``contract.REASONS``); the human-readable
detail is computed only for rejected rows.
"""

from __future__ import annotations

from taxiway.events.contract import (
    EVENT_TYPES,
    FIELDS,
    OPTIONAL_STRINGS,
    REQUIRED,
    REVENUE_RANGE,
)

TYPED = (*REQUIRED, "received_ts", "revenue", "properties")
TIDX = {name: i + 1 for i, name in enumerate(TYPED)}  # DuckDB lists are 1-based
TYPE_PATHS = "[" + ", ".join(f"'$.{f}'" for f in TYPED) + "]"
STRUCT = "{" + ", ".join(f'"{f}": "VARCHAR"' for f in FIELDS) + "}"
_NUMBER = "'BIGINT', 'UBIGINT', 'DOUBLE'"
_TYPES = ", ".join(f"'{e}'" for e in EVENT_TYPES)


def _t(field: str) -> str:
    return f"t[{TIDX[field]}]"


def _s(field: str) -> str:
    return f"r.{field}"


def _ts(field: str) -> str:
    """A timestamp string -> UTC TIMESTAMP, NULL unless it looks like date + 'T'/' ' + time."""
    s = _s(field)
    return (
        f"CASE WHEN substr({s}, 11, 1) IN ('T', ' ') "
        # the instant's microseconds as a naive UTC timestamp: the same value as
        # timezone('UTC', ...), at half its cost (no calendar arithmetic)
        f"THEN make_timestamp(epoch_us(try_cast({s} AS TIMESTAMPTZ))) END"
    )


def _missing() -> list[tuple[str, str]]:
    return [(f, f"(coalesce({_t(f)}, 'NULL') = 'NULL' OR {_s(f)} = '')") for f in REQUIRED]


def _wrong() -> list[tuple[str, str]]:
    checks = [(f, f"{_t(f)} <> 'VARCHAR'") for f in REQUIRED]
    checks.append(
        ("received_ts", f"coalesce({_t('received_ts')}, 'NULL') NOT IN ('NULL', 'VARCHAR')")
    )
    checks.append(("properties", f"coalesce({_t('properties')}, 'NULL') NOT IN ('NULL', 'OBJECT')"))
    checks.append(
        (
            "revenue",
            # a number or a numeric string, that fits: NaN or 1e30 is no revenue, and would
            # otherwise become a NULL revenue without a word
            f"NOT (coalesce({_t('revenue')}, 'NULL') = 'NULL' OR "
            f"({_t('revenue')} IN ({_NUMBER}, 'VARCHAR') AND "
            f"try_cast({_s('revenue')} AS DECIMAL(18,4)) IS NOT NULL))",
        )
    )
    return checks


def _late(lookback_days: int) -> str:
    return f"event_ts_utc < landing_hour - INTERVAL {int(lookback_days)} DAY"


def _future(tolerance_hours: int) -> str:
    # the landing hour ends one hour after it starts; the tolerance absorbs clock skew
    return f"event_ts_utc > landing_hour + INTERVAL {int(tolerance_hours) + 1} HOUR"


#: JSON's four whitespace characters: a valid document starting with ``{`` is an object,
#: which saves parsing every line a second time with ``json_type(raw)``.
_WS = "' ' || chr(9) || chr(10) || chr(13)"


def classify_sql(lookback_days: int, source: str = "raw_lines", future_hours: int = 1) -> str:
    """``source``(raw, landing_hour, bad_utf8, ...any other columns) -> classified rows.

    Every column of ``source`` is kept, followed by ``doc``, ``t``, ``r``, ``event_ts_utc``,
    ``received_ts_utc`` and ``reason`` (NULL for a valid line).
    """
    any_missing = " OR ".join(cond for _, cond in _missing())
    any_wrong = " OR ".join(cond for _, cond in _wrong())
    return f"""
WITH j AS (
    SELECT *,
           CASE WHEN NOT bad_utf8 AND json_valid(raw)
                     AND (starts_with(raw, '{{') OR starts_with(ltrim(raw, {_WS}), '{{'))
                THEN raw END AS doc
    FROM {source}
), f AS (
    SELECT *, json_type(doc, {TYPE_PATHS}) AS t, json_transform(doc, '{STRUCT}') AS r FROM j
), v AS (
    SELECT *, {_ts("event_ts")} AS event_ts_utc, {_ts("received_ts")} AS received_ts_utc FROM f
)
SELECT
    *,
    CASE
        WHEN doc IS NULL THEN 'malformed-json'
        WHEN {any_missing} THEN 'missing-required-field'
        WHEN {any_wrong} THEN 'wrong-type'
        WHEN {_s("event_type")} NOT IN ({_TYPES}) THEN 'unknown-event-type'
        WHEN event_ts_utc IS NULL THEN 'bad-timestamp'
        WHEN {_s("received_ts")} IS NOT NULL AND received_ts_utc IS NULL THEN 'bad-timestamp'
        WHEN {_late(lookback_days)} THEN 'too-late'
        WHEN {_future(future_hours)} THEN 'future-timestamp'
    END AS reason
FROM v
"""


def detail_sql(lookback_days: int, future_hours: int = 1) -> str:
    """A human-readable detail for a classified, rejected row (evaluated on rejects only)."""
    missing = " ".join(f"WHEN {cond} THEN 'missing `{f}`'" for f, cond in _missing())
    out_of_range = (
        f" || CASE WHEN {_t('revenue')} IN ({_NUMBER}) THEN '{REVENUE_RANGE}' ELSE '' END"
    )
    wrong = " ".join(
        f"WHEN {cond} THEN 'field `{f}` is ' || lower(coalesce({_t(f)}, '?'))"
        + (out_of_range if f == "revenue" else "")
        for f, cond in _wrong()
    )
    return f"""CASE
        WHEN reason = 'malformed-json' THEN CASE WHEN json_valid(raw)
            THEN 'JSON value is not an object' ELSE 'not valid JSON (or not UTF-8)' END
        WHEN reason = 'missing-required-field' THEN CASE {missing} END
        WHEN reason = 'wrong-type' THEN CASE {wrong} END
        WHEN reason = 'unknown-event-type'
            THEN 'event_type `' || {_s("event_type")} || '` is not one of {"|".join(EVENT_TYPES)}'
        WHEN reason = 'bad-timestamp' AND event_ts_utc IS NULL
            THEN 'event_ts `' || {_s("event_ts")} || '` is not an ISO-8601 timestamp'
        WHEN reason = 'bad-timestamp'
            THEN 'received_ts `' || {_s("received_ts")} || '` is not an ISO-8601 timestamp'
        WHEN reason = 'too-late'
            THEN 'event_ts is more than {int(lookback_days)} days before its landing hour'
        WHEN reason = 'future-timestamp'
            THEN 'event_ts `' || {_s("event_ts")} || '` is more than {int(future_hours)} hour(s) '
                 || 'after its landing hour ends'
    END"""


def typed_columns() -> str:
    """SELECT list turning a classified row into the curated ``events`` columns, except
    ``source_file`` (the engine keeps a file number per row and joins the name at write)."""
    cols = [
        f"{_s('event_id')} AS event_id",
        f"{_s('event_type')} AS event_type",
        "event_ts_utc AS event_ts",
        "received_ts_utc AS received_ts",
        f"{_s('anonymous_id')} AS anonymous_id",
    ]
    for f in OPTIONAL_STRINGS[:7]:
        cols.append(f"{_s(f)} AS {f}")
    cols.append(f"try_cast({_s('revenue')} AS DECIMAL(18,4)) AS revenue")
    for f in OPTIONAL_STRINGS[7:]:
        cols.append(f"{_s(f)} AS {f}")
    cols.append(f"{_s('properties')} AS properties")
    cols += ["landing_hour", "CAST(event_ts_utc AS DATE) AS event_date"]
    return ",\n    ".join(cols)
