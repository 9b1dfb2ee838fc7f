"""The event contract (DESIGN.md): field names, types, reason codes. Pure data, stdlib only."""

from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = ("impression", "click", "page_view", "add_to_cart", "conversion")

#: Fields that must be present, non-null and non-empty strings.
REQUIRED: tuple[str, ...] = ("event_id", "event_type", "event_ts", "anonymous_id")

#: Optional string fields, in output order.
OPTIONAL_STRINGS: tuple[str, ...] = (
    "user_id",
    "session_id",
    "campaign_id",
    "ad_id",
    "channel",
    "page_url",
    "referrer",
    "currency",
    "order_id",
    "user_agent",
    "country",
)

#: Every field of the contract, in the curated table's column order.
FIELDS: tuple[str, ...] = (
    "event_id",
    "event_type",
    "event_ts",
    "received_ts",
    "anonymous_id",
    *OPTIONAL_STRINGS[:7],
    "revenue",
    *OPTIONAL_STRINGS[7:],
    "properties",
)

#: The ``wrong-type`` detail's ending for a revenue that is a JSON number but no
#: DECIMAL(18,4) value (NaN, Infinity, 1e30): quarantined, never a silent NULL revenue.
REVENUE_RANGE = " (NaN, Infinity or out of DECIMAL(18,4) range)"

#: Reason codes of quarantined records, in the order the checks apply (first match wins).
REASONS: tuple[str, ...] = (
    "corrupt-file",  # file-level: the file cannot be decompressed or read at all
    "line-too-long",  # the line is longer than pipeline.max_line_bytes (its text is not kept)
    "malformed-json",  # the line is not a JSON object (or not UTF-8)
    "missing-required-field",  # a REQUIRED field is absent, null or empty
    "wrong-type",  # a field has the wrong JSON type (or revenue is not a decimal)
    "unknown-event-type",  # event_type is not one of EVENT_TYPES
    "bad-timestamp",  # event_ts or received_ts is not an ISO-8601 timestamp
    "too-late",  # event_ts is older than the late-event lookback before its landing hour
    "future-timestamp",  # event_ts is later than its landing hour's end plus a tolerance
)

#: Default tolerance of the future-timestamp rule (``pipeline.future_tolerance_hours``).
FUTURE_TOLERANCE_HOURS = 1

#: Curated `events` table columns (DuckDB types); the Glue table mirrors them.
CURATED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id", "VARCHAR"),
    ("event_type", "VARCHAR"),
    ("event_ts", "TIMESTAMP"),
    ("received_ts", "TIMESTAMP"),
    ("anonymous_id", "VARCHAR"),
    ("user_id", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("campaign_id", "VARCHAR"),
    ("ad_id", "VARCHAR"),
    ("channel", "VARCHAR"),
    ("page_url", "VARCHAR"),
    ("referrer", "VARCHAR"),
    ("revenue", "DECIMAL(18,4)"),
    ("currency", "VARCHAR"),
    ("order_id", "VARCHAR"),
    ("user_agent", "VARCHAR"),
    ("country", "VARCHAR"),
    ("properties", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("landing_hour", "TIMESTAMP"),
    ("event_date", "DATE"),
)

QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("landing_hour", "TIMESTAMP"),
    ("source_file", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("raw_line", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("detail", "VARCHAR"),
    ("run_id", "VARCHAR"),
)
