# What people in each role may do in the environment's account, scoped to its resources.

locals {
  glue_arn    = "arn:aws:glue:${var.region}:${var.account_id}"
  airflow_arn = "arn:aws:airflow:${var.region}:${var.account_id}"
  data_buckets = [
    var.bucket_arns["landing"],
    var.bucket_arns["curated"],
    var.bucket_arns["reports"],
    var.bucket_arns["artifacts"],
    var.bucket_arns["mwaa"],
  ]
}

data "aws_iam_policy_document" "data_engineer" {
  statement {
    sid       = "ListTheLake"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = local.data_buckets
  }

  statement {
    sid       = "ReadTheLake"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for arn in local.data_buckets : "${arn}/*"]
  }

  # Deploy DAGs and Spark jobs, replay landing files in sandbox/test, fix curated data.
  statement {
    sid     = "WriteDagsJobsAndData"
    actions = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [
      "${var.bucket_arns["mwaa"]}/dags/*",
      "${var.bucket_arns["artifacts"]}/jobs/*",
      "${var.bucket_arns["artifacts"]}/athena-results/*",
      "${var.bucket_arns["landing"]}/*",
      "${var.bucket_arns["curated"]}/*",
      "${var.bucket_arns["reports"]}/*",
    ]
  }

  statement {
    sid       = "EnvironmentKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid = "GlueCatalog"
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
      "glue:DeletePartition",
      "glue:BatchDeletePartition",
    ]
    resources = [
      "${local.glue_arn}:catalog",
      "${local.glue_arn}:database/${var.glue_database}",
      "${local.glue_arn}:table/${var.glue_database}/*",
    ]
  }

  statement {
    sid = "Athena"
    actions = [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
      "athena:GetWorkGroup",
      "athena:ListQueryExecutions",
    ]
    resources = [var.athena_workgroup_arn]
  }

  statement {
    sid = "EmrSteps"
    actions = [
      "elasticmapreduce:DescribeCluster",
      "elasticmapreduce:ListSteps",
      "elasticmapreduce:DescribeStep",
      "elasticmapreduce:AddJobFlowSteps",
      "elasticmapreduce:CancelSteps",
      "elasticmapreduce:ListInstances",
    ]
    # the DAG creates the environment's clusters (one at a time, each ending when idle):
    # any cluster of this account and region that carries the environment's tag
    resources = ["arn:aws:elasticmapreduce:${var.region}:${var.account_id}:cluster/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/taxiway:env"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "AirflowUiAsOp"
    actions   = ["airflow:CreateWebLoginToken"]
    resources = ["${local.airflow_arn}:role/${var.mwaa_environment_name}/Op"]
  }

  statement {
    sid       = "AirflowEnvironment"
    actions   = ["airflow:GetEnvironment", "airflow:CreateCliToken"]
    resources = ["${local.airflow_arn}:environment/${var.mwaa_environment_name}"]
  }

  statement {
    sid     = "ReadComponentLogs"
    actions = ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"]
    resources = [
      "arn:aws:logs:${var.region}:${var.account_id}:log-group:airflow-${var.mwaa_environment_name}-*",
      "arn:aws:logs:${var.region}:${var.account_id}:log-group:airflow-${var.mwaa_environment_name}-*:*",
    ]
  }
}

data "aws_iam_policy_document" "bi_user" {
  statement {
    sid       = "ListReportsAndCurated"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.bucket_arns["curated"], var.bucket_arns["reports"], var.bucket_arns["artifacts"]]
  }

  statement {
    sid       = "ReadReportsAndCurated"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns["curated"]}/*", "${var.bucket_arns["reports"]}/*"]
  }

  statement {
    sid       = "QueryResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.bucket_arns["artifacts"]}/athena-results/*"]
  }

  statement {
    sid       = "EnvironmentKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid = "GlueCatalogRead"
    actions = [
      "glue:GetDatabase",
      "glue:GetDatabases",
      "glue:GetTable",
      "glue:GetTables",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
    ]
    resources = [
      "${local.glue_arn}:catalog",
      "${local.glue_arn}:database/${var.glue_database}",
      "${local.glue_arn}:table/${var.glue_database}/*",
    ]
  }

  statement {
    sid = "Athena"
    actions = [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
      "athena:GetWorkGroup",
    ]
    resources = [var.athena_workgroup_arn]
  }

  statement {
    sid       = "AirflowUiAsViewer"
    actions   = ["airflow:CreateWebLoginToken"]
    resources = ["${local.airflow_arn}:role/${var.mwaa_environment_name}/Viewer"]
  }
}
