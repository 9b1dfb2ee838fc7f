"""Plain data about one environment, as :mod:`taxiway.preflight.collect` read it from AWS.

Nothing here imports boto3: the checks are pure functions over these dataclasses, so unit
tests build a snapshot by hand and the integration tests build it from moto's server. A
``None`` field means "looked for it and it is not there"; the checks turn that into a
``*-missing`` / ``*-not-found`` finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Policy = dict[str, Any]


@dataclass(frozen=True)
class Names:
    """Every resource name of one environment, from :mod:`taxiway.naming`."""

    project: str
    env: str
    region: str
    account_id: str
    partition: str
    buckets: dict[str, str]  # role -> bucket name
    vpc: str
    security_group: str
    execution_role: str
    kms_alias: str
    emr_cluster: str
    athena_workgroup: str
    glue_database: str
    mwaa_environment: str
    mwaa_version: str | None


@dataclass(frozen=True)
class Route:
    destination: str  # CIDR or prefix list id
    target: str  # igw-..., nat-..., vpce-..., local, pcx-...
    state: str = "active"  # blackhole: the target (a deleted NAT gateway) is gone


@dataclass(frozen=True)
class AclEntry:
    rule_number: int
    egress: bool
    protocol: str  # "-1" (all), "6" (tcp), "17" (udp)
    allow: bool
    cidr: str
    port_from: int | None = None
    port_to: int | None = None


@dataclass(frozen=True)
class Subnet:
    id: str
    az: str
    cidr: str
    routes: tuple[Route, ...]
    acl_id: str | None
    acl_entries: tuple[AclEntry, ...]


@dataclass(frozen=True)
class Endpoint:
    service: str  # the suffix after com.amazonaws.<region>. (s3, sqs, airflow.api, ...)
    type: str  # Gateway | Interface
    private_dns: bool
    state: str


@dataclass(frozen=True)
class SgRule:
    protocol: str  # "-1", "tcp", ...
    port_from: int | None
    port_to: int | None
    cidrs: tuple[str, ...]
    groups: tuple[str, ...]  # referenced security group ids


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str
    ingress: tuple[SgRule, ...]
    egress: tuple[SgRule, ...]


@dataclass(frozen=True)
class Network:
    vpc_id: str | None
    vpc_cidr: str | None
    subnets: tuple[Subnet, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    security_group: SecurityGroup | None = None


@dataclass(frozen=True)
class Bucket:
    role: str
    name: str
    exists: bool
    versioning: str | None = None  # Enabled | Suspended | None (never enabled)
    public_access_block: dict[str, bool] | None = None
    encryption: str | None = None  # aws:kms | AES256 | aws:kms:dsse | None
    policy: Policy | None = None


@dataclass(frozen=True)
class Key:
    arn: str
    policy: Policy


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    trust: Policy
    policies: tuple[tuple[str, Policy], ...]  # (source label, document), attached and inline


@dataclass(frozen=True)
class Simulated:
    """One answer from IAM's policy simulator: ``(action, resource) -> decision``."""

    action: str
    resource: str
    decision: str  # allowed | implicitDeny | explicitDeny


@dataclass(frozen=True)
class Workgroup:
    name: str
    enforced: bool
    output_location: str | None
    encryption: str | None


@dataclass(frozen=True)
class MwaaEnvironment:
    """The fields of ``GetEnvironment`` the checks read."""

    name: str
    status: str
    airflow_version: str
    execution_role_arn: str
    source_bucket_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    logging: dict[str, bool]  # component -> enabled
    last_error: str | None = None
    requirements_path: str | None = None
    log_groups: tuple[str, ...] = ()  # existing CloudWatch log groups `airflow-<name>-*`


@dataclass(frozen=True)
class Snapshot:
    """Everything preflight read about one environment."""

    names: Names
    network: Network
    buckets: tuple[Bucket, ...]
    key: Key | None
    role: Role | None
    emr_cluster_id: str | None
    workgroup: Workgroup | None
    glue_database: bool
    mwaa: MwaaEnvironment | None
    simulated: tuple[Simulated, ...] | None = None  # None: the simulator was unavailable
    notes: tuple[str, ...] = field(default_factory=tuple)
