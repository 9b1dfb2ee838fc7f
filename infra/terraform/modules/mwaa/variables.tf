variable "project" {
  description = "Project name from taxiway.yaml."
  type        = string
}

variable "environment" {
  description = "Environment name (sandbox, test or production); also TAXIWAY_ENV for the DAGs."
  type        = string
}

variable "airflow_version" {
  description = "MWAA Airflow version (taxiway.yaml `mwaa_version`)."
  type        = string
}

variable "environment_class" {
  description = "Sizing: MWAA environment class (mw1.micro ... mw1.2xlarge)."
  type        = string
}

variable "min_workers" {
  description = "Sizing: minimum Celery workers."
  type        = number
}

variable "max_workers" {
  description = "Sizing: maximum Celery workers."
  type        = number
}

variable "schedulers" {
  description = "Sizing: number of schedulers."
  type        = number
}

variable "webserver_access_mode" {
  description = "PRIVATE_ONLY (web server reachable from the VPC only) or PUBLIC_ONLY (internet, behind IAM sign-in)."
  type        = string
  validation {
    condition     = contains(["PRIVATE_ONLY", "PUBLIC_ONLY"], var.webserver_access_mode)
    error_message = "webserver_access_mode must be PRIVATE_ONLY or PUBLIC_ONLY."
  }
}

variable "vpc_id" {
  description = "The environment's VPC."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR allowed to reach a PRIVATE_ONLY web server on 443."
  type        = string
}

variable "subnet_ids" {
  description = "Exactly two private subnets in different AZs."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) == 2
    error_message = "MWAA needs exactly two private subnets."
  }
}

variable "bucket_names" {
  description = "Bucket name per role (landing, curated, reports, artifacts, mwaa, logs)."
  type        = map(string)
}

variable "bucket_arns" {
  description = "Bucket ARN per role (landing, curated, reports, artifacts, mwaa, logs)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "The environment's KMS key (MWAA metadata, logs, buckets)."
  type        = string
}

variable "glue_database" {
  description = "Glue database of the environment."
  type        = string
}

variable "athena_workgroup_arn" {
  description = "Athena workgroup the DAGs' report queries run in."
  type        = string
}

variable "log_level" {
  description = "Log level for every MWAA component's CloudWatch logs."
  type        = string
  default     = "INFO"
}

variable "emr_service_role_arn" {
  description = "EMR service role the DAG passes when it creates the cluster."
  type        = string
}

variable "emr_instance_role_arn" {
  description = "EMR instance role (behind the instance profile) the DAG passes when it creates the cluster."
  type        = string
}

variable "report_tables" {
  description = "Glue tables of the reports, the only ones the DAG switches (UpdateTable)."
  type        = list(string)
}
