"""preflight --env (before creation) on the twin: a correct environment passes, each mistake is caught.

Each case starts from an empty account on the twin (moto's server), builds the environment
the way Terraform does (preflight_env.build), breaks exactly one thing, runs preflight and
checks that the AWS findings with severity warning or error are exactly the expected code:
caught, and by nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from preflight_env import (
    ACCOUNT,
    Built,
    bucket,
    client,
    clients,
    execution_policy,
    trust_policy,
)

from taxiway import config, naming
from taxiway.findings import Finding, Severity
from taxiway.platform.preflight import preflight
from taxiway.preflight.run import AWS_CODES, Report

pytestmark = pytest.mark.integration


def run(settings_file: Path, project: Path | None = None) -> Report:
    return preflight(config.load(settings_file), "sandbox", project, clients())


def problems(findings: list[Finding]) -> dict[str, int]:
    """AWS findings that are warnings or errors, counted by code."""
    out: dict[str, int] = {}
    for f in findings:
        if f.code in AWS_CODES and f.severity is not Severity.INFO:
            out[f.code] = out.get(f.code, 0) + 1
    return out


def test_good_environment_passes(aws: str, settings_file: Path) -> None:
    from preflight_env import build

    build()
    report = run(settings_file)
    assert problems(report.findings) == {}, [f.message for f in report.findings]
    codes = {f.code for f in report.findings}
    # The twin's MWAA has no such environment yet: absent is information, not an error.
    assert "mwaa-environment-absent" in codes
    # The one conditional statement of the execution policy (cloudwatch:namespace).
    cond = [f for f in report.findings if f.code == "role-condition-not-evaluated"]
    assert len(cond) == 1 and "cloudwatch:PutMetricData" in cond[0].message
    assert report.iam_method == "local"
    assert report.names is not None
    assert report.names.buckets["mwaa"] == f"taxiway-sandbox-mwaa-{ACCOUNT}"


# --------------------------------------------------------------------------- breakers


def _ec2() -> Any:
    return client("ec2")


def route_to_igw(b: Built) -> None:
    _ec2().replace_route(
        RouteTableId=b.private_tables[0], DestinationCidrBlock="0.0.0.0/0", GatewayId=b.igw
    )


def one_private_subnet(b: Built) -> None:
    _ec2().delete_tags(Resources=[b.private_subnets[1]], Tags=[{"Key": "Tier"}])


def no_nat_and_no_sqs_endpoint(b: Built) -> None:
    ec2 = _ec2()
    for table in b.private_tables:
        ec2.delete_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_vpc_endpoints(VpcEndpointIds=[b.endpoints["sqs"]])


def acl_denies_https_out(b: Built) -> None:
    ec2 = _ec2()
    acl = ec2.create_network_acl(VpcId=b.vpc)["NetworkAcl"]["NetworkAclId"]
    for egress in (True, False):
        ec2.create_network_acl_entry(
            NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow",
            Egress=egress, CidrBlock="0.0.0.0/0",
        )  # fmt: skip
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=90, Protocol="6", RuleAction="deny", Egress=True,
        CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443},
    )  # fmt: skip
    current = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [b.private_subnets[0]]}]
    )["NetworkAcls"][0]
    assoc = next(
        a["NetworkAclAssociationId"]
        for a in current["Associations"]
        if a["SubnetId"] == b.private_subnets[0]
    )
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)


def no_self_ingress(b: Built) -> None:
    _ec2().revoke_security_group_ingress(
        GroupId=b.sg, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": b.sg}]}]
    )


def ssh_from_anywhere(b: Built) -> None:
    _ec2().authorize_security_group_ingress(
        GroupId=b.sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )


def delete_reports_bucket(b: Built) -> None:
    client("s3").delete_bucket(Bucket=bucket("reports"))


def suspend_mwaa_versioning(b: Built) -> None:
    client("s3").put_bucket_versioning(
        Bucket=bucket("mwaa"), VersioningConfiguration={"Status": "Suspended"}
    )


def open_landing(b: Built) -> None:
    client("s3").delete_public_access_block(Bucket=bucket("landing"))


def unencrypted_curated(b: Built) -> None:
    client("s3").delete_bucket_encryption(Bucket=bucket("curated"))


def artifacts_without_policy(b: Built) -> None:
    client("s3").delete_bucket_policy(Bucket=bucket("artifacts"))


def _role() -> str:
    return naming.mwaa_execution_role("taxiway", "sandbox")


def trust_one_principal(b: Built) -> None:
    client("iam").update_assume_role_policy(
        RoleName=_role(), PolicyDocument=json.dumps(trust_policy(("airflow.amazonaws.com",)))
    )


def no_athena_statement(b: Built) -> None:
    client("iam").put_role_policy(
        RoleName=_role(),
        PolicyName="mwaa-and-pipeline",
        PolicyDocument=json.dumps(execution_policy(b.key_arn, "QueriesInOwnWorkgroup")),
    )


def managed_policy_denies_glue(b: Built) -> None:
    iam = client("iam")
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "glue:BatchCreate*", "Resource": "*"}],
    }
    arn = iam.create_policy(PolicyName="no-glue-writes", PolicyDocument=json.dumps(deny))["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName=_role(), PolicyArn=arn)


def list_all_buckets(b: Built) -> None:
    wide = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}],
    }
    client("iam").put_role_policy(
        RoleName=_role(), PolicyName="console-browsing", PolicyDocument=json.dumps(wide)
    )


def key_without_logs(b: Built) -> None:
    from preflight_env import kms_policy

    client("kms").put_key_policy(
        KeyId=b.key_arn, PolicyName="default", Policy=json.dumps(kms_policy(include_logs=False))
    )


def terminate_cluster(b: Built) -> None:
    client("emr").terminate_job_flows(JobFlowIds=[b.cluster_id])


def workgroup_not_enforced(b: Built) -> None:
    # moto cannot UpdateWorkGroup's configuration: recreate it the way a console user would.
    athena = client("athena")
    name = naming.athena_workgroup("taxiway", "sandbox")
    athena.delete_work_group(WorkGroup=name)
    athena.create_work_group(
        Name=name,
        Configuration={
            "EnforceWorkGroupConfiguration": False,
            "ResultConfiguration": {
                "OutputLocation": f"s3://{bucket('artifacts')}/athena-results/",
                "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
            },
        },
    )


def drop_glue_database(b: Built) -> None:
    client("glue").delete_database(Name=naming.glue_database("taxiway", "sandbox"))


CASES = [
    ("subnet-not-private", route_to_igw, 1),
    ("subnets-single-az", one_private_subnet, 1),
    ("no-nat-or-endpoints", no_nat_and_no_sqs_endpoint, 2),
    ("nacl-blocks-traffic", acl_denies_https_out, 1),
    ("sg-no-self-ingress", no_self_ingress, 1),
    ("sg-open-ingress", ssh_from_anywhere, 1),
    ("bucket-missing", delete_reports_bucket, 1),
    ("bucket-versioning-disabled", suspend_mwaa_versioning, 1),
    ("bucket-public-access", open_landing, 1),
    ("bucket-no-encryption", unencrypted_curated, 1),
    ("bucket-no-tls-policy", artifacts_without_policy, 1),
    ("role-trust-missing", trust_one_principal, 1),
    ("role-missing-permission", no_athena_statement, 2),
    ("role-missing-permission", managed_policy_denies_glue, 3),
    ("role-allows-list-all-buckets", list_all_buckets, 1),
    ("kms-policy-missing-service", key_without_logs, 1),
    ("athena-workgroup-not-enforced", workgroup_not_enforced, 1),
    ("glue-database-missing", drop_glue_database, 1),
]


@pytest.mark.parametrize(
    ("code", "breaker", "count"), CASES, ids=[f"{c[0]}-{c[1].__name__}" for c in CASES]
)
def test_each_mistake_is_caught_by_its_own_code(
    aws: str, settings_file: Path, code: str, breaker: Any, count: int
) -> None:
    from preflight_env import build

    breaker(build())
    report = run(settings_file)
    assert problems(report.findings) == {code: count}, [
        (f.code, f.message) for f in report.findings
    ]


def test_no_cluster_alive_is_the_dags_to_create(aws: str, settings_file: Path) -> None:
    """The DAG owns the EMR cluster: none alive between runs is information, and the
    role's step permissions are still checked (on the cluster the DAG will create)."""
    from preflight_env import build

    terminate_cluster(build())
    report = run(settings_file)
    assert problems(report.findings) == {}, [f.message for f in report.findings]
    (info,) = [f for f in report.findings if f.code == "emr-cluster-not-found"]
    assert info.severity is Severity.INFO and "creates it" in info.message
    # the tag-conditioned EMR statements were evaluated with the requests' tags: only
    # CloudWatch's namespace condition is left unevaluated
    cond = [f for f in report.findings if f.code == "role-condition-not-evaluated"]
    assert len(cond) == 1 and "cloudwatch:PutMetricData" in cond[0].message, cond


def test_broken_requirements_appear_in_the_report(
    aws: str, settings_file: Path, tmp_path: Path
) -> None:
    from preflight_env import build

    build()
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(
        "apache-airflow==2.0.2\nthis is not a requirement!!\n", encoding="utf-8"
    )
    report = run(settings_file, project)
    assert problems(report.findings) == {}
    doctor = [f for f in report.findings if f.file == "requirements.txt"]
    # The doctor's own codes are its business (doctor.md); here: both lines reach the report.
    assert any(f.line == 2 and f.code == "parse-error" for f in doctor)
    assert any(
        f.line == 1 and f.severity is Severity.ERROR and "apache-airflow" in f.message
        for f in doctor
    )
    assert report.doctor.endswith("for MWAA 3.3.1")
