"""Network checks over hand-built snapshots: ACL order, NAT-or-endpoints, subnets, groups."""

from __future__ import annotations

from taxiway.preflight.checks_network import (
    REQUIRED_INTERFACE_ENDPOINTS,
    check_acls,
    check_egress,
    check_network,
    check_security_groups,
    check_subnets,
    check_vpc_dns,
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
    execution_role="r", kms_alias="alias/taxiway-sandbox", emr_cluster="c", emr_service_role="s", emr_instance_profile="i",
    athena_workgroup="w",
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


SCOPE = NAMES.scope


def net(*subnets: Subnet, endpoints: tuple[Endpoint, ...] = ()) -> Network:
    return Network("vpc-1", "10.0.0.0/16", subnets, endpoints)


def test_acl_rules_apply_lowest_number_first() -> None:
    deny_https = (AclEntry(90, True, "6", False, "0.0.0.0/0", 443, 443), *ALLOW_ALL)
    allow_first = (AclEntry(80, True, "6", True, "0.0.0.0/0", 443, 443), *deny_https)
    assert check_acls(SCOPE, net(subnet("s1", "a", acl=ALLOW_ALL))) == []
    [finding] = check_acls(SCOPE, net(subnet("s1", "a", acl=deny_https)))
    assert finding.code == "nacl-blocks-traffic" and "outbound tcp/443" in finding.message
    assert "5432" not in finding.message
    assert check_acls(SCOPE, net(subnet("s1", "a", acl=allow_first))) == []
    # Only the final deny: everything is blocked, including the metadata database.
    [blocked] = check_acls(SCOPE, net(subnet("s1", "a", acl=ALLOW_ALL[2:])))
    assert blocked.message.count("tcp/") == 5


def test_nat_or_every_endpoint() -> None:
    every = tuple(Endpoint(s, "Interface", True, "available") for s in REQUIRED_INTERFACE_ENDPOINTS)
    s3 = (Endpoint("s3", "Gateway", False, "available"),)
    isolated = subnet("s1", "a", target="")
    assert check_egress(SCOPE, net(subnet("s1", "a"))) == []
    assert check_egress(SCOPE, net(isolated, endpoints=every + s3)) == []
    # A route to a deleted NAT gateway is a blackhole: no NAT, and no endpoints either.
    dead = Subnet(
        "s1", "a", "10.0.0.0/20", (Route("0.0.0.0/0", "nat-1", "blackhole"),), "acl-1", ALLOW_ALL
    )
    assert [f.code for f in check_egress(SCOPE, net(dead))] == ["no-nat-or-endpoints"]
    [f] = check_egress(SCOPE, net(isolated, endpoints=every))
    assert "`s3`" in f.message
    no_dns = tuple(Endpoint(e.service, e.type, e.service != "kms", e.state) for e in every)
    [g] = check_egress(SCOPE, net(isolated, endpoints=no_dns + s3))
    assert "`kms`" in g.message and "`sqs`" not in g.message


def test_subnets() -> None:
    assert check_subnets(SCOPE, net(subnet("s1", "a"), subnet("s2", "b"))) == []
    [same] = check_subnets(SCOPE, net(subnet("s1", "a"), subnet("s2", "a")))
    assert same.code == "subnets-single-az"
    codes = [
        f.code for f in check_subnets(SCOPE, net(subnet("s1", "a", "igw-1"), subnet("s2", "b")))
    ]
    assert codes == ["subnet-not-private"]
    assert [f.code for f in check_network(SCOPE, Network(None, None))] == ["vpc-not-found"]


def groups(*sgs: SecurityGroup) -> Network:
    return Network("vpc-1", "10.0.0.0/16", security_groups=sgs)


SELF = SgRule("-1", None, None, (), ("sg-1",))
HTTPS_OUT = SgRule("tcp", 443, 443, ("0.0.0.0/0",), ())


def test_security_group() -> None:
    ok = SecurityGroup("sg-1", "taxiway-sandbox-mwaa", (SELF,), (SELF, HTTPS_OUT))
    assert check_security_groups(SCOPE, groups(ok)) == []
    ssh = SgRule("tcp", 22, 22, ("0.0.0.0/0",), ())
    open_sg = SecurityGroup("sg-1", "taxiway-sandbox-mwaa", (SELF, ssh), (SELF, HTTPS_OUT))
    assert [f.code for f in check_security_groups(SCOPE, groups(open_sg))] == ["sg-open-ingress"]
    # A self rule limited to one port is not MWAA's all-traffic rule.
    narrow = SecurityGroup(
        "sg-1", "x", (SgRule("tcp", 443, 443, (), ("sg-1",)),), (SELF, HTTPS_OUT)
    )
    assert [f.code for f in check_security_groups(SCOPE, groups(narrow))] == ["sg-no-self-ingress"]
    assert [f.code for f in check_security_groups(SCOPE, groups())] == ["sg-not-found"]


def test_security_group_egress() -> None:
    # AWS's default egress (all traffic anywhere) passes; so does 443 out plus self.
    anywhere = SgRule("-1", None, None, ("0.0.0.0/0",), ())
    assert (
        check_security_groups(SCOPE, groups(SecurityGroup("sg-1", "a", (SELF,), (anywhere,)))) == []
    )
    # No egress at all: HTTPS and the database are both blocked.
    [none] = check_security_groups(SCOPE, groups(SecurityGroup("sg-1", "a", (SELF,), ())))
    assert none.code == "sg-egress-blocked"
    assert "tcp/443" in none.message and "tcp/5432" in none.message
    # 443 out only: the metadata database (5432, inside the VPC) is blocked.
    [db] = check_security_groups(SCOPE, groups(SecurityGroup("sg-1", "a", (SELF,), (HTTPS_OUT,))))
    assert "tcp/5432" in db.message and "tcp/443" not in db.message
    # 5432 to another VPC's range does not count; to the VPC's own range does.
    other = SgRule("tcp", 5432, 5432, ("172.16.0.0/16",), ())
    inside = SgRule("tcp", 5432, 5432, ("10.0.0.0/24",), ())
    assert check_security_groups(
        SCOPE, groups(SecurityGroup("sg-1", "a", (SELF,), (HTTPS_OUT, other)))
    )
    assert not check_security_groups(
        SCOPE, groups(SecurityGroup("sg-1", "a", (SELF,), (HTTPS_OUT, inside)))
    )


def test_two_groups_share_their_rules() -> None:
    # MWAA gives every interface all the environment's groups: one group's rules count for all.
    ingress = SecurityGroup("sg-1", "ingress", (SgRule("-1", None, None, (), ("sg-2",)),), ())
    egress = SecurityGroup("sg-2", "egress", (), (SgRule("-1", None, None, ("0.0.0.0/0",), ()),))
    assert check_security_groups(SCOPE, groups(ingress, egress)) == []
    gone = Network(
        "vpc-1", "10.0.0.0/16", security_groups=(ingress, egress), missing_groups=("sg-9",)
    )
    assert [f.code for f in check_security_groups(SCOPE, gone)] == ["sg-not-found"]


def test_missing_subnets_and_dns() -> None:
    only = Network("vpc-1", "10.0.0.0/16", (subnet("s1", "a"),), missing_subnets=("s2",))
    assert sorted(f.code for f in check_subnets(SCOPE, only)) == [
        "subnet-not-found",
        "subnets-single-az",
    ]
    # Every subnet gone: no VPC to speak of, and the subnet findings say why.
    gone = Network(None, None, missing_subnets=("s1", "s2"))
    assert sorted(f.code for f in check_network(SCOPE, gone)) == [
        "subnet-not-found",
        "subnet-not-found",
        "subnets-single-az",
    ]
    dns_off = Network("vpc-1", "10.0.0.0/16", dns_support=True, dns_hostnames=False)
    [f] = check_vpc_dns(SCOPE, dns_off)
    assert f.code == "vpc-dns-disabled" and "`enableDnsHostnames`" in f.message
    assert "enableDnsSupport`" not in f.message
    # Not read (None) is not "off".
    assert check_vpc_dns(SCOPE, Network("vpc-1", "10.0.0.0/16")) == []
