"""Plain data about one environment, as the collectors read it from AWS.

Two snapshots, one per mode: :class:`Snapshot` for an environment described by
:class:`Names` before it exists (:mod:`taxiway.preflight.collect`), and
:class:`EnvironmentSnapshot` for an existing MWAA environment read from GetEnvironment
(:mod:`taxiway.preflight.collect_environment`). They share the parts (network, bucket,
key, role), so one check serves both.

Nothing here imports boto3: the checks are pure functions over these dataclasses, so unit
tests build a snapshot by hand and the integration tests build it from moto's server or
``taxiway twin``. A ``None`` field means "looked for it and it is not there"; the checks
turn that into a ``*-missing`` / ``*-not-found`` finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Policy = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """What the network checks are about, in the words of each mode's messages and hints."""

    vpc: str  # the VPC as the user knows it: its Name tag, or its id
    region: str
    subnets: str  # how the subnets were chosen: "tagged `Tier=private` in VPC `x`"
    security_group: str  # the group(s) as the user knows them
    subnet_fix: str  # how to get two private subnets in two AZs
    network_fix: str  # where routes, endpoints and ACLs are changed
    group_fix: str  # where the security group's rules are changed


@dataclass(frozen=True)
class Names:
    """Every resource name of one environment to be created: a plain target description.

    The reference platform derives them from its settings (``taxiway.platform.preflight``);
    the toolkit only reads them.
    """

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
    emr_service_role: str
    emr_instance_profile: str  # named as its role
    athena_workgroup: str
    glue_database: str
    mwaa_environment: str
    mwaa_version: str | None

    @property
    def scope(self) -> Scope:
        tf = "infra/terraform/modules/network"
        return Scope(
            vpc=self.vpc,
            region=self.region,
            subnets=f"tagged `Tier=private` in VPC `{self.vpc}`",
            security_group=self.security_group,
            subnet_fix=f"Tag two private subnets in two AZs `Tier=private` ({tf}).",
            network_fix=tf,
            group_fix="infra/terraform/modules/mwaa/main.tf",
        )


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
    prefix_lists: tuple[str, ...] = ()  # pl-... (the S3 gateway endpoint's, usually)


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
    security_groups: tuple[SecurityGroup, ...] = ()
    # Ids the environment names that DescribeSubnets / DescribeSecurityGroups did not return.
    missing_subnets: tuple[str, ...] = ()
    missing_groups: tuple[str, ...] = ()
    dns_support: bool | None = None  # None: not read
    dns_hostnames: bool | None = None

    @property
    def security_group(self) -> SecurityGroup | None:
        """The one group of the pre-creation mode (found by name), or the first of several."""
        return self.security_groups[0] if self.security_groups else None


@dataclass(frozen=True)
class Bucket:
    role: str
    name: str
    exists: bool
    versioning: str | None = None  # Enabled | Suspended | None (never enabled)
    public_access_block: dict[str, bool] | None = None
    encryption: str | None = None  # aws:kms | AES256 | aws:kms:dsse | None
    policy: Policy | None = None
    kms_key: str | None = None  # the ARN of the bucket's default SSE-KMS key, when one is set


@dataclass(frozen=True)
class Key:
    arn: str
    policy: Policy
    state: str = "Enabled"  # Enabled | Disabled | PendingDeletion | ...


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
    """The fields of ``GetEnvironment`` the checks read (``parse_environment`` fills them)."""

    name: str
    status: str
    airflow_version: str
    execution_role_arn: str
    source_bucket_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    logging: dict[str, bool]  # component (DagProcessing, Scheduler, ...) -> enabled
    last_error: str | None = None
    requirements_path: str | None = None
    log_groups: tuple[str, ...] = ()  # existing CloudWatch log groups `airflow-<name>-*`
    arn: str = ""
    dag_path: str = ""
    requirements_version: str | None = None
    plugins_path: str | None = None
    plugins_version: str | None = None
    startup_path: str | None = None
    startup_version: str | None = None
    kms_key: str | None = None  # a customer managed key; None: an AWS owned key
    webserver_access_mode: str | None = None  # PUBLIC_ONLY | PRIVATE_ONLY
    endpoint_management: str | None = None  # SERVICE | CUSTOMER
    database_endpoint_service: str | None = None
    webserver_endpoint_service: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # AirflowConfigurationOptions
    log_group_names: dict[str, str] = field(default_factory=dict)  # component -> group name
    last_update_status: str | None = None  # SUCCESS | PENDING | FAILED

    def objects(self) -> tuple[tuple[str, str, str | None], ...]:
        """``(what, key, version)`` of each configured requirements, plugins and startup object."""
        return tuple(
            (what, path, version)
            for what, path, version in (
                ("requirements", self.requirements_path, self.requirements_version),
                ("plugins", self.plugins_path, self.plugins_version),
                ("startup script", self.startup_path, self.startup_version),
            )
            if path
        )

    @property
    def bucket(self) -> str:
        """The source bucket's name (from ``arn:aws:s3:::name``)."""
        return self.source_bucket_arn.rsplit(":", 1)[-1]

    @property
    def role_name(self) -> str:
        """The execution role's name: the last segment of its ARN (roles may have a path)."""
        return self.execution_role_arn.rsplit("/", 1)[-1]


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


@dataclass(frozen=True)
class S3Object:
    """One object the environment is configured with (requirements, plugins, startup script)."""

    what: str  # requirements | plugins | startup script
    key: str
    version: str | None  # the configured object version; None: the latest
    exists: bool | None  # the key (at that version, when one is set) is there; None: unknown
    versions: tuple[str, ...] = ()  # the key's versions, newest first (read only when missing)


@dataclass(frozen=True)
class DagFolder:
    """What the DAG prefix of the source bucket holds (the first page of a listing)."""

    prefix: str
    keys: tuple[str, ...]
    truncated: bool = False
    airflowignore: str | None = None  # the text of `<prefix>.airflowignore`, when read


@dataclass(frozen=True)
class EnvironmentSnapshot:
    """Everything preflight read about one existing MWAA environment, from GetEnvironment on."""

    env: MwaaEnvironment
    region: str
    account_id: str
    partition: str
    network: Network
    bucket: Bucket
    account_public_access_block: dict[str, bool] | None
    objects: tuple[S3Object, ...]
    dags: DagFolder
    key: Key | None  # the environment's customer managed key (None: absent or AWS owned)
    role: Role | None
    simulated: tuple[Simulated, ...] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scope(self) -> Scope:
        name = self.env.name
        recreate = (
            "MWAA cannot change an environment's subnets: create a new environment with two "
            "private subnets in different AZs."
        )
        return Scope(
            vpc=self.network.vpc_id or "(unknown VPC)",
            region=self.region,
            subnets=f"of environment `{name}`",
            security_group=", ".join(self.env.security_group_ids) or "(none)",
            subnet_fix=recreate,
            network_fix="the route tables, endpoints and ACLs of the environment's VPC",
            group_fix="the environment's security group, or UpdateEnvironment with another",
        )
