output "glue_database" {
  description = "Glue database name (`<project>_<env>`)."
  value       = aws_glue_catalog_database.this.name
}

output "glue_database_arn" {
  description = "Glue database ARN."
  value       = aws_glue_catalog_database.this.arn
}

output "table_names" {
  description = "Tables in the database: events, quarantine and the reports."
  value       = concat([aws_glue_catalog_table.events.name, aws_glue_catalog_table.quarantine.name], [for t in aws_glue_catalog_table.reports : t.name])
}

output "report_tables" {
  description = "The reports' Glue tables (what the DAG's report switch updates)."
  value       = [for t in aws_glue_catalog_table.reports : t.name]
}

output "athena_workgroup" {
  description = "Athena workgroup name (`<project>-<env>`)."
  value       = aws_athena_workgroup.this.name
}

output "athena_workgroup_arn" {
  description = "Athena workgroup ARN."
  value       = aws_athena_workgroup.this.arn
}

output "athena_results_location" {
  description = "Enforced, encrypted Athena result location."
  value       = "s3://${var.artifacts_bucket}/athena-results/"
}
