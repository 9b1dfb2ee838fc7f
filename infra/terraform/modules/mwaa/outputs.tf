output "environment_name" {
  description = "MWAA environment name (`<project>-<env>`)."
  value       = aws_mwaa_environment.this.name
}

output "environment_arn" {
  description = "MWAA environment ARN."
  value       = aws_mwaa_environment.this.arn
}

output "webserver_url" {
  description = "Airflow UI host name."
  value       = aws_mwaa_environment.this.webserver_url
}

output "execution_role_arn" {
  description = "MWAA execution role ARN."
  value       = aws_iam_role.execution.arn
}

output "security_group_id" {
  description = "MWAA security group (self-referencing)."
  value       = aws_security_group.this.id
}
