output "permission_set_arns" {
  description = "Permission set ARN per role (DataEngineer, BIUser, PlatformAdmin)."
  value       = { for role, ps in aws_ssoadmin_permission_set.this : role => ps.arn }
}

output "group_names" {
  description = "Identity Center group assigned per role."
  value       = { for role, r in local.roles : role => r.group }
}
