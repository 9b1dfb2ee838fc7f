output "bucket_names" {
  description = "Bucket name per role: landing, curated, reports, artifacts, mwaa and logs."
  value       = merge({ for role, b in aws_s3_bucket.this : role => b.id }, { logs = aws_s3_bucket.logs.id })
}

output "bucket_arns" {
  description = "Bucket ARN per role: landing, curated, reports, artifacts, mwaa and logs."
  value       = merge({ for role, b in aws_s3_bucket.this : role => b.arn }, { logs = aws_s3_bucket.logs.arn })
}

output "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key."
  value       = aws_kms_key.this.arn
}
