"""Read the environment's network: VPC, subnets with their routes and ACLs, endpoints, groups.

Part of the collectors (the one place that calls AWS), split out for size. Before creation
the VPC is found by its Name tag and the subnets by ``Tier=private``
(:func:`read_network`); an existing environment names its subnets and groups by id
(:func:`read_network_by_ids`).
"""

from __future__ import annotations

from dataclasses import replace
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
    group = _security_groups(
        r, [*in_vpc, {"Name": "group-name", "Values": [names.security_group]}]
    )[:1]
    return _network(r, names.region, vpc_id, cidr, (subnets or {}).get("Subnets", []), group)


def read_network_by_ids(
    r: Reader, region: str, subnet_ids: tuple[str, ...], group_ids: tuple[str, ...]
) -> Network:
    """The subnets and security groups an existing environment names, and their VPC."""
    # Filters, not SubnetIds=/GroupIds=: one missing id would fail the whole call.
    answer = (
        r.call(
            "ec2", "describe_subnets", Filters=[{"Name": "subnet-id", "Values": list(subnet_ids)}]
        )
        if subnet_ids
        else {}
    )
    if answer is None:
        return Network(None, None)  # unread: the note says why; nothing is "missing"
    found = answer.get("Subnets", [])
    notes = len(r.notes)
    groups = (
        _security_groups(r, [{"Name": "group-id", "Values": list(group_ids)}]) if group_ids else ()
    )
    unread = len(r.notes) > notes  # denied: the checks skip the groups, none is "missing"
    missing_subnets = tuple(s for s in subnet_ids if s not in {x["SubnetId"] for x in found})
    missing_groups = (
        () if unread else tuple(g for g in group_ids if g not in {x.id for x in groups})
    )
    if not found:
        return Network(None, None, missing_subnets=missing_subnets, missing_groups=missing_groups)
    vpc_id = found[0]["VpcId"]
    vpcs = (r.call("ec2", "describe_vpcs", VpcIds=[vpc_id]) or {}).get("Vpcs") or [{}]
    net = _network(r, region, vpc_id, vpcs[0].get("CidrBlock"), found, groups)
    return replace(net, missing_subnets=missing_subnets, missing_groups=missing_groups)


def _network(
    r: Reader,
    region: str,
    vpc_id: str,
    cidr: str | None,
    subnets: list[dict[str, Any]],
    groups: tuple[SecurityGroup, ...],
) -> Network:
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    tables = (r.call("ec2", "describe_route_tables", Filters=in_vpc) or {}).get("RouteTables", [])
    acls = (r.call("ec2", "describe_network_acls", Filters=in_vpc) or {}).get("NetworkAcls", [])

    def attribute(name: str, key: str) -> bool | None:
        got = r.call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute=name)
        return None if got is None else bool((got.get(key) or {}).get("Value"))

    return Network(
        vpc_id=vpc_id,
        vpc_cidr=cidr,
        subnets=tuple(_subnet(s, tables, acls) for s in subnets),
        endpoints=_endpoints(r, region, in_vpc),
        security_groups=groups,
        dns_support=attribute("enableDnsSupport", "EnableDnsSupport"),
        dns_hostnames=attribute("enableDnsHostnames", "EnableDnsHostnames"),
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


def _endpoints(r: Reader, region: str, in_vpc: list[dict[str, Any]]) -> tuple[Endpoint, ...]:
    found = r.call("ec2", "describe_vpc_endpoints", Filters=in_vpc) or {}
    stem = f"com.amazonaws.{region}."
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
            prefix_lists=tuple(x["PrefixListId"] for x in p.get("PrefixListIds", [])),
        )
        for p in perms
    )


def _security_groups(r: Reader, filters: list[dict[str, Any]]) -> tuple[SecurityGroup, ...]:
    found = r.call("ec2", "describe_security_groups", Filters=filters)
    return tuple(
        SecurityGroup(
            g["GroupId"],
            g.get("GroupName", ""),
            _rules(g.get("IpPermissions", [])),
            _rules(g.get("IpPermissionsEgress", [])),
        )
        for g in (found or {}).get("SecurityGroups") or []
    )
