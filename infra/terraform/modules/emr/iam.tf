# Two roles: the EMR service role (AWS's v2 managed policy, which only acts on resources
# tagged for-use-with-amazon-emr-managed-policies=true, plus PassRole for our instance role)
# and the instance role the Spark jobs run as (its buckets and its key; no Glue).

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

# What the curate job calls (tests/integration/aws/test_job_on_s3.py checks it against a
# real step on the twin): it reads landing and the job's artifacts, writes curated (its
# staged files, the publish, the manifests, the lake lock) through S3 and its SSE-KMS key.
# No Glue (the job reads and writes by path; partitions are registered from MWAA) and no
# reports (Athena writes them). Then what EMR's node software itself needs.
data "aws_iam_policy_document" "instance" {
  statement {
    sid       = "ListTheLake"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arns["landing"], var.bucket_arns["curated"]]
  }

  statement {
    sid       = "ReadLanding"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns["landing"]}/*"]
  }

  statement {
    sid       = "ReadTheJob"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns["artifacts"]}/jobs/*"]
  }

  statement {
    sid = "WriteCurated"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${var.bucket_arns["curated"]}/*"]
  }

  statement {
    sid       = "UseTheKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  # --- EMR's node software, not the job

  # Local disk and EBS encryption (the security configuration): the node calls KMS itself,
  # so this one cannot carry a kms:ViaService condition.
  statement {
    sid       = "EncryptLocalDisks"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # The in-transit TLS certificates the security configuration names.
  statement {
    sid       = "ReadTlsCertificates"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns["artifacts"]}/emr/tls/*"]
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
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/taxiway:env"
      values   = [var.environment]
    }
  }
}

resource "aws_iam_role_policy" "instance" {
  name   = "lake-and-kms"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.instance.json
}
