# Client VPN (sandbox and test only, decided by the env root): developers connect with a
# client certificate signed by the team CA and reach the EMR web UIs on the primary node.
# Split tunnel: only VPC traffic goes through the VPN.

resource "aws_cloudwatch_log_group" "client_vpn" {
  count             = var.client_vpn_enabled ? 1 : 0
  name              = "/taxiway/${local.name}/client-vpn"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_security_group" "client_vpn" {
  count       = var.client_vpn_enabled ? 1 : 0
  name        = "${local.name}-client-vpn"
  description = "Client VPN endpoint of ${local.name}: egress to the EMR web UIs only"
  vpc_id      = var.vpc_id
  tags        = { Name = "${local.name}-client-vpn" }
}

resource "aws_vpc_security_group_egress_rule" "client_vpn" {
  for_each = local.debug_ports

  security_group_id            = aws_security_group.client_vpn[0].id
  description                  = "${each.key} UI on the EMR primary node"
  referenced_security_group_id = aws_security_group.debug.id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}

resource "aws_ec2_client_vpn_endpoint" "this" {
  count                  = var.client_vpn_enabled ? 1 : 0
  description            = "${local.name} developer access"
  server_certificate_arn = var.client_vpn_server_certificate_arn
  client_cidr_block      = var.client_vpn_cidr
  vpc_id                 = var.vpc_id
  security_group_ids     = [aws_security_group.client_vpn[0].id]
  split_tunnel           = true
  transport_protocol     = "udp"
  session_timeout_hours  = 8

  authentication_options {
    type                       = "certificate-authentication"
    root_certificate_chain_arn = var.client_vpn_client_ca_arn
  }

  connection_log_options {
    enabled              = true
    cloudwatch_log_group = aws_cloudwatch_log_group.client_vpn[0].name
  }

  lifecycle {
    precondition {
      condition     = var.client_vpn_server_certificate_arn != null && var.client_vpn_client_ca_arn != null
      error_message = "The Client VPN needs client_vpn_server_certificate_arn and client_vpn_client_ca_arn (see infra/README.md, Bootstrap)."
    }
  }

  tags = { Name = "${local.name}-client-vpn" }
}

resource "aws_ec2_client_vpn_network_association" "this" {
  count                  = var.client_vpn_enabled ? length(var.subnet_ids) : 0
  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.this[0].id
  subnet_id              = var.subnet_ids[count.index]
}

resource "aws_ec2_client_vpn_authorization_rule" "vpc" {
  count                  = var.client_vpn_enabled ? 1 : 0
  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.this[0].id
  target_network_cidr    = var.vpc_cidr
  authorize_all_groups   = true
  description            = "Every holder of a team-CA client certificate may reach the VPC"
}
