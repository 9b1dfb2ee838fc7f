"""What Terraform's sandbox root makes, built on the twin with boto3 for the fast tests
(names per taxiway.naming; the real `terraform apply` runs in test_terraform_twin.py)."""

from __future__ import annotations

from aws_helpers import client

NAME = "taxiway-sandbox"


def terraform_made_infra() -> dict[str, str]:
    """What the sandbox root makes for a cluster to be built from (names per taxiway.naming)."""
    ec2, emr, kms = client("ec2"), client("emr"), client("kms")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": NAME}])
    subnets = {}
    for tier, cidr in (("private", "10.10.0.0/20"), ("public", "10.10.128.0/20")):
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
        ec2.create_tags(Resources=[sid], Tags=[{"Key": "Tier", "Value": tier}])
        subnets[tier] = sid
    groups = {}
    for suffix in ("emr-primary", "emr-core", "emr-service-access", "emr-debug"):
        groups[suffix] = ec2.create_security_group(
            GroupName=f"{NAME}-{suffix}", Description=suffix, VpcId=vpc
        )["GroupId"]
    emr.create_security_configuration(Name=f"{NAME}-encryption", SecurityConfiguration="{}")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{NAME}", TargetKeyId=key)
    return {"private": subnets["private"], "key": key, **groups}
