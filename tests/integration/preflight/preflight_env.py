"""Build one environment in moto the way infra/terraform does, and break it one way at a time.

The shapes follow infra/terraform/modules: network (VPC tagged Name, two private subnets in
a and b tagged Tier=private with a NAT route each, two public subnets behind an internet
gateway, an S3 gateway endpoint and MWAA's interface endpoints with private DNS), storage
(the KMS key with the CloudWatch Logs statement, versioned, encrypted, TLS-only,
public-access-blocked buckets), mwaa (trust for both MWAA principals, the execution
policy, the self-referencing security group), emr (a waiting cluster), analytics (an
enforced, encrypted Athena workgroup and the Glue database). Names come from naming.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from taxiway import naming

ACCOUNT = "123456789012"
REGION = "eu-west-1"
PROJECT = "taxiway"
ENV = "sandbox"
VPC_CIDR = "10.20.0.0/16"
INTERFACE_ENDPOINTS = (
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


@dataclass
class Built:
    """Ids of what :func:`build` created, for the breakers."""

    vpc: str
    private_subnets: list[str]
    private_tables: list[str]
    igw: str
    sg: str
    key_arn: str
    cluster_id: str
    endpoints: dict[str, str]


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def bucket(role: str) -> str:
    return naming.bucket(PROJECT, ENV, role, ACCOUNT)


def kms_policy(include_logs: bool = True) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if include_logs:
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"
                    }
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def tls_policy(name: str) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{name}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def trust_policy(
    services: tuple[str, ...] = ("airflow.amazonaws.com", "airflow-env.amazonaws.com"),
) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": list(services)},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }


def execution_policy(key_arn: str, drop_sid: str | None = None) -> dict[str, Any]:
    """infra/terraform/modules/mwaa/iam.tf's execution policy, statement for statement."""
    name = naming.mwaa_environment(PROJECT, ENV)
    b = {role: f"arn:aws:s3:::{bucket(role)}" for role in naming.BUCKET_ROLES}
    logs = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:airflow-{name}-*"
    glue = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    db = naming.glue_database(PROJECT, ENV)
    clusters = f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT}:cluster"
    st: list[tuple[str, list[str], Any, dict[str, Any] | None]] = [
        (
            "PublishMetrics",
            ["airflow:PublishMetrics"],
            f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/{name}",
            None,
        ),
        (
            "ReadDagsBucket",
            [
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetBucketVersioning",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetEncryptionConfiguration",
            ],
            [b["mwaa"], f"{b['mwaa']}/*"],
            None,
        ),
        ("AccountPublicAccessBlockIsAccountWide", ["s3:GetAccountPublicAccessBlock"], "*", None),
        (
            "OwnLogGroups",
            [
                "logs:CreateLogStream",
                "logs:CreateLogGroup",
                "logs:PutLogEvents",
                "logs:GetLogEvents",
                "logs:GetLogRecord",
                "logs:GetLogGroupFields",
                "logs:GetQueryResults",
            ],
            [logs, f"{logs}:*"],
            None,
        ),
        ("DescribeLogGroupsIsAccountWide", ["logs:DescribeLogGroups"], "*", None),
        (
            "MwaaMetricsOnly",
            ["cloudwatch:PutMetricData"],
            "*",
            {"StringEquals": {"cloudwatch:namespace": "AmazonMWAA"}},
        ),
        (
            "CeleryQueues",
            [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "sqs:SendMessage",
            ],
            f"arn:aws:sqs:{REGION}:*:airflow-celery-*",
            None,
        ),
        (
            "EnvironmentKey",
            ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
            key_arn,
            None,
        ),
        (
            "FindClusterByNameAndSubnet",
            [
                "elasticmapreduce:ListClusters",
                "elasticmapreduce:DescribeSecurityConfiguration",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            "*",
            None,
        ),
        ("FindTheLogKey", ["kms:DescribeKey"], key_arn, None),
        (
            "StepsOnOwnClusters",
            [
                "elasticmapreduce:AddJobFlowSteps",
                "elasticmapreduce:DescribeStep",
                "elasticmapreduce:ListSteps",
            ],
            f"{clusters}/*",
            {"StringEquals": {"aws:ResourceTag/taxiway:env": ENV}},
        ),
        (
            "CreateOwnCluster",
            ["elasticmapreduce:RunJobFlow"],
            "*",
            {"StringEquals": {"aws:RequestTag/taxiway:env": ENV}},
        ),
        (
            "TagOwnClusters",
            ["elasticmapreduce:AddTags"],
            f"{clusters}/*",
            {"StringEquals": {"aws:RequestTag/taxiway:env": ENV}},
        ),
        (
            "AutoTerminateOwnClusters",
            ["elasticmapreduce:PutAutoTerminationPolicy"],
            f"{clusters}/*",
            {"StringEquals": {"aws:ResourceTag/taxiway:env": ENV}},
        ),
        (
            "PassEmrRoles",
            ["iam:PassRole"],
            [
                f"arn:aws:iam::{ACCOUNT}:role/{naming.emr_service_role(PROJECT, ENV)}",
                f"arn:aws:iam::{ACCOUNT}:role/{naming.emr_instance_profile(PROJECT, ENV)}",
            ],
            {
                "StringEquals": {
                    "iam:PassedToService": ["elasticmapreduce.amazonaws.com", "ec2.amazonaws.com"]
                }
            },
        ),
        (
            "QueriesInOwnWorkgroup",
            ["athena:StartQueryExecution", "athena:GetQueryExecution"],
            f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{naming.athena_workgroup(PROJECT, ENV)}",
            None,
        ),
        (
            "FindOwnDatabase",
            ["glue:GetDatabase"],
            [f"{glue}:catalog", f"{glue}:database/{db}"],
            None,
        ),
        (
            "ReadOwnTables",
            ["glue:GetTable", "glue:GetPartitions"],
            [f"{glue}:catalog", f"{glue}:database/{db}", f"{glue}:table/{db}/*"],
            None,
        ),
        (
            "AddEventPartitions",
            ["glue:BatchCreatePartition"],
            [f"{glue}:catalog", f"{glue}:database/{db}", f"{glue}:table/{db}/events"],
            None,
        ),
        ("ListCuratedAndReports", ["s3:ListBucket"], [b["curated"], b["reports"]], None),
        ("LocateQueryResults", ["s3:GetBucketLocation"], [b["artifacts"]], None),
        ("WriteHourlyCounts", ["s3:PutObject"], [f"{b['curated']}/hourly_counts/*"], None),
        ("ReadCurated", ["s3:GetObject"], [f"{b['curated']}/*"], None),
        (
            "WriteReports",
            [
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            [f"{b['reports']}/*"],
            None,
        ),
        ("WriteQueryResults", ["s3:PutObject"], [f"{b['artifacts']}/athena-results/*"], None),
    ]
    statements = []
    for sid, actions, resource, condition in st:
        if sid == drop_sid:
            continue
        one: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": resource,
        }
        if condition:
            one["Condition"] = condition
        statements.append(one)
    return {"Version": "2012-10-17", "Statement": statements}


def _tag(ec2: Any, resource: str, **tags: str) -> None:
    ec2.create_tags(Resources=[resource], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def _network(ec2: Any) -> tuple[str, list[str], list[str], str, dict[str, str]]:
    name = naming.vpc_name(PROJECT, ENV)
    vpc = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    _tag(ec2, vpc, Name=name)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    private, tables = [], []
    for i, az in enumerate(("a", "b")):
        zone = f"{REGION}{az}"
        pub = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{250 + i}.0/24", AvailabilityZone=zone)
        pub_id = pub["Subnet"]["SubnetId"]
        _tag(ec2, pub_id, Name=f"{name}-public-{zone}", Tier="public")
        ec2.associate_route_table(RouteTableId=public_table, SubnetId=pub_id)
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=pub_id, AllocationId=eip)["NatGateway"][
            "NatGatewayId"
        ]
        priv = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{16 * i}.0/20", AvailabilityZone=zone)
        priv_id = priv["Subnet"]["SubnetId"]
        _tag(ec2, priv_id, Name=f"{name}-private-{zone}", Tier="private")
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        ec2.associate_route_table(RouteTableId=table, SubnetId=priv_id)
        private.append(priv_id)
        tables.append(table)
    endpoints = {
        "s3": ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{REGION}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=tables,
        )["VpcEndpoint"]["VpcEndpointId"]
    }
    endpoint_sg = ec2.create_security_group(
        GroupName=f"{name}-endpoints", Description="endpoints", VpcId=vpc
    )["GroupId"]
    for service in INTERFACE_ENDPOINTS:
        endpoints[service] = ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{REGION}.{service}",
            VpcEndpointType="Interface",
            SubnetIds=private,
            SecurityGroupIds=[endpoint_sg],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]["VpcEndpointId"]
    return vpc, private, tables, igw, endpoints


def _security_group(ec2: Any, vpc: str) -> str:
    name = naming.mwaa_security_group(PROJECT, ENV)
    sg = ec2.create_security_group(
        GroupName=name, Description=f"MWAA environment {name}", VpcId=vpc
    )["GroupId"]
    # Terraform removes the default allow-all egress rule and states its own.
    ec2.revoke_security_group_egress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    self_rule = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": sg}]}]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=self_rule)
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": VPC_CIDR}],
            }
        ],
    )
    ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=self_rule)
    ec2.authorize_security_group_egress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    return str(sg)


def _buckets(key_arn: str) -> None:
    s3 = client("s3")
    for role in (*naming.BUCKET_ROLES, "logs"):
        name = bucket(role)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        # S3 server access logs can only be delivered to an SSE-S3 bucket (storage/logs.tf).
        default = (
            {"SSEAlgorithm": "AES256"}
            if role == "logs"
            else {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
        )
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": default,
                        "BucketKeyEnabled": role != "logs",
                    }
                ]
            },
        )
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(tls_policy(name)))


def build() -> Built:
    """The whole environment, correct in every respect preflight checks."""
    ec2 = client("ec2")
    vpc, private, tables, igw, endpoints = _network(ec2)
    sg = _security_group(ec2, vpc)
    kms = client("kms")
    key_arn = kms.create_key(Policy=json.dumps(kms_policy()), Description="env key")["KeyMetadata"][
        "Arn"
    ]
    kms.create_alias(AliasName=naming.kms_alias(PROJECT, ENV), TargetKeyId=key_arn)
    _buckets(key_arn)
    emr = client("emr")
    cluster_id = emr.run_job_flow(
        Name=naming.emr_cluster(PROJECT, ENV),
        ReleaseLabel="emr-7.12.0",
        Applications=[{"Name": "Hadoop"}, {"Name": "Spark"}],
        Instances={
            "MasterInstanceType": "m5.xlarge",
            "SlaveInstanceType": "m5.xlarge",
            "InstanceCount": 2,
            "KeepJobFlowAliveWhenNoSteps": True,
            "Ec2SubnetId": private[0],
        },
        JobFlowRole=naming.emr_instance_profile(PROJECT, ENV),
        ServiceRole=naming.emr_service_role(PROJECT, ENV),
        VisibleToAllUsers=True,
    )["JobFlowId"]
    iam = client("iam")
    role = naming.mwaa_execution_role(PROJECT, ENV)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust_policy()))
    iam.put_role_policy(
        RoleName=role,
        PolicyName="mwaa-and-pipeline",
        PolicyDocument=json.dumps(execution_policy(key_arn)),
    )
    client("athena").create_work_group(
        Name=naming.athena_workgroup(PROJECT, ENV),
        Configuration={
            "EnforceWorkGroupConfiguration": True,
            "PublishCloudWatchMetricsEnabled": True,
            "ResultConfiguration": {
                "OutputLocation": f"s3://{bucket('artifacts')}/athena-results/",
                "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": key_arn},
            },
        },
    )
    client("glue").create_database(DatabaseInput={"Name": naming.glue_database(PROJECT, ENV)})
    return Built(vpc, private, tables, igw, sg, key_arn, cluster_id, endpoints)


def clients() -> Callable[[str], Any]:
    """preflight's own client recipe, pointed at the twin through AWS_ENDPOINT_URL."""
    from taxiway.awsclient import client_factory

    return client_factory(REGION)


def write_settings(folder: Path, mwaa_version: str = "3.3.1") -> Path:
    """taxiway.yaml with the sandbox environment preflight_env.build() creates."""
    path = folder / "taxiway.yaml"
    path.write_text(
        "project: taxiway\n"
        "environments:\n"
        "  sandbox:\n"
        "    target: aws\n"
        f"    region: {REGION}\n"
        f'    mwaa_version: "{mwaa_version}"\n'
        "    emr_release: emr-7.12.0\n",
        encoding="utf-8",
    )
    return path
