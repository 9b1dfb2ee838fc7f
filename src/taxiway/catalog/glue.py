"""The Glue Data Catalog tables of an AWS environment, as data (Hive types).

The one definition of what Athena sees: Terraform's ``modules/analytics/tables.tf`` spells
the same columns, the AWS twin creates its tables from :func:`table_inputs`, and the twin's
Athena emulator checks each report's UNLOAD output against these columns, so a report SQL
change that Glue does not follow fails a test.

Layout (the curate job's, ``taxiway.jobs.curate_spark``; the DAG's ``register_partitions``):

* ``events``: ``s3://<curated>/curated/events/event_date=D/landing_hour=H.parquet``,
  partitioned by ``event_date``; partitions added from each run's manifest.
* ``quarantine``: ``s3://<curated>/quarantine/landing_hour=H.parquet``.
* ``hourly_counts``: ``s3://<curated>/hourly_counts/landing_hour=H.json``, one JSON line per
  landing hour with the latest run's counts (feeds ``data_quality_hourly``).
* one table per report, its location switched to each refresh's run-scoped prefix.
"""

from __future__ import annotations

from typing import Any

from taxiway.events.contract import CURATED_COLUMNS, QUARANTINE_COLUMNS

_HIVE = {"VARCHAR": "string", "TIMESTAMP": "timestamp", "BIGINT": "bigint", "DATE": "date"}

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    },
}
JSON_LINES = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
}

HOURLY_COUNTS = (
    ("landing_hour", "timestamp"),  # written `2026-11-23 07:00:00`, as the JSON SerDe reads it
    ("run_id", "string"),
    ("finished_at", "string"),
    ("input_records", "bigint"),
    ("curated_new", "bigint"),
    ("duplicates", "bigint"),
    ("quarantined", "bigint"),
)

#: report columns, in the order the report SQL selects them
REPORTS: dict[str, tuple[tuple[str, str], ...]] = {
    "campaign_daily_kpis": (
        ("event_date", "date"),
        ("campaign_id", "string"),
        ("impressions", "bigint"),
        ("clicks", "bigint"),
        ("ctr", "double"),
        ("unique_users", "bigint"),
        ("conversions", "bigint"),
        ("cvr", "double"),
        ("revenue", "decimal(18,4)"),
    ),
    "attribution_last_click": (
        ("conversion_date", "date"),
        ("campaign_id", "string"),
        ("conversions", "bigint"),
        ("revenue", "decimal(18,4)"),
    ),
    "daily_funnel": (
        ("event_date", "date"),
        ("page_view_users", "bigint"),
        ("add_to_cart_users", "bigint"),
        ("conversion_users", "bigint"),
        ("view_to_cart_rate", "double"),
        ("cart_to_conversion_rate", "double"),
        ("view_to_conversion_rate", "double"),
    ),
    "data_quality_hourly": (
        ("landing_hour", "timestamp"),
        ("run_id", "string"),
        ("received", "bigint"),
        ("curated", "bigint"),
        ("duplicates", "bigint"),
        ("quarantined", "bigint"),
        ("quarantine_rate", "double"),
        ("balanced", "boolean"),
        ("quarantine_rows", "bigint"),
        ("quarantined_malformed_json", "bigint"),
        ("quarantined_missing_required_field", "bigint"),
        ("quarantined_wrong_type", "bigint"),
        ("quarantined_unknown_event_type", "bigint"),
        ("quarantined_bad_timestamp", "bigint"),
        ("quarantined_too_late", "bigint"),
        ("quarantined_future_timestamp", "bigint"),
        ("quarantined_corrupt_file", "bigint"),
        ("quarantined_line_too_long", "bigint"),
    ),
}


def hive_type(duckdb_type: str) -> str:
    """The Hive (Glue) spelling of a DuckDB column type of the event contract."""
    return _HIVE.get(duckdb_type, duckdb_type.lower())


def _columns(cols: Any) -> list[dict[str, str]]:
    return [{"Name": n, "Type": t} for n, t in cols]


def table_inputs(curated_bucket: str, reports_bucket: str) -> list[dict[str, Any]]:
    """Glue ``TableInput`` documents of every table (``CreateTable`` takes them as they are)."""
    events = [(n, hive_type(t)) for n, t in CURATED_COLUMNS if n != "event_date"]
    quarantine = [(n, hive_type(t)) for n, t in QUARANTINE_COLUMNS]
    base = {"TableType": "EXTERNAL_TABLE"}
    tables: list[dict[str, Any]] = [
        {
            **base,
            "Name": "events",
            "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
            "PartitionKeys": [{"Name": "event_date", "Type": "date"}],
            "StorageDescriptor": {
                **PARQUET,
                "Location": f"s3://{curated_bucket}/curated/events/",
                "Columns": _columns(events),
            },
        },
        {
            **base,
            "Name": "quarantine",
            "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
            "StorageDescriptor": {
                **PARQUET,
                "Location": f"s3://{curated_bucket}/quarantine/",
                "Columns": _columns(quarantine),
            },
        },
        {
            **base,
            "Name": "hourly_counts",
            "Parameters": {"EXTERNAL": "TRUE", "classification": "json"},
            "StorageDescriptor": {
                **JSON_LINES,
                "Location": f"s3://{curated_bucket}/hourly_counts/",
                "Columns": _columns(HOURLY_COUNTS),
            },
        },
    ]
    for name, cols in REPORTS.items():
        tables.append(
            {
                **base,
                "Name": name,
                "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
                "StorageDescriptor": {
                    **PARQUET,
                    "Location": f"s3://{reports_bucket}/{name}/",
                    "Columns": _columns(cols),
                },
            }
        )
    return tables
