# Inputs that are not sizing and not derivable from the environment's name: account ids and
# certificate ARNs, given per checkout in terraform.tfvars (not committed) or -var.

variable "allowed_account_ids" {
  description = "Refuse to run against any other AWS account (guards against applying production to the wrong account)."
  type        = list(string)
  default     = null
}

variable "identity_center_profile" {
  description = "AWS CLI profile of the account that administers IAM Identity Center (null: default credentials)."
  type        = string
  default     = null
}

variable "identity_center_region" {
  description = "Region of the IAM Identity Center instance (null: the environment's region)."
  type        = string
  default     = null
}

variable "client_vpn_server_certificate_arn" {
  description = "ACM ARN of the Client VPN server certificate (sandbox and test)."
  type        = string
  default     = null
}

variable "client_vpn_client_ca_arn" {
  description = "ACM ARN of the CA that signs developer client certificates (sandbox and test)."
  type        = string
  default     = null
}
