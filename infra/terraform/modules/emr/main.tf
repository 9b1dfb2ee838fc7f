# The environment's EMR cluster that the DAGs submit curate steps to (found by name,
# `<project>-<env>`). It terminates itself after `emr_idle_timeout_minutes` without steps;
# the DAG's curate task then creates a new one with the same name, roles, security
# configuration, groups and sizing (dags/taxiway_dags/aws_tasks.py: cluster_spec), so a
# terminated cluster never stops the pipeline. Such a cluster is not in Terraform's state:
# it terminates itself when idle, like this one. One step at a time: the curate job keeps
# a single temporary folder per curated bucket.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  emr_tag    = { "for-use-with-amazon-emr-managed-policies" = "true" }
}

resource "aws_emr_security_configuration" "this" {
  name = "${local.name}-encryption"
  configuration = jsonencode({
    EncryptionConfiguration = {
      EnableAtRestEncryption    = true
      EnableInTransitEncryption = true
      AtRestEncryptionConfiguration = {
        S3EncryptionConfiguration = {
          EncryptionMode = "SSE-KMS"
          AwsKmsKey      = var.kms_key_arn
        }
        LocalDiskEncryptionConfiguration = {
          EncryptionKeyProviderType = "AwsKms"
          AwsKmsKey                 = var.kms_key_arn
          EnableEbsEncryption       = true
        }
      }
      # In-transit TLS needs a PEM bundle; infra/README.md shows how to make and upload it.
      InTransitEncryptionConfiguration = {
        TLSCertificateConfiguration = {
          CertificateProviderType = "PEM"
          S3Object                = "s3://${var.bucket_names["artifacts"]}/emr/tls/certs.zip"
        }
      }
    }
    InstanceMetadataServiceConfiguration = {
      MinimumInstanceMetadataServiceVersion = 2
      HttpPutResponseHopLimit               = 2
    }
  })
}

resource "aws_emr_cluster" "this" {
  name                              = local.name
  release_label                     = var.release_label
  applications                      = ["Hadoop", "Spark"]
  service_role                      = aws_iam_role.service.arn
  security_configuration            = aws_emr_security_configuration.this.name
  log_uri                           = "s3://${var.bucket_names["logs"]}/emr/"
  log_encryption_kms_key_id         = var.kms_key_arn
  keep_job_flow_alive_when_no_steps = true
  termination_protection            = false
  visible_to_all_users              = true
  step_concurrency_level            = 1
  # taxiway:env scopes the MWAA role's step permissions (modules/mwaa/iam.tf)
  tags = merge(local.emr_tag, { "taxiway:env" = var.environment })

  auto_termination_policy {
    idle_timeout = var.idle_timeout_minutes * 60
  }

  ec2_attributes {
    subnet_id                         = var.subnet_ids[0]
    instance_profile                  = aws_iam_instance_profile.instance.arn
    emr_managed_master_security_group = aws_security_group.primary.id
    emr_managed_slave_security_group  = aws_security_group.core.id
    service_access_security_group     = aws_security_group.service_access.id
    additional_master_security_groups = aws_security_group.debug.id
  }

  master_instance_group {
    instance_type = var.primary_instance_type
    ebs_config {
      size                 = 64
      type                 = "gp3"
      volumes_per_instance = 1
    }
  }

  core_instance_group {
    instance_type  = var.core_instance_type
    instance_count = var.core_instance_count
    ebs_config {
      size                 = 256
      type                 = "gp3"
      volumes_per_instance = 1
    }
  }

  # Spark uses the Glue Data Catalog as its metastore; dynamic overwrite replaces only the
  # partitions a run writes.
  configurations_json = jsonencode([
    {
      Classification = "spark-hive-site"
      Properties = {
        "hive.metastore.client.factory.class" = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
      }
    },
    {
      Classification = "spark-defaults"
      Properties = {
        "spark.sql.sources.partitionOverwriteMode" = "dynamic"
      }
    },
  ])

  depends_on = [aws_iam_role_policy.service, aws_iam_role_policy.instance]
}

# ---------------------------------------------------------------------------- security groups
# EMR adds the rules it needs to its managed groups itself; revoke them on delete so the
# groups (which reference each other) can be destroyed.

resource "aws_security_group" "primary" {
  #checkov:skip=CKV2_AWS_5:Attached by EMR through aws_emr_cluster.ec2_attributes.
  name                   = "${local.name}-emr-primary"
  description            = "EMR-managed group of the ${local.name} primary node"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.emr_tag, { Name = "${local.name}-emr-primary" })
}

resource "aws_security_group" "core" {
  #checkov:skip=CKV2_AWS_5:Attached by EMR through aws_emr_cluster.ec2_attributes.
  name                   = "${local.name}-emr-core"
  description            = "EMR-managed group of the ${local.name} core nodes"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.emr_tag, { Name = "${local.name}-emr-core" })
}

resource "aws_security_group" "service_access" {
  #checkov:skip=CKV2_AWS_5:Attached by EMR through aws_emr_cluster.ec2_attributes.
  name                   = "${local.name}-emr-service-access"
  description            = "EMR service access to the ${local.name} cluster in a private subnet"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.emr_tag, { Name = "${local.name}-emr-service-access" })
}

# Developer access to the primary node's web UIs, from Client VPN clients only.
resource "aws_security_group" "debug" {
  #checkov:skip=CKV2_AWS_5:Attached by EMR through aws_emr_cluster.ec2_attributes.
  name        = "${local.name}-emr-debug"
  description = "Client VPN access to the ${local.name} EMR web UIs"
  vpc_id      = var.vpc_id
  tags        = merge(local.emr_tag, { Name = "${local.name}-emr-debug" })
}

locals {
  # YARN ResourceManager, Spark History Server, YARN web proxy, MapReduce job history.
  debug_ports = {
    for name, port in { "yarn" = 8088, "spark-history" = 18080, "proxy" = 20888, "job-history" = 19888 } :
    name => port if var.client_vpn_enabled
  }
}

resource "aws_vpc_security_group_ingress_rule" "debug" {
  for_each = local.debug_ports

  security_group_id            = aws_security_group.debug.id
  description                  = "${each.key} UI from Client VPN"
  referenced_security_group_id = aws_security_group.client_vpn[0].id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}
