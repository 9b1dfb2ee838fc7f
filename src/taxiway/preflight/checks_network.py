"""Network checks: the VPC, its private subnets, routes, network ACLs, endpoints, security group.

MWAA runs in two private subnets in different AZs, reaches AWS either through a NAT gateway
or through VPC endpoints with private DNS, and its components talk to each other through a
self-referencing security group. AWS's own checker passes every network ACL; here the ACL
rules are evaluated in rule-number order for the traffic MWAA sends and receives.
"""

from __future__ import annotations

import ipaddress

from taxiway.findings import Finding, Severity
from taxiway.preflight.snapshot import AclEntry, Names, Network, SecurityGroup, Subnet

# What MWAA needs without a NAT route (AWS: "Amazon MWAA networking without internet access").
REQUIRED_INTERFACE_ENDPOINTS = (
    "airflow.api",
    "airflow.env",
    "airflow.ops",
    "sqs",
    "logs",
    "monitoring",
    "kms",
    "ecr.api",
    "ecr.dkr",
)
_TF = "infra/terraform/modules/network"
# A public AWS address stands for "the internet / AWS APIs through NAT" in ACL probes.
_OUTSIDE = "52.94.0.10"


def _error(code: str, subject: str, message: str, hint: str) -> Finding:
    return Finding(code, Severity.ERROR, subject, message, hint)


def _default_route(subnet: Subnet) -> str | None:
    for route in subnet.routes:
        if route.destination == "0.0.0.0/0":
            # A blackhole route (its NAT gateway was deleted) carries no traffic.
            return route.target if route.state != "blackhole" else f"blackhole:{route.target}"
    return None


def check_subnets(names: Names, net: Network) -> list[Finding]:
    """``subnets-single-az`` and ``subnet-not-private``."""
    out = []
    azs = {s.az for s in net.subnets}
    if len(net.subnets) < 2 or len(azs) < 2:
        found = ", ".join(f"`{s.id}` ({s.az})" for s in net.subnets) or "none"
        out.append(
            _error(
                "subnets-single-az",
                names.vpc,
                f"MWAA needs two private subnets in different AZs; VPC `{names.vpc}` has "
                f"these subnets tagged Tier=private: {found}.",
                f"Tag two private subnets in two AZs `Tier=private` ({_TF}).",
            )
        )
    for subnet in net.subnets:
        target = _default_route(subnet)
        if target and target.startswith("igw-"):
            out.append(
                _error(
                    "subnet-not-private",
                    subnet.id,
                    f"Subnet `{subnet.id}` routes 0.0.0.0/0 to the internet gateway `{target}`; "
                    "MWAA's subnets must be private.",
                    "Route 0.0.0.0/0 through a NAT gateway, or not at all with VPC endpoints.",
                )
            )
    return out


def check_egress(names: Names, net: Network) -> list[Finding]:
    """``no-nat-or-endpoints``: each subnet has a NAT route or every endpoint MWAA needs."""
    interface = {e.service for e in net.endpoints if e.type == "Interface" and e.private_dns}
    gateway_s3 = any(e.service == "s3" for e in net.endpoints)
    missing = [s for s in REQUIRED_INTERFACE_ENDPOINTS if s not in interface]
    if not gateway_s3:
        missing.append("s3")
    out = []
    for subnet in net.subnets:
        target = _default_route(subnet) or ""
        if target.startswith("nat-") or not missing:
            continue
        out.append(
            _error(
                "no-nat-or-endpoints",
                subnet.id,
                f"Subnet `{subnet.id}` has no NAT route and the VPC lacks endpoints (with "
                f"private DNS) for {', '.join(f'`{m}`' for m in missing)}: MWAA cannot reach AWS.",
                f"Add a 0.0.0.0/0 route to a NAT gateway or the missing VPC endpoints ({_TF}).",
            )
        )
    return out


def _acl_allows(entries: tuple[AclEntry, ...], egress: bool, address: str, port: int) -> bool:
    ip = ipaddress.ip_address(address)
    for entry in sorted((e for e in entries if e.egress is egress), key=lambda e: e.rule_number):
        if entry.protocol not in ("-1", "6"):
            continue
        ranged = entry.protocol == "6" and entry.port_from is not None and entry.port_to is not None
        if ranged and not entry.port_from <= port <= entry.port_to:  # type: ignore[operator]
            continue
        try:
            network = ipaddress.ip_network(entry.cidr, strict=False)
        except ValueError:
            continue
        if ip.version == network.version and ip in network:
            return entry.allow
    return False  # the final `*` rule of every ACL denies


def check_acls(names: Names, net: Network) -> list[Finding]:
    """``nacl-blocks-traffic``: HTTPS out, its replies, and traffic within the VPC must pass."""
    if not net.vpc_cidr:
        return []
    inside = str(next(ipaddress.ip_network(net.vpc_cidr, strict=False).hosts()))
    probes = (
        (True, _OUTSIDE, 443, "HTTPS out to AWS APIs and PyPI"),
        (False, _OUTSIDE, 32768, "replies to outbound HTTPS (ephemeral ports)"),
        (False, inside, 443, "HTTPS in from the VPC (endpoints, web server)"),
        (False, inside, 5432, "the metadata database within the VPC"),
        (True, inside, 5432, "the metadata database within the VPC"),
    )
    out = []
    for subnet in net.subnets:
        blocked = [
            f"{'outbound' if egress else 'inbound'} tcp/{port} {why}"
            for egress, address, port, why in probes
            if not _acl_allows(subnet.acl_entries, egress, address, port)
        ]
        if blocked:
            out.append(
                _error(
                    "nacl-blocks-traffic",
                    subnet.acl_id or subnet.id,
                    f"Network ACL `{subnet.acl_id}` of subnet `{subnet.id}` blocks "
                    + "; ".join(blocked)
                    + ".",
                    "Allow these in the ACL (rules are evaluated lowest number first), "
                    "or use the VPC's default ACL.",
                )
            )
    return out


def check_security_group(names: Names, sg: SecurityGroup | None) -> list[Finding]:
    """``sg-not-found``, ``sg-no-self-ingress`` and ``sg-open-ingress``."""
    if sg is None:
        return [
            _error(
                "sg-not-found",
                names.security_group,
                f"No security group `{names.security_group}` in VPC `{names.vpc}`.",
                "Create it (infra/terraform/modules/mwaa/main.tf).",
            )
        ]
    out = []
    if not any(sg.id in r.groups and r.protocol == "-1" for r in sg.ingress):
        out.append(
            _error(
                "sg-no-self-ingress",
                sg.id,
                f"Security group `{names.security_group}` ({sg.id}) has no all-traffic inbound "
                "rule from itself; MWAA's scheduler, workers and web server cannot talk.",
                "Add an inbound rule: all traffic, source = the group itself.",
            )
        )
    for rule in sg.ingress:
        open_cidrs = [c for c in rule.cidrs if c in ("0.0.0.0/0", "::/0")]
        if open_cidrs:
            ports = (
                "all ports"
                if rule.protocol == "-1"
                else f"{rule.protocol}/{rule.port_from}-{rule.port_to}"
            )
            out.append(
                _error(
                    "sg-open-ingress",
                    sg.id,
                    f"Security group `{names.security_group}` accepts {ports} from "
                    f"{', '.join(open_cidrs)}.",
                    "Limit inbound rules to the group itself and the VPC CIDR.",
                )
            )
    return out


def check_network(names: Names, net: Network) -> list[Finding]:
    """Every network check; ``vpc-not-found`` stands in for all of them when there is no VPC."""
    if net.vpc_id is None:
        return [
            _error(
                "vpc-not-found",
                names.vpc,
                f"No VPC is tagged `Name={names.vpc}` in {names.region}.",
                f"Create the environment's network ({_TF}) or tag the VPC.",
            )
        ]
    return (
        check_subnets(names, net)
        + check_egress(names, net)
        + check_acls(names, net)
        + check_security_group(names, net.security_group)
    )
