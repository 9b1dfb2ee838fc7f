output "cluster_name" {
  description = "Name of the cluster the DAG creates and finds (`<project>-<env>`); not a Terraform resource."
  value       = local.name
}

output "service_role_arn" {
  description = "EMR service role ARN."
  value       = aws_iam_role.service.arn
}

output "instance_role_arn" {
  description = "ARN of the role the cluster's instances (and Spark jobs) run as."
  value       = aws_iam_role.instance.arn
}

output "instance_profile_arn" {
  description = "EMR instance profile ARN."
  value       = aws_iam_instance_profile.instance.arn
}

output "security_configuration" {
  description = "Name of the EMR security configuration."
  value       = aws_emr_security_configuration.this.name
}

output "primary_security_group_id" {
  description = "EMR-managed security group of the primary node."
  value       = aws_security_group.primary.id
}

output "client_vpn_endpoint_id" {
  description = "Client VPN endpoint id, or null where there is none (production)."
  value       = var.client_vpn_enabled ? aws_ec2_client_vpn_endpoint.this[0].id : null
}
