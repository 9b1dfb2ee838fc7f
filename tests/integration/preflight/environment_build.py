"""An existing MWAA environment on `taxiway twin`, in the account preflight_env.build() makes.

preflight_env builds what Terraform builds (a VPC with private subnets behind NAT gateways and
MWAA's endpoints, the self-referencing security group, the KMS key, versioned, encrypted,
TLS-only buckets, the execution role); :func:`realistic` uploads a DAG and a requirements
file to the environment's bucket and creates the environment on the twin with
CreateEnvironment, as the console or Terraform would, then waits until the twin has
installed it. Preflight's ``--environment`` mode learns all of it from GetEnvironment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from preflight_env import ACCOUNT, REGION, Built, bucket, build, client

NAME = "taxiway-sandbox"  # the role's policy (preflight_env) is scoped to this environment
AIRFLOW = "2.11.2"  # the version the twin tests install (tests/integration/twin_helpers.py)
LOG_TYPES = ("DagProcessing", "Scheduler", "Task", "Webserver", "Worker")
LOG_GROUPS = ("DAGProcessing", "Scheduler", "Task", "WebServer", "Worker")
DAG = b"""from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG("orders", start_date=datetime(2026, 1, 1), schedule=None):
    EmptyOperator(task_id="start")
"""


@dataclass
class Environment:
    """What :func:`realistic` made: the account's ids and the environment as GetEnvironment says."""

    built: Built
    bucket: str
    requirements_version: str
    described: dict[str, Any]


def mwaa() -> Any:
    import boto3
    from botocore.config import Config

    # One endpoint serves every API: MWAA's `api.` host prefix must be off.
    return boto3.client("mwaa", region_name=REGION, config=Config(inject_host_prefix=False))


def wait_settled(name: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        env: dict[str, Any] = mwaa().get_environment(Name=name)["Environment"]
        if env["Status"] not in ("CREATING", "UPDATING", "ROLLING_BACK"):
            return env
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} is still {env['Status']} after {timeout} s")
        time.sleep(0.25)


def realistic(logging: bool = True, **overrides: Any) -> Environment:
    """The account, then a correct MWAA environment in it, AVAILABLE; ``overrides`` go to
    CreateEnvironment (``LoggingConfiguration``...)."""
    built = build()
    s3, name = client("s3"), bucket("mwaa")
    # moto applies the TLS-only Deny without its aws:SecureTransport condition, refusing
    # every plain-HTTP object call (the twin's too): on the twin this bucket cannot have it.
    s3.delete_bucket_policy(Bucket=name)
    s3.put_object(Bucket=name, Key="dags/orders.py", Body=DAG)
    # Comments only: the twin installs it with the empty requirement set it caches.
    version = s3.put_object(
        Bucket=name, Key="requirements.txt", Body=b"# MWAA's built-ins are enough\n"
    )["VersionId"]
    logs = client("logs")
    for group in LOG_GROUPS:  # MWAA creates them; the twin leaves CloudWatch to moto
        logs.create_log_group(logGroupName=f"airflow-{NAME}-{group}")
    request: dict[str, Any] = {
        "Name": NAME,
        "AirflowVersion": AIRFLOW,
        "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-mwaa-execution",
        "SourceBucketArn": f"arn:aws:s3:::{name}",
        "DagS3Path": "dags",
        "RequirementsS3Path": "requirements.txt",
        "RequirementsS3ObjectVersion": version,
        "NetworkConfiguration": {
            "SubnetIds": built.private_subnets,
            "SecurityGroupIds": [built.sg],
        },
        "KmsKey": built.key_arn,
        "WebserverAccessMode": "PRIVATE_ONLY",
        "LoggingConfiguration": {
            f"{kind}Logs": {"Enabled": logging, "LogLevel": "INFO"} for kind in LOG_TYPES
        },
    }
    request.update(overrides)
    mwaa().create_environment(**request)
    described = wait_settled(NAME)
    assert described["Status"] == "AVAILABLE", described.get("LastUpdate")
    return Environment(built, name, version, described)


def _aws_sample_policy(bucket_name: str, environment: str) -> dict[str, Any]:
    """The execution policy of AWS's MWAA user guide for an AWS owned key, as written there."""
    b = f"arn:aws:s3:::{bucket_name}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "airflow:PublishMetrics",
                "Resource": f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/{environment}",
            },
            {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": [b, f"{b}/*"]},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                "Resource": [b, f"{b}/*"],
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
                "Resource": [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:airflow-quickstart-*"],
            },
            {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": ["s3:GetAccountPublicAccessBlock"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"},
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
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
                "NotResource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
                "Condition": {"StringLike": {"kms:ViaService": [f"sqs.{REGION}.amazonaws.com"]}},
            },
        ],
    }


def quickstart() -> str:
    """The shape of AWS's MWAA quick-start CloudFormation template, built with boto3.

    VPC 10.192.0.0/16 (DNS on), two public subnets behind an internet gateway, two private
    ones each routed through its own NAT gateway, no VPC endpoints, one security group with
    a self-referencing inbound rule and the default all-traffic egress; a versioned,
    public-access-blocked bucket without a bucket policy; the user guide's execution role
    (AWS owned key); the environment PUBLIC_ONLY with every log type at INFO and an
    unversioned requirements path. Returns the environment's name.
    """
    import json

    ec2, s3, iam = client("ec2"), client("s3"), client("iam")
    name, stack, bucket_name = "quickstart-MwaaEnvironment", "quickstart", "quickstart-mwaa-dags"
    vpc = ec2.create_vpc(CidrBlock="10.192.0.0/16")["Vpc"]["VpcId"]
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        ec2.modify_vpc_attribute(VpcId=vpc, **{attribute: {"Value": True}})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_routes = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_routes, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    private = []
    for i, az in enumerate(("a", "b")):
        zone = f"{REGION}{az}"
        public = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.192.1{i}.0/24", AvailabilityZone=zone)
        public_id = public["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=public_routes, SubnetId=public_id)
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=public_id, AllocationId=eip)["NatGateway"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.192.2{i}.0/24", AvailabilityZone=zone)
        subnet_id = subnet["Subnet"]["SubnetId"]
        routes = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(
            RouteTableId=routes, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"]
        )
        ec2.associate_route_table(RouteTableId=routes, SubnetId=subnet_id)
        private.append(subnet_id)
    sg = ec2.create_security_group(
        GroupName="mwaa-security-group",
        Description="Security group with a self-referencing inbound rule.",
        VpcId=vpc,
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": sg}]}]
    )
    s3.create_bucket(Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=bucket_name,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"),
            True,
        ),
    )
    s3.put_object(Bucket=bucket_name, Key="dags/orders.py", Body=DAG)
    s3.put_object(Bucket=bucket_name, Key="requirements.txt", Body=b"# MWAA's built-ins\n")
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
    role = iam.create_role(
        RoleName=f"{stack}-MwaaExecutionRole",
        Path="/service-role/",
        AssumeRolePolicyDocument=json.dumps(trust),
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=f"{stack}-MwaaExecutionRole",
        PolicyName="MWAA-Execution-Policy",
        PolicyDocument=json.dumps(_aws_sample_policy(bucket_name, name)),
    )
    logs = client("logs")
    for group in LOG_GROUPS:
        logs.create_log_group(logGroupName=f"airflow-{name}-{group}")
    mwaa().create_environment(
        Name=name,
        AirflowVersion=AIRFLOW,
        SourceBucketArn=f"arn:aws:s3:::{bucket_name}",
        ExecutionRoleArn=role,
        DagS3Path="dags",
        RequirementsS3Path="requirements.txt",
        NetworkConfiguration={"SecurityGroupIds": [sg], "SubnetIds": private},
        WebserverAccessMode="PUBLIC_ONLY",
        MaxWorkers=2,
        LoggingConfiguration={
            f"{kind}Logs": {"LogLevel": "INFO", "Enabled": True} for kind in LOG_TYPES
        },
    )
    assert wait_settled(name)["Status"] == "AVAILABLE"
    return name
