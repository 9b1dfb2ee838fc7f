variable "project" {
  description = "Project name from taxiway.yaml."
  type        = string
}

variable "environment" {
  description = "Environment name (sandbox, test or production)."
  type        = string
}

variable "account_id" {
  description = "AWS account of the environment: the target of the account assignments."
  type        = string
}

variable "region" {
  description = "Region of the environment's resources."
  type        = string
}

variable "bucket_arns" {
  description = "Bucket ARN per role (landing, curated, reports, artifacts, mwaa, logs)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "The environment's KMS key."
  type        = string
}

variable "glue_database" {
  description = "Glue database of the environment."
  type        = string
}

variable "athena_workgroup_arn" {
  description = "Athena workgroup of the environment."
  type        = string
}

variable "mwaa_environment_name" {
  description = "MWAA environment name (for Airflow UI sign-in)."
  type        = string
}

variable "session_duration" {
  description = "Session length (ISO 8601) per permission set."
  type        = map(string)
  default = {
    DataEngineer  = "PT8H"
    BIUser        = "PT8H"
    PlatformAdmin = "PT1H"
  }
}
