variable "project" {
  description = "Project name from taxiway.yaml."
  type        = string
}

variable "environment" {
  description = "Environment name (sandbox, test or production)."
  type        = string
}

variable "vpc_id" {
  description = "The environment's VPC."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the environment's VPC (Client VPN authorises access to it)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets; the cluster runs in the first, the Client VPN associates with all."
  type        = list(string)
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
  description = "The environment's KMS key (S3, local disks, logs)."
  type        = string
}

variable "client_vpn_enabled" {
  description = "Create a Client VPN endpoint for developers to reach the cluster's web UIs (sandbox and test)."
  type        = bool
  default     = false
}

variable "client_vpn_cidr" {
  description = "Address range handed to VPN clients (a /22 or larger, outside the VPC)."
  type        = string
  default     = "172.16.0.0/22"
}

variable "client_vpn_server_certificate_arn" {
  description = "ACM ARN of the Client VPN server certificate (required when client_vpn_enabled)."
  type        = string
  default     = null
}

variable "client_vpn_client_ca_arn" {
  description = "ACM ARN of the CA that signs developer client certificates (required when client_vpn_enabled)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days to keep Client VPN connection logs."
  type        = number
  default     = 365
}
