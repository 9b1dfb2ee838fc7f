"""Read the environment's network: VPC, private subnets with their routes and ACLs, endpoints.

Part of :mod:`taxiway.preflight.collect` (the one place that calls AWS), split out for size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taxiway.preflight.snapshot import (
    AclEntry,
    Endpoint,
    Names,
    Network,
    Route,
    SecurityGroup,
    SgRule,
    Subnet,
)

if TYPE_CHECKING:
    from taxiway.preflight.collect import Reader


def read_network(r: Reader, names: Names) -> Network:
    """The VPC tagged with the environment's name, its private subnets, endpoints and group."""
    vpcs = r.call("ec2", "describe_vpcs", Filters=[{"Name": "tag:Name", "Values": [names.vpc]}])
    vpc_list = (vpcs or {}).get("Vpcs") or []
    if not vpc_list:
        return Network(vpc_id=None, vpc_cidr=None)
    vpc_id, cidr = vpc_list[0]["VpcId"], vpc_list[0]["CidrBlock"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    subnets = r.call(
        "ec2",
        "describe_subnets",
        Filters=[*in_vpc, {"Name": "tag:Tier", "Values": ["private"]}],
    )
    tables = (r.call("ec2", "describe_route_tables", Filters=in_vpc) or {}).get("RouteTables", [])
    acls = (r.call("ec2", "describe_network_acls", Filters=in_vpc) or {}).get("NetworkAcls", [])
    return Network(
        vpc_id=vpc_id,
        vpc_cidr=cidr,
        subnets=tuple(_subnet(s, tables, acls) for s in (subnets or {}).get("Subnets", [])),
        endpoints=_endpoints(r, names, in_vpc),
        security_group=_security_group(r, names, in_vpc),
    )


def _subnet(
    raw: dict[str, Any], tables: list[dict[str, Any]], acls: list[dict[str, Any]]
) -> Subnet:
    sid = raw["SubnetId"]

    def associated(table: dict[str, Any]) -> bool:
        return any(a.get("SubnetId") == sid for a in table.get("Associations", []))

    table = next((t for t in tables if associated(t)), None) or next(
        (t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), {}
    )
    routes = tuple(
        Route(
            rt.get("DestinationCidrBlock") or rt.get("DestinationPrefixListId") or "",
            rt.get("GatewayId") or rt.get("NatGatewayId") or rt.get("VpcPeeringConnectionId") or "",
            str(rt.get("State", "active")),
        )
        for rt in table.get("Routes", [])
    )
    acl = next((a for a in acls if associated(a)), None) or next(
        (a for a in acls if a.get("IsDefault")), {}
    )
    entries = tuple(
        AclEntry(
            rule_number=int(e["RuleNumber"]),
            egress=bool(e["Egress"]),
            protocol=str(e["Protocol"]),
            allow=e["RuleAction"] == "allow",
            cidr=e.get("CidrBlock") or e.get("Ipv6CidrBlock") or "",
            port_from=(e.get("PortRange") or {}).get("From"),
            port_to=(e.get("PortRange") or {}).get("To"),
        )
        for e in acl.get("Entries", [])
    )
    return Subnet(
        sid, raw["AvailabilityZone"], raw["CidrBlock"], routes, acl.get("NetworkAclId"), entries
    )


def _endpoints(r: Reader, names: Names, in_vpc: list[dict[str, Any]]) -> tuple[Endpoint, ...]:
    found = r.call("ec2", "describe_vpc_endpoints", Filters=in_vpc) or {}
    stem = f"com.amazonaws.{names.region}."
    return tuple(
        Endpoint(
            service=e["ServiceName"].removeprefix(stem),
            type=e.get("VpcEndpointType", "Gateway"),
            private_dns=bool(e.get("PrivateDnsEnabled")),
            state=str(e.get("State", "")),
        )
        for e in found.get("VpcEndpoints", [])
        if str(e.get("State", "available")).lower() not in ("deleted", "deleting", "failed")
    )


def _rules(perms: list[dict[str, Any]]) -> tuple[SgRule, ...]:
    return tuple(
        SgRule(
            protocol=str(p.get("IpProtocol")),
            port_from=p.get("FromPort"),
            port_to=p.get("ToPort"),
            cidrs=tuple(
                [x["CidrIp"] for x in p.get("IpRanges", [])]
                + [x["CidrIpv6"] for x in p.get("Ipv6Ranges", [])]
            ),
            groups=tuple(g["GroupId"] for g in p.get("UserIdGroupPairs", [])),
        )
        for p in perms
    )


def _security_group(r: Reader, names: Names, in_vpc: list[dict[str, Any]]) -> SecurityGroup | None:
    found = r.call(
        "ec2",
        "describe_security_groups",
        Filters=[*in_vpc, {"Name": "group-name", "Values": [names.security_group]}],
    )
    groups = (found or {}).get("SecurityGroups") or []
    if not groups:
        return None
    g = groups[0]
    return SecurityGroup(
        g["GroupId"],
        g["GroupName"],
        _rules(g.get("IpPermissions", [])),
        _rules(g.get("IpPermissionsEgress", [])),
    )
