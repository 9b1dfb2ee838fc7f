"""Network checks: the VPC, its private subnets, routes, network ACLs, endpoints, security groups.

MWAA runs in two private subnets in different AZs, reaches AWS either through a NAT gateway
or through VPC endpoints with private DNS (which needs the VPC's DNS support and hostnames),
and its components talk to each other through a self-referencing security group whose
egress lets HTTPS out and the metadata database's port within the VPC. AWS's own checker
passes every network ACL; here the ACL rules are evaluated in rule-number order for the
traffic MWAA sends and receives.

The same checks serve both modes; a :class:`~taxiway.preflight.snapshot.Scope` carries each
mode's words (a tagged VPC before creation, the environment's subnet ids after).
"""

from __future__ import annotations

import ipaddress

from taxiway.findings import Finding, Severity
from taxiway.preflight.snapshot import AclEntry, Network, Scope, SecurityGroup, SgRule, Subnet

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


def check_subnets(scope: Scope, net: Network) -> list[Finding]:
    """``subnet-not-found``, ``subnets-single-az`` and ``subnet-not-private``."""
    out = [
        _error(
            "subnet-not-found",
            sid,
            f"Subnet `{sid}` {scope.subnets} does not exist (or is not visible to the caller).",
            scope.subnet_fix,
        )
        for sid in net.missing_subnets
    ]
    azs = {s.az for s in net.subnets}
    if len(net.subnets) < 2 or len(azs) < 2:
        found = ", ".join(f"`{s.id}` ({s.az})" for s in net.subnets) or "none"
        out.append(
            _error(
                "subnets-single-az",
                scope.vpc,
                f"MWAA needs two private subnets in different AZs; the subnets {scope.subnets} "
                f"are: {found}.",
                scope.subnet_fix,
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
                    "Route 0.0.0.0/0 through a NAT gateway, or not at all with VPC endpoints "
                    f"({scope.network_fix}).",
                )
            )
    return out


def missing_endpoints(net: Network) -> list[str]:
    """The services MWAA needs an endpoint for (when there is no NAT) that the VPC lacks."""
    interface = {e.service for e in net.endpoints if e.type == "Interface" and e.private_dns}
    missing = [s for s in REQUIRED_INTERFACE_ENDPOINTS if s not in interface]
    if not any(e.service == "s3" for e in net.endpoints):
        missing.append("s3")
    return missing


def check_egress(scope: Scope, net: Network) -> list[Finding]:
    """``no-nat-or-endpoints``: each subnet has a NAT route or every endpoint MWAA needs."""
    missing = missing_endpoints(net)
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
                "Add a 0.0.0.0/0 route to a NAT gateway or the missing VPC endpoints "
                f"({scope.network_fix}).",
            )
        )
    return out


def check_vpc_dns(scope: Scope, net: Network) -> list[Finding]:
    """``vpc-dns-disabled``: private DNS of MWAA's endpoints needs DNS support and hostnames."""
    off = [
        attribute
        for attribute, value in (
            ("enableDnsSupport", net.dns_support),
            ("enableDnsHostnames", net.dns_hostnames),
        )
        if value is False
    ]
    if not off:
        return []
    return [
        _error(
            "vpc-dns-disabled",
            net.vpc_id or scope.vpc,
            f"VPC `{scope.vpc}` has {' and '.join(f'`{a}`' for a in off)} off: the private DNS "
            "names of MWAA's VPC endpoints (its database, web server and, without NAT, every "
            "AWS API) do not resolve.",
            "Turn both on: "
            + " and ".join(
                f"`aws ec2 modify-vpc-attribute --vpc-id {net.vpc_id} --{flag}`"
                for flag in ("enable-dns-support", "enable-dns-hostnames")
            )
            + ".",
        )
    ]


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


def check_acls(scope: Scope, net: Network) -> list[Finding]:
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


def _covers(rule: SgRule, port: int) -> bool:
    if rule.protocol == "-1":
        return True
    if rule.protocol not in ("tcp", "6"):
        return False
    return (
        rule.port_from is not None
        and rule.port_to is not None
        and (rule.port_from <= port <= rule.port_to)
    )


def _reaches_vpc(rule: SgRule, vpc_cidr: str | None, groups: set[str]) -> bool:
    """Whether ``rule``'s destinations include addresses in the VPC (or MWAA's own groups)."""
    if any(g in groups for g in rule.groups):
        return True
    if vpc_cidr is None:
        return bool(rule.cidrs)
    vpc = ipaddress.ip_network(vpc_cidr, strict=False)
    for cidr in rule.cidrs:
        try:
            if ipaddress.ip_network(cidr, strict=False).overlaps(vpc):  # type: ignore[arg-type]
                return True
        except (ValueError, TypeError):
            continue
    return False


def _label(sg: SecurityGroup) -> str:
    return f"`{sg.name}` ({sg.id})" if sg.name and sg.name != sg.id else f"`{sg.id}`"


def check_security_groups(scope: Scope, net: Network) -> list[Finding]:
    """``sg-not-found``, ``sg-no-self-ingress``, ``sg-egress-blocked`` and ``sg-open-ingress``.

    MWAA gives every network interface all of the environment's groups, so a rule of any
    group counts for all of them: one group's self-referencing rule is enough.
    """
    groups = net.security_groups
    out = [
        _error(
            "sg-not-found",
            gid,
            f"Security group `{gid}` of the environment does not exist.",
            scope.group_fix,
        )
        for gid in net.missing_groups
    ]
    if not groups:
        if not net.missing_groups:
            out.append(
                _error(
                    "sg-not-found",
                    scope.security_group,
                    f"No security group `{scope.security_group}` in VPC `{scope.vpc}`.",
                    f"Create it ({scope.group_fix}).",
                )
            )
        return out
    ids = {g.id for g in groups}
    labels = ", ".join(_label(g) for g in groups)
    if not any(
        r.protocol == "-1" and any(g in ids for g in r.groups) for sg in groups for r in sg.ingress
    ):
        out.append(
            _error(
                "sg-no-self-ingress",
                groups[0].id,
                f"Security group {labels} has no all-traffic inbound rule from itself; MWAA's "
                "scheduler, workers and web server cannot talk.",
                f"Add an inbound rule: all traffic, source = the group itself ({scope.group_fix}).",
            )
        )
    egress = [r for sg in groups for r in sg.egress]
    blocked = []
    if not any(_covers(r, 443) and (r.cidrs or r.groups or r.prefix_lists) for r in egress):
        blocked.append("outbound tcp/443 (AWS APIs, S3, PyPI, the VPC endpoints)")
    if not any(_covers(r, 5432) and _reaches_vpc(r, net.vpc_cidr, ids) for r in egress):
        blocked.append("outbound tcp/5432 within the VPC (the metadata database's endpoint)")
    if blocked:
        out.append(
            _error(
                "sg-egress-blocked",
                groups[0].id,
                f"Security group {labels} blocks " + " and ".join(blocked) + ".",
                "Allow all outbound traffic, or at least tcp/443 out and all traffic to the "
                f"group itself ({scope.group_fix}).",
            )
        )
    for sg in groups:
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
                        f"Security group {_label(sg)} accepts {ports} from "
                        f"{', '.join(open_cidrs)}.",
                        "Limit inbound rules to the group itself and the VPC CIDR.",
                    )
                )
    return out


def check_network(scope: Scope, net: Network) -> list[Finding]:
    """Every network check; ``vpc-not-found`` stands in for all of them when there is no VPC."""
    if net.vpc_id is None:
        if net.missing_subnets:
            return check_subnets(scope, net)  # the subnets it names are gone
        return [
            _error(
                "vpc-not-found",
                scope.vpc,
                f"No VPC is tagged `Name={scope.vpc}` in {scope.region}.",
                f"Create the environment's network ({scope.network_fix}) or tag the VPC.",
            )
        ]
    return (
        check_subnets(scope, net)
        + check_egress(scope, net)
        + check_vpc_dns(scope, net)
        + check_acls(scope, net)
        + check_security_groups(scope, net)
    )
