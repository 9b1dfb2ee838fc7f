variable "project" {
  description = "Project name from taxiway.yaml."
  type        = string
}

variable "environment" {
  description = "Environment name (sandbox, test or production)."
  type        = string
}

variable "curated_bucket" {
  description = "Name of the curated bucket (holds curated/events and quarantine)."
  type        = string
}

variable "reports_bucket" {
  description = "Name of the reports bucket (one prefix per report table)."
  type        = string
}

variable "artifacts_bucket" {
  description = "Name of the artifacts bucket (Athena results go under athena-results/)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the Data Catalog and Athena query results."
  type        = string
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query in the workgroup once it has scanned this many bytes."
  type        = number
  default     = 107374182400 # 100 GiB
}
