"""The one module that talks to AWS: read an environment into a :class:`Snapshot`.

Every call is a read (Describe/Get/List, and IAM's simulator, which is free); nothing here
creates, changes or bills. The standard credential chain and ``AWS_ENDPOINT_URL`` apply
(boto3 reads both). A resource that is not there becomes ``None`` in the snapshot; a call
the caller may not make becomes a note (reported as a ``preflight-cannot-read`` warning)
instead of stopping the run, so one missing permission does not hide every other finding.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from taxiway.errors import MissingDependencyError, UsageError
from taxiway.preflight.collect_network import read_network
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

ClientFactory = Callable[[str], Any]
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


@lru_cache(maxsize=8)
def _session(region: str) -> Any:
    # One session per region per process: it caches the service models, which makes the
    # second and later clients ~10x cheaper to create.
    import boto3

    return boto3.session.Session(region_name=region)


def client_factory(region: str, attempts: int = 3) -> ClientFactory:
    """boto3 clients for ``region`` with short timeouts and few retries (preflight must be quick)."""
    try:
        import boto3  # noqa: F401  (the check that the aws extra is installed)
        from botocore.config import Config
    except ImportError as exc:
        raise MissingDependencyError("boto3", "aws") from exc
    session = _session(region)
    import os

    # A custom endpoint (a proxy, a local twin) serves every API at one host: MWAA's
    # `api.` host prefix would point at a host that does not exist.
    custom = bool(os.environ.get("AWS_ENDPOINT_URL"))
    config = Config(
        connect_timeout=5,
        read_timeout=20,
        # Standard mode retries throttling and transient 5xx; `attempts` counts the first try.
        retries={"total_max_attempts": attempts, "mode": "standard"},
        inject_host_prefix=not custom,
    )

    def make(service: str) -> Any:
        return session.client(service, config=config)  # type: ignore[call-overload]

    return make


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

    def call(self, service: str, operation: str, **kwargs: Any) -> Any:
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
            if code in _NOT_FOUND or (not code and status == "404"):
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


def _fail_to_run(exc: Exception) -> UsageError:
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
        raise _fail_to_run(exc) from exc
    return str(ident["Account"]), str(ident["Arn"]).split(":")[1]


def _document(raw: Any) -> dict[str, Any]:
    """IAM returns policy documents as dicts or as URL-encoded JSON, depending on the call."""
    if isinstance(raw, dict):
        return raw
    return dict(json.loads(unquote(str(raw))))


def _bucket(r: Reader, role: str, name: str) -> Bucket:
    if r.call("s3", "head_bucket", Bucket=name) is None:
        return Bucket(role, name, exists=False)
    versioning = r.call("s3", "get_bucket_versioning", Bucket=name) or {}
    pab = r.call("s3", "get_public_access_block", Bucket=name)
    enc = r.call("s3", "get_bucket_encryption", Bucket=name)
    rules = ((enc or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    policy = r.call("s3", "get_bucket_policy", Bucket=name)
    return Bucket(
        role,
        name,
        exists=True,
        versioning=versioning.get("Status"),
        public_access_block=(pab or {}).get("PublicAccessBlockConfiguration"),
        encryption=(
            rules[0].get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
            if rules
            else None
        ),
        policy=json.loads(policy["Policy"]) if policy else None,
    )


def _key(r: Reader, names: Names) -> Key | None:
    described = r.call("kms", "describe_key", KeyId=names.kms_alias)
    if described is None:
        return None
    arn = described["KeyMetadata"]["Arn"]
    policy = r.call("kms", "get_key_policy", KeyId=arn, PolicyName="default") or {}
    return Key(arn, _document(policy.get("Policy") or "{}"))


def _role(r: Reader, names: Names) -> Role | None:
    got = r.call("iam", "get_role", RoleName=names.execution_role)
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


def _mwaa(r: Reader, names: Names) -> MwaaEnvironment | None:
    got = r.call("mwaa", "get_environment", Name=names.mwaa_environment)
    if got is None:
        return None
    env = got["Environment"]
    net = env.get("NetworkConfiguration", {})
    logging = {
        k.removesuffix("Logs"): bool(v.get("Enabled"))
        for k, v in (env.get("LoggingConfiguration") or {}).items()
        if isinstance(v, dict)
    }
    last = (env.get("LastUpdate") or {}).get("Error") or {}
    groups = r.call("logs", "describe_log_groups", logGroupNamePrefix=f"airflow-{env['Name']}-")
    return MwaaEnvironment(
        name=env["Name"],
        status=env["Status"],
        airflow_version=env.get("AirflowVersion", ""),
        execution_role_arn=env.get("ExecutionRoleArn", ""),
        source_bucket_arn=env.get("SourceBucketArn", ""),
        subnet_ids=tuple(net.get("SubnetIds", [])),
        security_group_ids=tuple(net.get("SecurityGroupIds", [])),
        logging=logging,
        last_error=last.get("ErrorMessage"),
        requirements_path=env.get("RequirementsS3Path"),
        log_groups=tuple(g["logGroupName"] for g in (groups or {}).get("logGroups", [])),
    )


def collect(
    names: Names, clients: ClientFactory, simulate: Callable[..., Any] | None = None
) -> Snapshot:
    """Read everything the checks need about the environment called ``names``."""
    from botocore.exceptions import BotoCoreError

    r = Reader(clients)
    try:
        network = read_network(r, names)
        buckets = tuple(_bucket(r, role, name) for role, name in names.buckets.items())
        key, role = _key(r, names), _role(r, names)
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
        simulated = simulate(snapshot) if simulate and role else None
    except BotoCoreError as exc:
        raise _fail_to_run(exc) from exc
    from dataclasses import replace

    return replace(snapshot, simulated=simulated, notes=tuple(r.notes))


def simulate_role(iam: Any, snapshot: Snapshot) -> tuple[Simulated, ...] | None:
    """IAM's policy simulator on every required permission; None where the endpoint lacks it.

    ``iam`` should be a client without retries: a simulator that is missing answers the
    first call with an error, and retrying it only delays the local evaluation.
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    from taxiway.preflight.checks_iam import required_permissions

    assert snapshot.role is not None
    needs = required_permissions(
        snapshot.names, snapshot.emr_cluster_id, snapshot.key.arn if snapshot.key else None
    )
    pairs = [(n.action, n.resource) for n in needs] + [("s3:ListAllMyBuckets", "*")]
    out = []
    try:
        for action, resource in pairs:
            page = iam.simulate_principal_policy(
                PolicySourceArn=snapshot.role.arn, ActionNames=[action], ResourceArns=[resource]
            )
            for result in page.get("EvaluationResults", []):
                out.append(Simulated(action, resource, str(result["EvalDecision"])))
    except (BotoCoreError, ClientError, ResponseParserError):
        # moto and some private endpoints do not implement the simulator; evaluate locally.
        return None
    return tuple(out)
