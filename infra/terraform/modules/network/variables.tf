variable "project" {
  description = "Project name from taxiway.yaml."
  type        = string
}

variable "environment" {
  description = "Environment name (sandbox, test or production)."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the environment's VPC (a /16); private subnets take the first two /20s, public ones two /24s near the top."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
  default     = 365
}

variable "interface_endpoints" {
  description = "Interface endpoints (service suffixes) for MWAA's private networking, EMR, Glue and Athena."
  type        = list(string)
  default = [
    "airflow.api",
    "airflow.env",
    "airflow.ops",
    "sqs",
    "logs",
    "monitoring",
    "kms",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "elasticmapreduce",
    "glue",
    "athena",
  ]
}
