variable "project" {
  description = "Project name from taxiway.yaml (`project:`); the first part of every bucket name."
  type        = string
}

variable "environment" {
  description = "Environment name (sandbox, test or production)."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep S3 access logs and EMR logs in the logs bucket."
  type        = number
  default     = 365
}
