# What the environment's EMR clusters are built from: the security configuration, the
# EMR-managed security groups and the Client VPN's debug group (roles and instance profile
# in iam.tf). The cluster itself is not here: the DAG's curate task owns it. It creates one
# named `<project>-<env>` from its spec (dags/taxiway_dags/aws_tasks.py: cluster_spec) when
# none is alive, and EMR terminates it after `emr_idle_timeout_minutes` without steps. One
# owner, so an apply never re-creates a cluster next to the DAG's (docs/deploy.md, "Who
# owns the EMR cluster"). Steps run one at a time (StepConcurrencyLevel 1): the curate job
# keeps a single temporary folder per curated bucket.

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

# ---------------------------------------------------------------------------- security groups
# EMR adds the rules it needs to its managed groups itself; revoke them on delete so the
# groups (which reference each other) can be destroyed.

resource "aws_security_group" "primary" {
  #checkov:skip=CKV2_AWS_5:Attached by the DAG-made cluster (RunJobFlow Instances).
  name                   = "${local.name}-emr-primary"
  description            = "EMR-managed group of the ${local.name} primary node"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.emr_tag, { Name = "${local.name}-emr-primary" })
}

resource "aws_security_group" "core" {
  #checkov:skip=CKV2_AWS_5:Attached by the DAG-made cluster (RunJobFlow Instances).
  name                   = "${local.name}-emr-core"
  description            = "EMR-managed group of the ${local.name} core nodes"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.emr_tag, { Name = "${local.name}-emr-core" })
}

resource "aws_security_group" "service_access" {
  #checkov:skip=CKV2_AWS_5:Attached by the DAG-made cluster (RunJobFlow Instances).
  name                   = "${local.name}-emr-service-access"
  description            = "EMR service access to the ${local.name} cluster in a private subnet"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.emr_tag, { Name = "${local.name}-emr-service-access" })
}

# Developer access to the primary node's web UIs, from Client VPN clients only.
resource "aws_security_group" "debug" {
  #checkov:skip=CKV2_AWS_5:Attached by the DAG-made cluster (RunJobFlow Instances).
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
