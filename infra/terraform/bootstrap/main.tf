# One-time bootstrap of an environment's Terraform state bucket `<project>-<env>-tfstate`
# (the bucket that envs/<env>/backend.hcl names). Run once per environment account with
# local state; see infra/README.md. The bucket gets the same hardening as the data buckets.

variable "environment" {
  description = "Environment whose state bucket to create (sandbox, test or production)."
  type        = string
  validation {
    condition     = contains(["sandbox", "test", "production"], var.environment)
    error_message = "environment must be sandbox, test or production."
  }
}

locals {
  settings = yamldecode(file("${path.module}/../../../taxiway.yaml"))
  region   = local.settings.environments[var.environment].region
  name     = "${local.settings.project}-${var.environment}-tfstate"
}

provider "aws" {
  region = local.region
  default_tags {
    tags = {
      project     = local.settings.project
      environment = var.environment
      managed-by  = "terraform-bootstrap"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_kms_key" "state" {
  description             = "${local.name}: Terraform state"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:Key policy: "*" is this key; the account root statement delegates to IAM policies scoped to the key ARN.
  #checkov:skip=CKV_AWS_111:Key policy: "*" is this key; the account root statement delegates to IAM policies scoped to the key ARN.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is this key; the account root statement delegates to IAM policies scoped to the key ARN.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:The state bucket is read and written by Terraform only; CloudTrail data events cover its access.
  #checkov:skip=CKV_AWS_144:State is small and versioned; losing the region loses the environment it describes too.
  #checkov:skip=CKV2_AWS_62:Nothing consumes S3 event notifications for Terraform state.
  bucket = local.name

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket     = aws_s3_bucket.state.id
  policy     = data.aws_iam_policy_document.state.json
  depends_on = [aws_s3_bucket_public_access_block.state]
}

data "aws_iam_policy_document" "state" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
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

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "old-state-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

output "state_bucket" {
  description = "Name of the state bucket (matches envs/<env>/backend.hcl)."
  value       = aws_s3_bucket.state.id
}
