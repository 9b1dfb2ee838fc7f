# Two roles: the EMR service role (AWS's v2 managed policy, which only acts on resources
# tagged for-use-with-amazon-emr-managed-policies=true, plus PassRole for our instance role)
# and the instance role the Spark jobs run as (its buckets, its Glue database, its key).

locals {
  glue_arn = "arn:${local.partition}:glue:${local.region}:${local.account_id}"
}

data "aws_iam_policy_document" "service_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["elasticmapreduce.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "service" {
  name               = "${local.name}-emr-service"
  assume_role_policy = data.aws_iam_policy_document.service_assume.json
}

resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.service.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"
}

data "aws_iam_policy_document" "service" {
  statement {
    sid       = "PassTheInstanceRoleToEc2"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.instance.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com"]
    }
  }

  statement {
    sid       = "EncryptLocalDisks"
    actions   = ["kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "service" {
  name   = "pass-role-and-kms"
  role   = aws_iam_role.service.id
  policy = data.aws_iam_policy_document.service.json
}

data "aws_iam_policy_document" "instance_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name               = "${local.name}-emr-instance"
  assume_role_policy = data.aws_iam_policy_document.instance_assume.json
}

resource "aws_iam_instance_profile" "instance" {
  name = "${local.name}-emr-instance"
  role = aws_iam_role.instance.name
}

data "aws_iam_policy_document" "instance" {
  statement {
    sid     = "ListTheLake"
    actions = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [
      var.bucket_arns["landing"],
      var.bucket_arns["curated"],
      var.bucket_arns["reports"],
      var.bucket_arns["artifacts"],
    ]
  }

  statement {
    sid     = "ReadLandingAndJobs"
    actions = ["s3:GetObject"]
    resources = [
      "${var.bucket_arns["landing"]}/*",
      "${var.bucket_arns["artifacts"]}/jobs/*",
      "${var.bucket_arns["artifacts"]}/emr/*",
    ]
  }

  statement {
    sid = "WriteCuratedAndReports"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = [
      "${var.bucket_arns["curated"]}/*",
      "${var.bucket_arns["reports"]}/*",
    ]
  }

  statement {
    sid       = "WriteClusterLogs"
    actions   = ["s3:PutObject"]
    resources = ["${var.bucket_arns["logs"]}/emr/*"]
  }

  # EMR's own software and bootstrap repositories in this region.
  statement {
    sid     = "ReadEmrRepositories"
    actions = ["s3:GetObject"]
    resources = [
      "arn:${local.partition}:s3:::${local.region}.elasticmapreduce/*",
      "arn:${local.partition}:s3:::repo.${local.region}.emr/*",
    ]
  }

  statement {
    sid = "GlueCatalogOfThisEnvironment"
    actions = [
      "glue:GetDatabase",
      "glue:GetDatabases",
      "glue:GetTable",
      "glue:GetTables",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:CreatePartition",
      "glue:BatchCreatePartition",
      "glue:UpdatePartition",
      "glue:DeletePartition",
      "glue:BatchDeletePartition",
      "glue:UpdateTable",
      "glue:GetUserDefinedFunctions",
    ]
    resources = [
      "${local.glue_arn}:catalog",
      "${local.glue_arn}:database/${var.glue_database}",
      "${local.glue_arn}:table/${var.glue_database}/*",
      "${local.glue_arn}:userDefinedFunction/${var.glue_database}/*",
      # Spark's Hive client looks up `default` when it starts.
      "${local.glue_arn}:database/default",
    ]
  }

  statement {
    sid       = "UseTheEnvironmentKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:ReEncrypt*"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid = "DescribeOwnCluster"
    actions = [
      "elasticmapreduce:DescribeCluster",
      "elasticmapreduce:ListBootstrapActions",
      "elasticmapreduce:ListInstanceGroups",
      "elasticmapreduce:ListInstances",
      "elasticmapreduce:ListSteps",
      "elasticmapreduce:DescribeStep",
    ]
    resources = ["arn:${local.partition}:elasticmapreduce:${local.region}:${local.account_id}:cluster/*"]
  }
}

resource "aws_iam_role_policy" "instance" {
  name   = "lake-glue-kms"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.instance.json
}
