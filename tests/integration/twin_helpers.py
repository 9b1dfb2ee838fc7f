"""Build what an MWAA environment needs on the twin, as a user (or Terraform) would.

``create_environment`` makes the versioned source bucket, the execution role, a VPC with two
private subnets in two AZs and a security group, then calls CreateEnvironment and waits
until the environment settles. Import it as ``from twin_helpers import ...`` (the integration
folder is on pytest's path through its conftest).
"""

from __future__ import annotations

import json
import time
from typing import Any

REGION = "eu-west-1"
#: the one Airflow version the twin tests install (one cached virtualenv per requirements set)
AIRFLOW = "2.11.2"
ACCOUNT = "123456789012"  # moto's default account
SETTLED = ("AVAILABLE", "CREATE_FAILED", "UPDATE_FAILED", "UNAVAILABLE")


def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=REGION, config=Config(inject_host_prefix=False))


def versioned_bucket(name: str, versioning: bool = True) -> str:
    s3 = client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def execution_role(name: str, bucket: str) -> str:
    """An execution role as MWAA's documentation writes it (trust + S3/logs access)."""
    iam = client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "airflow:PublishMetrics",
                "Resource": f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/*",
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            },
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:CreateLogGroup",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:GetLogRecord",
                    "logs:GetLogGroupFields",
                    "logs:GetQueryResults",
                ],
                "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:airflow-*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                    "sqs:SendMessage",
                ],
                "Resource": f"arn:aws:sqs:{REGION}:*:airflow-celery-*",
            },
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="mwaa", PolicyDocument=json.dumps(policy))
    return str(arn)


def network() -> dict[str, list[str]]:
    """Two private subnets in two AZs of a new VPC, and a self-referencing security group."""
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.0.1.0/24", f"{REGION}a"), ("10.0.2.0/24", f"{REGION}b"))
    ]
    sg = ec2.create_security_group(GroupName="mwaa", Description="mwaa", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": sg}]}]
    )
    return {"SubnetIds": subnets, "SecurityGroupIds": [sg]}


def wait_settled(name: str, timeout: float = 900) -> dict[str, Any]:
    """GetEnvironment until the environment is no longer CREATING/UPDATING/ROLLING_BACK."""
    mwaa = client("mwaa")
    deadline = time.monotonic() + timeout
    while True:
        env: dict[str, Any] = mwaa.get_environment(Name=name)["Environment"]
        if env["Status"] in SETTLED:
            return env
        if time.monotonic() > deadline:
            raise AssertionError(f"environment {name} still {env['Status']} after {timeout} s")
        time.sleep(0.5)


def create_environment(
    name: str,
    bucket: str,
    airflow_version: str,
    dag_path: str = "dags",
    wait: bool = True,
    **paths: str,
) -> dict[str, Any]:
    """A new MWAA environment on ``bucket`` (created, versioned, when absent).

    ``paths`` are CreateEnvironment's S3 path fields (``RequirementsS3Path="requirements.txt"``,
    ``PluginsS3Path=...``, ``StartupScriptS3Path=...``); the objects must be in the bucket.
    The DAG folder gets a folder marker (``dags/``) when it is empty, as the console makes it.
    """
    s3 = client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception:
        versioned_bucket(bucket)
    if not s3.list_objects_v2(Bucket=bucket, Prefix=dag_path).get("KeyCount"):
        s3.put_object(Bucket=bucket, Key=dag_path.rstrip("/") + "/", Body=b"")
    client("mwaa").create_environment(
        Name=name,
        ExecutionRoleArn=execution_role(f"{name}-execution", bucket),
        SourceBucketArn=f"arn:aws:s3:::{bucket}",
        DagS3Path=dag_path,
        NetworkConfiguration=network(),
        AirflowVersion=airflow_version,
        LoggingConfiguration={
            k: {"Enabled": True, "LogLevel": "INFO"}
            for k in (
                "DagProcessingLogs",
                "SchedulerLogs",
                "TaskLogs",
                "WebserverLogs",
                "WorkerLogs",
            )
        },
        **paths,
    )
    return wait_settled(name) if wait else {}
