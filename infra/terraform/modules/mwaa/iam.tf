# Execution role: what MWAA itself needs (its bucket, its log groups, its Celery queues, the
# key) plus what the DAGs do (add steps to this environment's cluster, run Athena queries in
# this environment's workgroup over this environment's Glue database and buckets). The few
# actions that AWS does not scope to a resource (ListClusters, DescribeLogGroups,
# PutMetricData, GetAccountPublicAccessBlock) are the only statements on "*".

locals {
  env_arn  = "arn:${local.partition}:airflow:${local.region}:${local.account_id}:environment/${local.name}"
  glue_arn = "arn:${local.partition}:glue:${local.region}:${local.account_id}"
  logs_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:airflow-${local.name}-*"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-mwaa-execution"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "execution" {
  name   = "mwaa-and-pipeline"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "PublishMetrics"
    actions   = ["airflow:PublishMetrics"]
    resources = [local.env_arn]
  }

  statement {
    sid = "ReadDagsBucket"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:ListBucket",
      "s3:GetBucketLocation",
      "s3:GetBucketVersioning",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetEncryptionConfiguration",
    ]
    resources = [var.bucket_arns["mwaa"], "${var.bucket_arns["mwaa"]}/*"]
  }

  statement {
    sid       = "AccountPublicAccessBlockIsAccountWide"
    actions   = ["s3:GetAccountPublicAccessBlock"]
    resources = ["*"]
  }

  statement {
    sid = "OwnLogGroups"
    actions = [
      "logs:CreateLogStream",
      "logs:CreateLogGroup",
      "logs:PutLogEvents",
      "logs:GetLogEvents",
      "logs:GetLogRecord",
      "logs:GetLogGroupFields",
      "logs:GetQueryResults",
    ]
    resources = [local.logs_arn, "${local.logs_arn}:*"]
  }

  statement {
    sid       = "DescribeLogGroupsIsAccountWide"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }

  statement {
    sid       = "MwaaMetricsOnly"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["AmazonMWAA"]
    }
  }

  statement {
    sid = "CeleryQueues"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:*:airflow-celery-*"]
  }

  # The key through the services that use it for MWAA and the pipeline (AWS's documented
  # execution role): SQS (Celery), S3 (every bucket is SSE-KMS) and Glue (the encrypted
  # catalog). Never directly, except DescribeKey below.
  statement {
    sid       = "EnvironmentKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com", "s3.${local.region}.amazonaws.com", "glue.${local.region}.amazonaws.com"]
    }
  }

  # --- the pipeline: exactly what the DAG's aws tasks call, and what Athena does with their
  # credentials (tests/integration/aws/test_iam_policies.py records the calls on the twin)

  statement {
    sid       = "FindClusterByNameAndSubnet"
    actions   = ["elasticmapreduce:ListClusters", "elasticmapreduce:DescribeSecurityConfiguration", "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]
    resources = ["*"]
  }

  # The cluster's log encryption key: its ARN for RunJobFlow (a direct call).
  statement {
    sid       = "FindTheLogKey"
    actions   = ["kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  # Steps on the environment's clusters: the DAG creates them, each with the environment tag.
  statement {
    sid = "StepsOnOwnClusters"
    actions = [
      "elasticmapreduce:AddJobFlowSteps",
      "elasticmapreduce:DescribeStep",
      "elasticmapreduce:ListSteps",
    ]
    resources = ["arn:${local.partition}:elasticmapreduce:${local.region}:${local.account_id}:cluster/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/taxiway:env"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "CreateOwnCluster"
    actions   = ["elasticmapreduce:RunJobFlow"]
    resources = ["*"] # RunJobFlow has no resource type; the request-tag condition scopes it
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/taxiway:env"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "TagOwnClusters"
    actions   = ["elasticmapreduce:AddTags"]
    resources = ["arn:${local.partition}:elasticmapreduce:${local.region}:${local.account_id}:cluster/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/taxiway:env"
      values   = [var.environment]
    }
  }

  # RunJobFlow with an AutoTerminationPolicy also needs this (the idle timeout).
  statement {
    sid       = "AutoTerminateOwnClusters"
    actions   = ["elasticmapreduce:PutAutoTerminationPolicy"]
    resources = ["arn:${local.partition}:elasticmapreduce:${local.region}:${local.account_id}:cluster/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/taxiway:env"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "PassEmrRoles"
    actions   = ["iam:PassRole"]
    resources = [var.emr_service_role_arn, var.emr_instance_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["elasticmapreduce.amazonaws.com", "ec2.amazonaws.com"]
    }
  }

  statement {
    sid       = "QueriesInOwnWorkgroup"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution"]
    resources = [var.athena_workgroup_arn]
  }

  statement {
    sid       = "FindOwnDatabase"
    actions   = ["glue:GetDatabase"]
    resources = ["${local.glue_arn}:catalog", "${local.glue_arn}:database/${var.glue_database}"]
  }

  # Reports read the tables (through Athena); register_partitions reads `events`.
  statement {
    sid     = "ReadOwnTables"
    actions = ["glue:GetTable", "glue:GetPartitions"]
    resources = [
      "${local.glue_arn}:catalog",
      "${local.glue_arn}:database/${var.glue_database}",
      "${local.glue_arn}:table/${var.glue_database}/*",
    ]
  }

  statement {
    sid     = "AddEventPartitions"
    actions = ["glue:BatchCreatePartition"]
    resources = [
      "${local.glue_arn}:catalog",
      "${local.glue_arn}:database/${var.glue_database}",
      "${local.glue_arn}:table/${var.glue_database}/events",
    ]
  }

  # The report switch (ALTER TABLE ... SET LOCATION): the report tables only, never events.
  statement {
    sid     = "SwitchReportTables"
    actions = ["glue:UpdateTable"]
    resources = concat(
      ["${local.glue_arn}:catalog", "${local.glue_arn}:database/${var.glue_database}"],
      [for t in var.report_tables : "${local.glue_arn}:table/${var.glue_database}/${t}"],
    )
  }

  # Athena lists what it reads (curated) and checks UNLOAD's target is empty (reports);
  # expire_old_prefixes lists the reports' prefixes.
  statement {
    sid       = "ListCuratedAndReports"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arns["curated"], var.bucket_arns["reports"]]
  }

  statement {
    sid       = "LocateQueryResults"
    actions   = ["s3:GetBucketLocation"]
    resources = [var.bucket_arns["artifacts"]]
  }

  statement {
    sid       = "WriteHourlyCounts"
    actions   = ["s3:PutObject"]
    resources = ["${var.bucket_arns["curated"]}/hourly_counts/*"]
  }

  # The run manifest, and what Athena reads for the reports.
  statement {
    sid       = "ReadCurated"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns["curated"]}/*"]
  }

  # Athena writes UNLOAD's files with the caller's credentials; old prefixes are deleted.
  statement {
    sid = "WriteReports"
    actions = [
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${var.bucket_arns["reports"]}/*"]
  }

  statement {
    sid       = "WriteQueryResults"
    actions   = ["s3:PutObject"]
    resources = ["${var.bucket_arns["artifacts"]}/athena-results/*"]
  }
}
