# The MWAA environment `<project>-<env>` in the two private subnets. Every component logs to
# CloudWatch (encrypted with the environment key). A startup script, uploaded here, exports
# TAXIWAY_ENV so the DAG files know which environment of taxiway.yaml they run for.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
}

# The first startup script, so that the environment boots knowing its taxiway environment.
# Its text is the bundle's own template (one file for both): `taxiway deploy` renders the
# same bytes and owns the object from then on.
resource "aws_s3_object" "startup" {
  bucket = var.bucket_names["mwaa"]
  key    = "startup.sh"
  content = templatefile("${path.module}/../../../../src/taxiway/platform/startup.sh.tftpl", {
    environment = var.environment
    account_id  = local.account_id
  })
  kms_key_id = var.kms_key_arn

  lifecycle {
    ignore_changes = [content, metadata]
  }
}

resource "aws_mwaa_environment" "this" {
  name                  = local.name
  airflow_version       = var.airflow_version
  environment_class     = var.environment_class
  min_workers           = var.min_workers
  max_workers           = var.max_workers
  schedulers            = var.schedulers
  execution_role_arn    = aws_iam_role.execution.arn
  kms_key               = var.kms_key_arn
  source_bucket_arn     = var.bucket_arns["mwaa"]
  dag_s3_path           = "dags/"
  webserver_access_mode = var.webserver_access_mode

  startup_script_s3_path           = aws_s3_object.startup.key
  startup_script_s3_object_version = aws_s3_object.startup.version_id

  weekly_maintenance_window_start = "SUN:03:00"

  airflow_configuration_options = {
    "core.load_examples" = "False"
  }

  network_configuration {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  logging_configuration {
    dag_processing_logs {
      enabled   = true
      log_level = var.log_level
    }
    scheduler_logs {
      enabled   = true
      log_level = var.log_level
    }
    task_logs {
      enabled   = true
      log_level = var.log_level
    }
    webserver_logs {
      enabled   = true
      log_level = var.log_level
    }
    worker_logs {
      enabled   = true
      log_level = var.log_level
    }
  }

  # One owner per field. Terraform sets everything here once; `taxiway deploy` then owns
  # what its UpdateEnvironment sends (the requirements, plugins and startup script paths and
  # object versions), so an apply after a deploy changes nothing and starts no 20-30 minute
  # update (tests/infra/test_infra_mwaa_owner.py keeps the list equal to deploy's fields).
  lifecycle {
    ignore_changes = [
      requirements_s3_path,
      requirements_s3_object_version,
      plugins_s3_path,
      plugins_s3_object_version,
      startup_script_s3_path,
      startup_script_s3_object_version,
    ]
  }

  depends_on = [aws_iam_role_policy.execution]
}

# MWAA's own components talk to each other through this group (the self-referencing rule
# AWS requires); outbound is HTTPS (AWS APIs via endpoints, PyPI via NAT) plus the group.

resource "aws_security_group" "this" {
  name        = "${local.name}-mwaa"
  description = "MWAA environment ${local.name}"
  vpc_id      = var.vpc_id
  tags        = { Name = "${local.name}-mwaa" }
}

resource "aws_vpc_security_group_ingress_rule" "self" {
  security_group_id            = aws_security_group.this.id
  description                  = "MWAA components to each other (required by MWAA)"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_ingress_rule" "webserver" {
  count             = var.webserver_access_mode == "PRIVATE_ONLY" ? 1 : 0
  security_group_id = aws_security_group.this.id
  description       = "Private web server from inside the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "self" {
  security_group_id            = aws_security_group.this.id
  description                  = "MWAA components to each other"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs (endpoints) and package indexes (NAT)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
