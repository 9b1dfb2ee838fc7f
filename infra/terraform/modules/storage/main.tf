# Buckets of one environment: landing, curated, reports, artifacts and mwaa (named
# `<project>-<env>-<role>`, as taxiway.config.Environment.bucket() computes them), plus a logs
# bucket that receives S3 server access logs and EMR logs. One customer-managed KMS key
# encrypts the data buckets and every other component of the environment (logs, MWAA, EMR,
# Glue, Athena), so revoking the key revokes the environment's data.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  prefix = "${var.project}-${var.environment}"

  # Lifecycle per role. Landing keeps the raw Kafka output (the replay source) but moves it
  # to colder storage; Athena query results are scratch and expire quickly.
  buckets = {
    landing   = { ia_days = 30, glacier_days = 90, expire_days = null, expire_prefix = "", noncurrent_days = 30 }
    curated   = { ia_days = 90, glacier_days = null, expire_days = null, expire_prefix = "", noncurrent_days = 30 }
    reports   = { ia_days = null, glacier_days = null, expire_days = null, expire_prefix = "", noncurrent_days = 30 }
    artifacts = { ia_days = null, glacier_days = null, expire_days = 30, expire_prefix = "athena-results/", noncurrent_days = 30 }
    mwaa      = { ia_days = null, glacier_days = null, expire_days = null, expire_prefix = "", noncurrent_days = 90 }
  }

  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
}

# ---------------------------------------------------------------------------- KMS

resource "aws_kms_key" "this" {
  description             = "${local.prefix}: buckets, logs, MWAA, EMR, Glue and Athena"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.prefix}"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_iam_policy_document" "kms" {
  # A key policy's Resource is always the key itself ("*" means "this key"); the account
  # statement lets IAM policies (scoped to the key ARN) grant use, as AWS recommends.
  #checkov:skip=CKV_AWS_109:Key policy: "*" is this key; the account root statement delegates to IAM policies scoped to the key ARN.
  #checkov:skip=CKV_AWS_111:Key policy: "*" is this key; the account root statement delegates to IAM policies scoped to the key ARN.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is this key; the account root statement delegates to IAM policies scoped to the key ARN.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncryptsThisAccountsLogGroups"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }
}

# ---------------------------------------------------------------------------- data buckets

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Single-region platform: landing data is replayable from Kafka and versioning guards against deletes; cross-region replication would double storage cost.
  #checkov:skip=CKV2_AWS_62:Nothing consumes S3 event notifications; Airflow schedules the pipeline by landing hour.
  for_each = local.buckets

  # Bucket names are global across AWS accounts: they end in the account id (taxiway.naming).
  bucket = "${local.prefix}-${each.key}-${local.account_id}"
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    # S3 Bucket Keys cut KMS request costs by orders of magnitude for Spark's many small reads.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3-access/${each.key}/"

  # S3 checks the target bucket's grant to the logging service when logging is turned on
  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # A policy PUT before the public access block can race it; order them.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

data "aws_iam_policy_document" "tls_only" {
  for_each = local.buckets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "versions-and-uploads"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = local.buckets[each.key].noncurrent_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = local.buckets[each.key].ia_days == null && local.buckets[each.key].glacier_days == null ? [] : [local.buckets[each.key]]
    content {
      id     = "storage-class"
      status = "Enabled"
      filter {}
      dynamic "transition" {
        for_each = rule.value.ia_days == null ? [] : [rule.value.ia_days]
        content {
          days          = transition.value
          storage_class = "STANDARD_IA"
        }
      }
      dynamic "transition" {
        for_each = rule.value.glacier_days == null ? [] : [rule.value.glacier_days]
        content {
          days          = transition.value
          storage_class = "GLACIER_IR"
        }
      }
    }
  }

  dynamic "rule" {
    for_each = local.buckets[each.key].expire_days == null ? [] : [local.buckets[each.key]]
    content {
      id     = "expire-scratch"
      status = "Enabled"
      filter {
        prefix = rule.value.expire_prefix
      }
      expiration {
        days = rule.value.expire_days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
