# What preflight (`taxiway preflight`) and the DAGs need to know about the environment.

output "environment" {
  description = "Environment name."
  value       = local.environment
}

output "region" {
  description = "AWS region of the environment."
  value       = local.env.region
}

output "bucket_names" {
  description = "Bucket name per role: landing, curated, reports, artifacts, mwaa, logs."
  value       = module.storage.bucket_names
}

output "kms_key_arn" {
  description = "The environment's KMS key."
  value       = module.storage.kms_key_arn
}

output "vpc_id" {
  description = "The environment's VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets of MWAA and EMR."
  value       = module.network.private_subnet_ids
}

output "emr_cluster_name" {
  description = "Name of the EMR cluster the DAG creates when none is alive and adds steps to."
  value       = module.emr.cluster_name
}

output "emr_security_configuration" {
  description = "EMR security configuration the DAG's clusters use."
  value       = module.emr.security_configuration
}

output "emr_service_role_arn" {
  description = "EMR service role."
  value       = module.emr.service_role_arn
}

output "emr_instance_role_arn" {
  description = "Role of the EMR instances (what Spark jobs run as)."
  value       = module.emr.instance_role_arn
}

output "emr_instance_profile_arn" {
  description = "EMR instance profile."
  value       = module.emr.instance_profile_arn
}

output "glue_database" {
  description = "Glue database."
  value       = module.analytics.glue_database
}

output "athena_workgroup" {
  description = "Athena workgroup."
  value       = module.analytics.athena_workgroup
}

output "athena_results_location" {
  description = "Enforced Athena result location."
  value       = module.analytics.athena_results_location
}

output "mwaa_environment_name" {
  description = "MWAA environment name."
  value       = module.mwaa.environment_name
}

output "mwaa_webserver_url" {
  description = "Airflow UI host."
  value       = module.mwaa.webserver_url
}

output "mwaa_execution_role_arn" {
  description = "MWAA execution role."
  value       = module.mwaa.execution_role_arn
}

output "mwaa_security_group_id" {
  description = "MWAA security group."
  value       = module.mwaa.security_group_id
}

output "client_vpn_endpoint_id" {
  description = "Client VPN endpoint (null in production)."
  value       = module.emr.client_vpn_endpoint_id
}

output "permission_set_arns" {
  description = "IAM Identity Center permission sets per role."
  value       = module.access.permission_set_arns
}
