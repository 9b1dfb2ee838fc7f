# Environment root. The three roots (sandbox, test, production) are identical except for
# `environment` below and backend.hcl; tests/infra enforces it. Sizing comes from
# taxiway.yaml; the few non-sizing differences are derived from the environment's name here.

locals {
  environment = "sandbox"

  settings = yamldecode(file("${path.module}/../../../../taxiway.yaml"))
  project  = local.settings.project
  env      = local.settings.environments[local.environment]
  sizing   = local.env.sizing

  # The non-sizing differences, derived from the environment's name (tests/infra reads this
  # table): production's Airflow UI is reachable from inside the VPC only; sandbox and test
  # keep it on the internet behind IAM sign-in and give developers a Client VPN to EMR.
  # Distinct VPC ranges so the VPCs can be peered or reached over one VPN later.
  by_environment = {
    sandbox    = { webserver_access_mode = "PUBLIC_ONLY", client_vpn_enabled = true, vpc_cidr = "10.10.0.0/16" }
    test       = { webserver_access_mode = "PUBLIC_ONLY", client_vpn_enabled = true, vpc_cidr = "10.20.0.0/16" }
    production = { webserver_access_mode = "PRIVATE_ONLY", client_vpn_enabled = false, vpc_cidr = "10.30.0.0/16" }
  }
  derived = local.by_environment[local.environment]
}

provider "aws" {
  region              = local.env.region
  allowed_account_ids = var.allowed_account_ids

  default_tags {
    tags = {
      project     = local.project
      environment = local.environment
      managed-by  = "terraform"
    }
  }
}

# Identity Center is administered from the management (or delegated administrator) account.
provider "aws" {
  alias   = "identity_center"
  region  = coalesce(var.identity_center_region, local.env.region)
  profile = var.identity_center_profile

  default_tags {
    tags = {
      project     = local.project
      environment = local.environment
      managed-by  = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

resource "terraform_data" "settings" {
  input = local.sizing

  lifecycle {
    precondition {
      condition     = local.env.target == "aws"
      error_message = "taxiway.yaml: environments.${local.environment}.target must be `aws` for a Terraform root."
    }
    # the DAG's cluster spec reads it; EMR accepts 60 s to 7 days
    precondition {
      condition     = local.env.emr_idle_timeout_minutes >= 1 && local.env.emr_idle_timeout_minutes <= 10080
      error_message = "taxiway.yaml: environments.${local.environment}.emr_idle_timeout_minutes must be between 1 and 10080 (7 days)."
    }
  }
}

module "storage" {
  source = "../../modules/storage"

  project     = local.project
  environment = local.environment
}

module "network" {
  source = "../../modules/network"

  project     = local.project
  environment = local.environment
  vpc_cidr    = local.derived.vpc_cidr
  kms_key_arn = module.storage.kms_key_arn
}

module "analytics" {
  source = "../../modules/analytics"

  project          = local.project
  environment      = local.environment
  curated_bucket   = module.storage.bucket_names["curated"]
  reports_bucket   = module.storage.bucket_names["reports"]
  artifacts_bucket = module.storage.bucket_names["artifacts"]
  kms_key_arn      = module.storage.kms_key_arn
}

module "emr" {
  source = "../../modules/emr"

  project      = local.project
  environment  = local.environment
  vpc_id       = module.network.vpc_id
  vpc_cidr     = module.network.vpc_cidr
  subnet_ids   = module.network.private_subnet_ids
  bucket_names = module.storage.bucket_names
  bucket_arns  = module.storage.bucket_arns
  kms_key_arn  = module.storage.kms_key_arn

  client_vpn_enabled                = local.derived.client_vpn_enabled
  client_vpn_server_certificate_arn = var.client_vpn_server_certificate_arn
  client_vpn_client_ca_arn          = var.client_vpn_client_ca_arn
}

module "mwaa" {
  source = "../../modules/mwaa"

  project               = local.project
  environment           = local.environment
  airflow_version       = local.env.mwaa_version
  environment_class     = local.sizing.mwaa_environment_class
  min_workers           = local.sizing.mwaa_min_workers
  max_workers           = local.sizing.mwaa_max_workers
  schedulers            = local.sizing.mwaa_schedulers
  webserver_access_mode = local.derived.webserver_access_mode
  vpc_id                = module.network.vpc_id
  vpc_cidr              = module.network.vpc_cidr
  subnet_ids            = module.network.private_subnet_ids
  bucket_names          = module.storage.bucket_names
  bucket_arns           = module.storage.bucket_arns
  kms_key_arn           = module.storage.kms_key_arn
  emr_service_role_arn  = module.emr.service_role_arn
  emr_instance_role_arn = module.emr.instance_role_arn
  glue_database         = module.analytics.glue_database
  athena_workgroup_arn  = module.analytics.athena_workgroup_arn
  report_tables         = module.analytics.report_tables
}

module "access" {
  source = "../../modules/access"
  providers = {
    aws = aws.identity_center
  }

  project               = local.project
  environment           = local.environment
  account_id            = data.aws_caller_identity.current.account_id
  region                = local.env.region
  bucket_arns           = module.storage.bucket_arns
  kms_key_arn           = module.storage.kms_key_arn
  glue_database         = module.analytics.glue_database
  athena_workgroup_arn  = module.analytics.athena_workgroup_arn
  mwaa_environment_name = module.mwaa.environment_name
}
