"""Where preflight talks to AWS: the shared :class:`Reader`, and the pre-creation mode's reads.

Every call is a read (Describe/Get/List, and IAM's simulator, which is free); nothing here
creates, changes or bills. Clients come from :func:`taxiway.awsclient.client_factory` (the
credential chain, ``--profile``/``--region``, ``AWS_ENDPOINT_URL``). A resource that is not
there becomes ``None`` in the snapshot; a call the caller may not make becomes a note
(reported as a ``preflight-cannot-read`` warning) instead of stopping the run, so one
missing permission does not hide every other finding. The existing-environment mode reads
in :mod:`taxiway.preflight.collect_environment`, the network in ``collect_network``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import unquote

from taxiway.awsclient import ClientFactory
from taxiway.errors import UsageError
from taxiway.preflight.snapshot import (
    Bucket,
    Key,
    MwaaEnvironment,
    Names,
    Role,
    Simulated,
    Snapshot,
    Workgroup,
)

# IAM's simulator, given a role ARN and (action, resource) pairs; None where unavailable.
#: one simulator question: action, resource, the request's condition context
SimRequest = tuple[str, str, tuple[tuple[str, str], ...]]
Simulate = Callable[[str, list[SimRequest]], "tuple[Simulated, ...] | None"]
_NOT_FOUND = {
    "404",
    "NoSuchBucket",
    "NoSuchEntity",
    "NotFoundException",
    "EntityNotFoundException",
    "ResourceNotFoundException",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchBucketPolicy",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"}


class Reader:
    """Calls one API and sorts the outcome: a value, "not there" (None), or "not allowed" (a note)."""

    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients
        self._cache: dict[str, Any] = {}
        self.notes: list[str] = []

    def client(self, service: str) -> Any:
        if service not in self._cache:
            self._cache[service] = self._clients(service)
        return self._cache[service]

    def call(
        self, service: str, operation: str, _missing: Collection[str] = (), **kwargs: Any
    ) -> Any:
        """The call's answer; None when the thing is not there (or ``_missing`` codes)."""
        from botocore.exceptions import ClientError
        from botocore.parsers import ResponseParserError

        try:
            return getattr(self.client(service), operation)(**kwargs)
        except ResponseParserError:
            # An endpoint that does not implement the API answers with an HTML error page.
            self.notes.append(f"`{service}:{operation}` failed (unreadable response)")
            return None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in _NOT_FOUND or code in _missing or (not code and status == "404"):
                return None
            if code in _DENIED or (code in ("", status) and status == "403"):
                self.notes.append(f"`{service}:{operation}` was denied ({code or status})")
                return None
            if code == "InvalidRequestException" and "not found" in str(exc).lower():
                return None  # Athena's spelling of "no such workgroup"
            # Anything else (a throttle past retries, a 500, an API the endpoint lacks) is
            # reported, not raised: the rest of the report is still worth having.
            self.notes.append(f"`{service}:{operation}` failed ({code or status})")
            return None


def fail_to_run(exc: Exception) -> UsageError:
    return UsageError(
        f"Cannot reach AWS ({type(exc).__name__}: {exc}); check your credentials "
        "(`aws sts get-caller-identity`), region and AWS_ENDPOINT_URL."
    )


def whoami(clients: ClientFactory) -> tuple[str, str]:
    """``(account_id, partition)`` of the caller, from STS."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        ident = clients("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise fail_to_run(exc) from exc
    return str(ident["Account"]), str(ident["Arn"]).split(":")[1]


def _document(raw: Any) -> dict[str, Any]:
    """IAM returns policy documents as dicts or as URL-encoded JSON, depending on the call."""
    if isinstance(raw, dict):
        return raw
    return dict(json.loads(unquote(str(raw))))


def read_bucket(r: Reader, role: str, name: str) -> Bucket:
    """A bucket's versioning, public access block, default encryption and policy."""
    if r.call("s3", "head_bucket", Bucket=name) is None:
        return Bucket(role, name, exists=False)
    versioning = r.call("s3", "get_bucket_versioning", Bucket=name) or {}
    pab = r.call("s3", "get_public_access_block", Bucket=name)
    enc = r.call("s3", "get_bucket_encryption", Bucket=name)
    rules = ((enc or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    policy = r.call("s3", "get_bucket_policy", Bucket=name)
    return Bucket(
        role,
        name,
        exists=True,
        versioning=versioning.get("Status"),
        public_access_block=(pab or {}).get("PublicAccessBlockConfiguration"),
        encryption=default.get("SSEAlgorithm") if rules else None,
        policy=json.loads(policy["Policy"]) if policy else None,
        kms_key=_key_arn(r, default.get("KMSMasterKeyID")),
    )


def _key_arn(r: Reader, key_id: str | None) -> str | None:
    """The ARN of a key given as an ARN, id or alias (S3 accepts all three)."""
    if not key_id or (key_id.startswith("arn:") and ":key/" in key_id):
        return key_id
    described = r.call("kms", "describe_key", KeyId=key_id)
    return str(described["KeyMetadata"]["Arn"]) if described else key_id


def read_key(r: Reader, key_id: str) -> Key | None:
    """A KMS key (by alias, id or ARN): its ARN, state and default key policy."""
    described = r.call("kms", "describe_key", KeyId=key_id)
    if described is None:
        return None
    meta = described["KeyMetadata"]
    policy = r.call("kms", "get_key_policy", KeyId=meta["Arn"], PolicyName="default") or {}
    return Key(meta["Arn"], _document(policy.get("Policy") or "{}"), str(meta.get("KeyState", "")))


def read_role(r: Reader, name: str) -> Role | None:
    """A role's trust policy and every attached and inline policy document."""
    got = r.call("iam", "get_role", RoleName=name)
    if got is None:
        return None
    role = got["Role"]
    docs: list[tuple[str, dict[str, Any]]] = []
    attached = r.call("iam", "list_attached_role_policies", RoleName=role["RoleName"]) or {}
    for pol in attached.get("AttachedPolicies", []):
        meta = r.call("iam", "get_policy", PolicyArn=pol["PolicyArn"])
        if meta is None:
            continue
        version = r.call(
            "iam",
            "get_policy_version",
            PolicyArn=pol["PolicyArn"],
            VersionId=meta["Policy"]["DefaultVersionId"],
        )
        if version is not None:
            docs.append((pol["PolicyArn"], _document(version["PolicyVersion"]["Document"])))
    inline = r.call("iam", "list_role_policies", RoleName=role["RoleName"]) or {}
    for name in inline.get("PolicyNames", []):
        got_inline = r.call("iam", "get_role_policy", RoleName=role["RoleName"], PolicyName=name)
        if got_inline is not None:
            docs.append((f"inline:{name}", _document(got_inline["PolicyDocument"])))
    return Role(
        role["RoleName"], role["Arn"], _document(role["AssumeRolePolicyDocument"]), tuple(docs)
    )


def _cluster_id(r: Reader, names: Names) -> str | None:
    states = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
    marker: str | None = None
    while True:
        page = r.call(
            "emr", "list_clusters", ClusterStates=states, **({"Marker": marker} if marker else {})
        )
        for cluster in (page or {}).get("Clusters", []):
            if cluster["Name"] == names.emr_cluster:
                return str(cluster["Id"])
        marker = (page or {}).get("Marker")
        if not marker:
            return None


def _workgroup(r: Reader, names: Names) -> Workgroup | None:
    got = r.call("athena", "get_work_group", WorkGroup=names.athena_workgroup)
    if not (got or {}).get("WorkGroup"):
        return None  # moto answers an unknown workgroup with an empty document
    conf = got["WorkGroup"].get("Configuration", {})
    result = conf.get("ResultConfiguration", {})
    return Workgroup(
        name=names.athena_workgroup,
        enforced=bool(conf.get("EnforceWorkGroupConfiguration")),
        output_location=result.get("OutputLocation"),
        encryption=(result.get("EncryptionConfiguration") or {}).get("EncryptionOption"),
    )


def parse_environment(raw: dict[str, Any], log_groups: tuple[str, ...] = ()) -> MwaaEnvironment:
    """GetEnvironment's ``Environment`` as plain data (fields MWAA omits become None)."""
    net = raw.get("NetworkConfiguration") or {}
    logging_conf = {
        k.removesuffix("Logs"): v
        for k, v in (raw.get("LoggingConfiguration") or {}).items()
        if isinstance(v, dict)
    }
    last = raw.get("LastUpdate") or {}
    group_names = {
        kind: str(v["CloudWatchLogGroupArn"]).split(":log-group:", 1)[-1].removesuffix(":*")
        for kind, v in logging_conf.items()
        if v.get("CloudWatchLogGroupArn")
    }
    return MwaaEnvironment(
        name=str(raw["Name"]),
        status=str(raw.get("Status", "")),
        airflow_version=str(raw.get("AirflowVersion", "")),
        execution_role_arn=str(raw.get("ExecutionRoleArn", "")),
        source_bucket_arn=str(raw.get("SourceBucketArn", "")),
        subnet_ids=tuple(net.get("SubnetIds") or ()),
        security_group_ids=tuple(net.get("SecurityGroupIds") or ()),
        logging={kind: bool(v.get("Enabled")) for kind, v in logging_conf.items()},
        last_error=(last.get("Error") or {}).get("ErrorMessage"),
        requirements_path=raw.get("RequirementsS3Path"),
        log_groups=log_groups,
        arn=str(raw.get("Arn", "")),
        dag_path=str(raw.get("DagS3Path", "")),
        requirements_version=raw.get("RequirementsS3ObjectVersion"),
        plugins_path=raw.get("PluginsS3Path"),
        plugins_version=raw.get("PluginsS3ObjectVersion"),
        startup_path=raw.get("StartupScriptS3Path"),
        startup_version=raw.get("StartupScriptS3ObjectVersion"),
        kms_key=raw.get("KmsKey"),
        webserver_access_mode=raw.get("WebserverAccessMode"),
        endpoint_management=raw.get("EndpointManagement"),
        database_endpoint_service=raw.get("DatabaseVpcEndpointService"),
        webserver_endpoint_service=raw.get("WebserverVpcEndpointService"),
        options={str(k): str(v) for k, v in (raw.get("AirflowConfigurationOptions") or {}).items()},
        log_group_names=group_names,
        last_update_status=last.get("Status"),
    )


def log_groups(r: Reader, environment: str) -> tuple[str, ...]:
    """The CloudWatch log groups named ``airflow-<environment>-*``."""
    found = r.call("logs", "describe_log_groups", logGroupNamePrefix=f"airflow-{environment}-")
    return tuple(g["logGroupName"] for g in (found or {}).get("logGroups", []))


def _mwaa(r: Reader, names: Names) -> MwaaEnvironment | None:
    got = r.call("mwaa", "get_environment", Name=names.mwaa_environment)
    if got is None:
        return None
    env = got["Environment"]
    return parse_environment(env, log_groups(r, str(env["Name"])))


def collect(names: Names, clients: ClientFactory, simulate: Simulate | None = None) -> Snapshot:
    """Read everything the checks need about the environment called ``names``."""
    from botocore.exceptions import BotoCoreError

    from taxiway.preflight.checks_iam import simulation_pairs, snapshot_needs
    from taxiway.preflight.collect_network import read_network

    r = Reader(clients)
    try:
        network = read_network(r, names)
        buckets = tuple(read_bucket(r, role, name) for role, name in names.buckets.items())
        key, role = read_key(r, names.kms_alias), read_role(r, names.execution_role)
        cluster_id = _cluster_id(r, names)
        snapshot = Snapshot(
            names=names,
            network=network,
            buckets=buckets,
            key=key,
            role=role,
            emr_cluster_id=cluster_id,
            workgroup=_workgroup(r, names),
            glue_database=r.call("glue", "get_database", Name=names.glue_database) is not None,
            mwaa=_mwaa(r, names),
        )
        simulated = (
            simulate(role.arn, simulation_pairs(snapshot_needs(snapshot)))
            if simulate and role
            else None
        )
    except BotoCoreError as exc:
        raise fail_to_run(exc) from exc
    from dataclasses import replace

    return replace(snapshot, simulated=simulated, notes=tuple(r.notes))


def simulate_role(iam: Any, role_arn: str, pairs: list[SimRequest]) -> tuple[Simulated, ...] | None:
    """IAM's policy simulator on every ``(action, resource)``; None where the endpoint lacks it.

    ``iam`` should be a client without retries: a simulator that is missing answers the
    first call with an error, and retrying it only delays the local evaluation.
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    out = []
    try:
        for action, resource, context in pairs:
            # the simulator looks up no tags: the request's context is given, as AWS sees it
            extra = (
                {
                    "ContextEntries": [
                        {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
                        for k, v in context
                    ]
                }
                if context
                else {}
            )
            page = iam.simulate_principal_policy(
                PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[resource], **extra
            )
            for result in page.get("EvaluationResults", []):
                out.append(Simulated(action, resource, str(result["EvalDecision"])))
    except (BotoCoreError, ClientError, ResponseParserError):
        # moto and some private endpoints do not implement the simulator; evaluate locally.
        return None
    return tuple(out)
