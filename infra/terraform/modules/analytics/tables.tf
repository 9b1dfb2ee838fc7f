# Tables: curated `events` (partitioned by event_date, the layout the curate step writes:
# s3://<curated>/curated/events/event_date=YYYY-MM-DD/landing_hour=H.parquet), `quarantine`
# (one file per landing hour, quarantine/landing_hour=H.parquet: unpartitioned, small) and the
# four report tables, whose location the DAG switches to each refresh's run-scoped prefix
# (s3://<reports>/<report>/run=<run id>/). The DAG's register_partitions task adds the
# partitions each run wrote (from its manifest; no MSCK REPAIR) and writes hourly_counts
# (s3://<curated>/hourly_counts/landing_hour=H.json, one JSON line per hour).
# Python's copy of these definitions: taxiway.catalog.glue (tests/infra compares them).

locals {
  event_columns = [
    { name = "event_id", type = "string", comment = "Dedupe key" },
    { name = "event_type", type = "string", comment = "impression|click|page_view|add_to_cart|conversion" },
    { name = "event_ts", type = "timestamp", comment = "Event time, UTC" },
    { name = "received_ts", type = "timestamp", comment = "Collector time, UTC" },
    { name = "anonymous_id", type = "string", comment = "" },
    { name = "user_id", type = "string", comment = "" },
    { name = "session_id", type = "string", comment = "" },
    { name = "campaign_id", type = "string", comment = "" },
    { name = "ad_id", type = "string", comment = "" },
    { name = "channel", type = "string", comment = "" },
    { name = "page_url", type = "string", comment = "" },
    { name = "referrer", type = "string", comment = "" },
    { name = "revenue", type = "decimal(18,4)", comment = "Conversions only" },
    { name = "currency", type = "string", comment = "ISO 4217" },
    { name = "order_id", type = "string", comment = "" },
    { name = "user_agent", type = "string", comment = "" },
    { name = "country", type = "string", comment = "" },
    { name = "properties", type = "string", comment = "Free-form object as JSON text" },
    { name = "source_file", type = "string", comment = "Landing object the event came from" },
    { name = "landing_hour", type = "timestamp", comment = "Landing hour the event arrived in" },
  ]

  quarantine_columns = [
    { name = "landing_hour", type = "timestamp", comment = "Landing hour of the source file" },
    { name = "source_file", type = "string", comment = "" },
    { name = "line_number", type = "bigint", comment = "1-based line in source_file; NULL for a file-level reject" },
    { name = "raw_line", type = "string", comment = "The rejected input line, verbatim" },
    { name = "reason", type = "string", comment = "Reason code (taxiway.events.contract.REASONS)" },
    { name = "detail", type = "string", comment = "" },
    { name = "run_id", type = "string", comment = "Curate run that wrote the record" },
  ]

  # Report columns: taxiway.catalog.glue.REPORTS, in the SQL's order (tests/infra checks).
  reports = {
    campaign_daily_kpis = [
      { name = "event_date", type = "date" },
      { name = "campaign_id", type = "string" },
      { name = "impressions", type = "bigint" },
      { name = "clicks", type = "bigint" },
      { name = "ctr", type = "double" },
      { name = "unique_users", type = "bigint" },
      { name = "conversions", type = "bigint" },
      { name = "cvr", type = "double" },
      { name = "revenue", type = "decimal(18,4)" },
    ]
    attribution_last_click = [
      { name = "conversion_date", type = "date" },
      { name = "campaign_id", type = "string" },
      { name = "conversions", type = "bigint" },
      { name = "revenue", type = "decimal(18,4)" },
    ]
    daily_funnel = [
      { name = "event_date", type = "date" },
      { name = "page_view_users", type = "bigint" },
      { name = "add_to_cart_users", type = "bigint" },
      { name = "conversion_users", type = "bigint" },
      { name = "view_to_cart_rate", type = "double" },
      { name = "cart_to_conversion_rate", type = "double" },
      { name = "view_to_conversion_rate", type = "double" },
    ]
    data_quality_hourly = [
      { name = "landing_hour", type = "timestamp" },
      { name = "run_id", type = "string" },
      { name = "received", type = "bigint" },
      { name = "curated", type = "bigint" },
      { name = "duplicates", type = "bigint" },
      { name = "quarantined", type = "bigint" },
      { name = "quarantine_rate", type = "double" },
      { name = "balanced", type = "boolean" },
      { name = "quarantine_rows", type = "bigint" },
      { name = "quarantined_malformed_json", type = "bigint" },
      { name = "quarantined_missing_required_field", type = "bigint" },
      { name = "quarantined_wrong_type", type = "bigint" },
      { name = "quarantined_unknown_event_type", type = "bigint" },
      { name = "quarantined_bad_timestamp", type = "bigint" },
      { name = "quarantined_too_late", type = "bigint" },
      { name = "quarantined_future_timestamp", type = "bigint" },
      { name = "quarantined_corrupt_file", type = "bigint" },
      { name = "quarantined_line_too_long", type = "bigint" },
    ]
  }

  hourly_counts_columns = [
    { name = "landing_hour", type = "timestamp" },
    { name = "run_id", type = "string" },
    { name = "finished_at", type = "string" },
    { name = "input_records", type = "bigint" },
    { name = "curated_new", type = "bigint" },
    { name = "duplicates", type = "bigint" },
    { name = "quarantined", type = "bigint" },
  ]
}

resource "aws_glue_catalog_table" "events" {
  name          = "events"
  database_name = aws_glue_catalog_database.this.name
  table_type    = "EXTERNAL_TABLE"
  description   = "Curated events: typed, one row per event_id"
  parameters = {
    EXTERNAL           = "TRUE"
    classification     = "parquet"
    "parquet.compress" = "ZSTD"
  }

  partition_keys {
    name = "event_date"
    type = "date"
  }

  storage_descriptor {
    location      = "s3://${var.curated_bucket}/curated/events/"
    input_format  = local.parquet.input_format
    output_format = local.parquet.output_format
    ser_de_info {
      serialization_library = local.parquet.serde
    }
    dynamic "columns" {
      for_each = local.event_columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }
}

resource "aws_glue_catalog_table" "quarantine" {
  name          = "quarantine"
  database_name = aws_glue_catalog_database.this.name
  table_type    = "EXTERNAL_TABLE"
  description   = "Every rejected input record with its reason"
  parameters = {
    EXTERNAL       = "TRUE"
    classification = "parquet"
  }

  storage_descriptor {
    location      = "s3://${var.curated_bucket}/quarantine/"
    input_format  = local.parquet.input_format
    output_format = local.parquet.output_format
    ser_de_info {
      serialization_library = local.parquet.serde
    }
    dynamic "columns" {
      for_each = local.quarantine_columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }
}

resource "aws_glue_catalog_table" "reports" {
  for_each = local.reports

  name          = each.key
  database_name = aws_glue_catalog_database.this.name
  table_type    = "EXTERNAL_TABLE"
  description   = "Report ${each.key}, rebuilt by the DAG's report task"
  parameters = {
    EXTERNAL       = "TRUE"
    classification = "parquet"
  }

  storage_descriptor {
    location      = "s3://${var.reports_bucket}/${each.key}/"
    input_format  = local.parquet.input_format
    output_format = local.parquet.output_format
    ser_de_info {
      serialization_library = local.parquet.serde
    }
    dynamic "columns" {
      for_each = each.value
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }

  lifecycle {
    # each refresh points the table at its own prefix; Terraform must not move it back
    ignore_changes = [storage_descriptor[0].location]
  }
}

resource "aws_glue_catalog_table" "hourly_counts" {
  name          = "hourly_counts"
  database_name = aws_glue_catalog_database.this.name
  table_type    = "EXTERNAL_TABLE"
  description   = "The latest run's counts per landing hour (feeds data_quality_hourly)"
  parameters = {
    EXTERNAL       = "TRUE"
    classification = "json"
  }

  storage_descriptor {
    location      = "s3://${var.curated_bucket}/hourly_counts/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
    }
    dynamic "columns" {
      for_each = local.hourly_counts_columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
