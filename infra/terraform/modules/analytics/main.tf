# The Glue Data Catalog side of the lake and the Athena workgroup that the DAGs' AthenaOperators
# and the BI tool use. Names follow dags/taxiway_dags/settings.py: database `<project>_<env>`
# (Athena dislikes hyphens in database names), workgroup `<project>-<env>`.

locals {
  database  = "${var.project}_${var.environment}"
  workgroup = "${var.project}-${var.environment}"

  parquet = {
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    serde         = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
  }
}

# Encrypts table metadata with the environment key. One per account and region: each
# environment lives in its own account (see access module and infra/README.md).
resource "aws_glue_data_catalog_encryption_settings" "this" {
  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.kms_key_arn
    }
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.kms_key_arn
    }
  }
}

resource "aws_glue_catalog_database" "this" {
  name        = local.database
  description = "taxiway ${var.environment}: curated events, quarantine and reports"
}

resource "aws_athena_workgroup" "this" {
  name        = local.workgroup
  description = "taxiway ${var.environment}: DAG report queries and BI access"

  configuration {
    # Clients cannot override the result location or turn encryption off.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.artifacts_bucket}/athena-results/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}
