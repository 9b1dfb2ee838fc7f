output "vpc_id" {
  description = "The environment's VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR of the environment's VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "The two private subnets (different AZs) for MWAA and EMR."
  value       = aws_subnet.private[*].id
}

output "private_route_table_ids" {
  description = "Route tables of the private subnets."
  value       = aws_route_table.private[*].id
}

output "endpoint_security_group_id" {
  description = "Security group of the interface endpoints."
  value       = aws_security_group.endpoints.id
}
