"""Existing environments on `taxiway twin` that preflight must refuse, each by its own code.

Each test builds the realistic environment (environment_build.realistic), then breaks one
thing the way it breaks in real accounts: a subnet deleted, a route changed, a policy
narrowed, an object version expired, logging switched off. Preflight gets only the name.
The findings that are warnings or errors must be exactly the expected codes plus the one
warning every twin environment has (its bucket cannot carry the TLS-only policy: moto
applies its Deny without the condition).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from environment_build import LOG_TYPES, NAME, quickstart, realistic
from preflight_env import REGION, bucket, client, execution_policy

from taxiway.awsclient import client_factory
from taxiway.findings import Finding, Severity
from taxiway.preflight.run import Report, preflight_environment

pytestmark = pytest.mark.integration

TWIN_ONLY = {"bucket-no-tls-policy": 1}


def run(name: str = NAME) -> Report:
    return preflight_environment(
        name, None, client_factory(REGION), probe=client_factory(REGION, attempts=1)
    )


def problems(findings: list[Finding]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        if f.severity is not Severity.INFO:
            out[f.code] = out.get(f.code, 0) + 1
    return out


def test_single_az_after_a_subnet_is_gone(aws: str) -> None:
    env = realistic()
    gone = env.built.private_subnets[1]
    client("ec2").delete_subnet(SubnetId=gone)
    report = run()
    assert problems(report.findings) == {**TWIN_ONLY, "subnet-not-found": 1, "subnets-single-az": 1}
    [missing] = [f for f in report.findings if f.code == "subnet-not-found"]
    assert missing.subject == gone and "create a new environment" in missing.hint


def test_public_subnet_without_nat_or_endpoints(aws: str) -> None:
    env = realistic()
    ec2 = client("ec2")
    ec2.replace_route(
        RouteTableId=env.built.private_tables[0],
        DestinationCidrBlock="0.0.0.0/0",
        GatewayId=env.built.igw,
    )
    ec2.delete_vpc_endpoints(VpcEndpointIds=list(env.built.endpoints.values()))
    found = run().findings
    assert problems(found) == {**TWIN_ONLY, "subnet-not-private": 1, "no-nat-or-endpoints": 1}
    subject = env.built.private_subnets[0]
    assert {
        f.subject for f in found if f.code in ("subnet-not-private", "no-nat-or-endpoints")
    } == {subject}
    [egress] = [f for f in found if f.code == "no-nat-or-endpoints"]
    assert "`s3`" in egress.message and "`sqs`" in egress.message


def test_role_that_cannot_read_the_bucket_or_use_the_key(aws: str) -> None:
    env = realistic()
    policy = execution_policy(env.built.key_arn)
    policy["Statement"] = [
        s for s in policy["Statement"] if s["Sid"] not in ("ReadDagsBucket", "EnvironmentKey")
    ]
    client("iam").put_role_policy(
        RoleName=f"{NAME}-mwaa-execution",
        PolicyName="mwaa-and-pipeline",
        PolicyDocument=json.dumps(policy),
    )
    found = run().findings
    b = f"arn:aws:s3:::{env.bucket}"
    denied = sorted(f.subject for f in found if f.code == "role-missing-permission")
    assert denied == sorted(
        [
            f"s3:GetObject {b}/dags/orders.py",
            f"s3:GetObjectVersion {b}/requirements.txt",
            f"s3:ListBucket {b}",
            f"s3:GetBucketVersioning {b}",
            f"s3:GetBucketPublicAccessBlock {b}",
            # DescribeKey stays: the DAG's own statement for the cluster's log key grants it
            *(f"kms:{a} {env.built.key_arn}" for a in ("Decrypt", "GenerateDataKey", "Encrypt")),
        ]
    )
    assert problems(found) == {**TWIN_ONLY, "role-missing-permission": 8}


def test_requirements_version_that_is_not_in_the_bucket(aws: str) -> None:
    env = realistic()
    s3 = client("s3")
    # A lifecycle rule (or a hand) removed the version the environment installs; a newer exists.
    s3.delete_object(Bucket=env.bucket, Key="requirements.txt", VersionId=env.requirements_version)
    newer = s3.put_object(Bucket=env.bucket, Key="requirements.txt", Body=b"# newer\n")["VersionId"]
    found = run().findings
    assert problems(found) == {**TWIN_ONLY, "object-version-missing": 1}
    [f] = [f for f in found if f.code == "object-version-missing"]
    assert f"`{env.requirements_version}`" in f.message and f"`{newer}`" in f.message
    assert "--requirements-s3-object-version" in f.hint


def test_logging_off(aws: str) -> None:
    off: dict[str, Any] = {f"{k}Logs": {"Enabled": False, "LogLevel": "INFO"} for k in LOG_TYPES}
    realistic(LoggingConfiguration=off)
    found = run().findings
    assert problems(found) == {**TWIN_ONLY, "mwaa-logging-disabled": 1}
    [f] = [f for f in found if f.code == "mwaa-logging-disabled"]
    assert f.severity is Severity.ERROR and "no task logs" in f.message


def test_aws_quickstart_shape(aws: str) -> None:
    """A layout taxiway did not design: AWS's quick-start template (NAT, no endpoints, no key)."""
    name = quickstart()
    found = run(name).findings
    assert problems(found) == {"mwaa-webserver-public": 1, "bucket-no-tls-policy": 1}
    [public] = [f for f in found if f.code == "mwaa-webserver-public"]
    assert "reachable from the internet" in public.message
    # The sample's AWS owned key statement holds under kms:ViaService, which is not evaluated.
    assert any(
        f.code == "role-condition-not-evaluated" and "kms:ViaService" in f.message for f in found
    )
    # The quick start has no bucket policy at all, so this warning is the template's, not the twin's.
    assert client("s3").list_buckets()["Buckets"][0]["Name"] == "quickstart-mwaa-dags"
    assert bucket("mwaa") not in {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
