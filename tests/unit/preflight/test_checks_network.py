"""Network checks over hand-built snapshots: ACL order, NAT-or-endpoints, subnets, groups."""

from __future__ import annotations

from taxiway.preflight.checks_network import (
    REQUIRED_INTERFACE_ENDPOINTS,
    check_acls,
    check_egress,
    check_network,
    check_security_group,
    check_subnets,
)
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

NAMES = Names(
    project="taxiway", env="sandbox", region="eu-west-1", account_id="123456789012", partition="aws",
    buckets={}, vpc="taxiway-sandbox", security_group="taxiway-sandbox-mwaa",
    execution_role="r", kms_alias="alias/taxiway-sandbox", emr_cluster="c", athena_workgroup="w",
    glue_database="g", mwaa_environment="taxiway-sandbox", mwaa_version="3.3.1",
)  # fmt: skip
ALLOW_ALL = (
    AclEntry(100, False, "-1", True, "0.0.0.0/0"),
    AclEntry(100, True, "-1", True, "0.0.0.0/0"),
    AclEntry(32767, False, "-1", False, "0.0.0.0/0"),
    AclEntry(32767, True, "-1", False, "0.0.0.0/0"),
)


def subnet(
    sid: str, az: str, target: str = "nat-1", acl: tuple[AclEntry, ...] = ALLOW_ALL
) -> Subnet:
    routes = (Route("10.0.0.0/16", "local"), Route("0.0.0.0/0", target))
    return Subnet(sid, az, "10.0.0.0/20", routes, "acl-1", acl)


def net(*subnets: Subnet, endpoints: tuple[Endpoint, ...] = ()) -> Network:
    return Network("vpc-1", "10.0.0.0/16", subnets, endpoints, None)


def test_acl_rules_apply_lowest_number_first() -> None:
    deny_https = (AclEntry(90, True, "6", False, "0.0.0.0/0", 443, 443), *ALLOW_ALL)
    allow_first = (AclEntry(80, True, "6", True, "0.0.0.0/0", 443, 443), *deny_https)
    assert check_acls(NAMES, net(subnet("s1", "a", acl=ALLOW_ALL))) == []
    [finding] = check_acls(NAMES, net(subnet("s1", "a", acl=deny_https)))
    assert finding.code == "nacl-blocks-traffic" and "outbound tcp/443" in finding.message
    assert "5432" not in finding.message
    assert check_acls(NAMES, net(subnet("s1", "a", acl=allow_first))) == []
    # Only the final deny: everything is blocked, including the metadata database.
    [blocked] = check_acls(NAMES, net(subnet("s1", "a", acl=ALLOW_ALL[2:])))
    assert blocked.message.count("tcp/") == 5


def test_nat_or_every_endpoint() -> None:
    every = tuple(Endpoint(s, "Interface", True, "available") for s in REQUIRED_INTERFACE_ENDPOINTS)
    s3 = (Endpoint("s3", "Gateway", False, "available"),)
    isolated = subnet("s1", "a", target="")
    assert check_egress(NAMES, net(subnet("s1", "a"))) == []
    assert check_egress(NAMES, net(isolated, endpoints=every + s3)) == []
    # A route to a deleted NAT gateway is a blackhole: no NAT, and no endpoints either.
    dead = Subnet(
        "s1", "a", "10.0.0.0/20", (Route("0.0.0.0/0", "nat-1", "blackhole"),), "acl-1", ALLOW_ALL
    )
    assert [f.code for f in check_egress(NAMES, net(dead))] == ["no-nat-or-endpoints"]
    [f] = check_egress(NAMES, net(isolated, endpoints=every))
    assert "`s3`" in f.message
    no_dns = tuple(Endpoint(e.service, e.type, e.service != "kms", e.state) for e in every)
    [g] = check_egress(NAMES, net(isolated, endpoints=no_dns + s3))
    assert "`kms`" in g.message and "`sqs`" not in g.message


def test_subnets() -> None:
    assert check_subnets(NAMES, net(subnet("s1", "a"), subnet("s2", "b"))) == []
    [same] = check_subnets(NAMES, net(subnet("s1", "a"), subnet("s2", "a")))
    assert same.code == "subnets-single-az"
    codes = [
        f.code for f in check_subnets(NAMES, net(subnet("s1", "a", "igw-1"), subnet("s2", "b")))
    ]
    assert codes == ["subnet-not-private"]
    assert [f.code for f in check_network(NAMES, Network(None, None))] == ["vpc-not-found"]


def test_security_group() -> None:
    self_rule = SgRule("-1", None, None, (), ("sg-1",))
    ok = SecurityGroup("sg-1", "taxiway-sandbox-mwaa", (self_rule,), ())
    assert check_security_group(NAMES, ok) == []
    ssh = SgRule("tcp", 22, 22, ("0.0.0.0/0",), ())
    open_sg = SecurityGroup("sg-1", "taxiway-sandbox-mwaa", (self_rule, ssh), ())
    assert [f.code for f in check_security_group(NAMES, open_sg)] == ["sg-open-ingress"]
    # A self rule limited to one port is not MWAA's all-traffic rule.
    narrow = SecurityGroup("sg-1", "x", (SgRule("tcp", 443, 443, (), ("sg-1",)),), ())
    assert [f.code for f in check_security_group(NAMES, narrow)] == ["sg-no-self-ingress"]
    assert [f.code for f in check_security_group(NAMES, None)] == ["sg-not-found"]
