"""Read an existing MWAA environment, and everything it names, into an EnvironmentSnapshot.

Order of work: GetEnvironment (a missing environment stops here with the names of those that
exist in the region) -> its subnets, their VPC, routes, ACLs and endpoints, its security
groups (by id) -> its source bucket, the account's public access block, each configured
object at its configured version, the first page of the DAG folder -> its KMS key -> its
execution role and policies -> its log groups -> IAM's simulator, when the endpoint has one.

Every call is a read; one that is denied becomes a note (``preflight-cannot-read``) and the
check that needed it is skipped, not failed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from taxiway.awsclient import ClientFactory
from taxiway.errors import UsageError
from taxiway.preflight.checks_resources import PAB_KEYS
from taxiway.preflight.collect import (
    Reader,
    Simulate,
    fail_to_run,
    log_groups,
    parse_environment,
    read_bucket,
    read_key,
    read_role,
)
from taxiway.preflight.snapshot import Bucket, DagFolder, EnvironmentSnapshot, S3Object

# What S3 answers HeadObject with for a version id that is not (or cannot be) in the bucket.
_NO_OBJECT = {"400", "404", "NoSuchKey", "NoSuchVersion", "InvalidArgument"}
_IGNORE_MAX_BYTES = 64 * 1024


def _environment_names(mwaa: Any) -> list[str]:
    names: list[str] = []
    kwargs: dict[str, str] = {}
    while True:
        page = mwaa.list_environments(**kwargs)
        names += page.get("Environments", [])
        if not page.get("NextToken"):
            return sorted(names)
        kwargs = {"NextToken": page["NextToken"]}


def get_environment(mwaa: Any, name: str) -> dict[str, Any]:
    """GetEnvironment's ``Environment``; a usage error naming the environments that exist."""
    from botocore.exceptions import BotoCoreError, ClientError

    region = mwaa.meta.region_name
    try:
        return dict(mwaa.get_environment(Name=name)["Environment"])
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "ResourceNotFoundException":
            try:
                found = _environment_names(mwaa)
            except (BotoCoreError, ClientError):
                found = []
            if not found:
                raise UsageError(
                    f"No MWAA environment `{name}` in {region}, nor any other; pass the region "
                    "it is in (--region, AWS_DEFAULT_REGION or the profile's region)."
                ) from exc
            listed = ", ".join(f"`{n}`" for n in found)
            raise UsageError(
                f"No MWAA environment `{name}` in {region}; the environments there: {listed}. "
                "Pass one of them to --environment, or another --region."
            ) from exc
        if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
            raise UsageError(
                f"Access denied to `airflow:GetEnvironment` on `{name}` in {region}; grant the "
                "caller airflow:GetEnvironment (and the read-only calls in docs/preflight.md)."
            ) from exc
        if code == "ValidationException":
            raise UsageError(
                f"`{name}` is not a valid MWAA environment name ({exc}); pass the name shown "
                "by `aws mwaa list-environments`."
            ) from exc
        raise fail_to_run(exc) from exc
    except BotoCoreError as exc:
        raise fail_to_run(exc) from exc


def _arn_parts(arn: str) -> tuple[str, str, str] | None:
    """``(partition, region, account)`` of ``arn:<p>:airflow:<region>:<account>:environment/x``."""
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[3] and parts[4]:
        return parts[1], parts[3], parts[4]
    return None


def _object(r: Reader, bucket: str, what: str, key: str, version: str | None) -> S3Object:
    kwargs: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version:
        kwargs["VersionId"] = version
    notes = len(r.notes)
    got = r.call("s3", "head_object", _missing=_NO_OBJECT, **kwargs)
    if got is not None:
        return S3Object(what, key, version, exists=True)
    if len(r.notes) > notes:
        return S3Object(what, key, version, exists=None)  # denied: unknown, not missing
    listed = r.call("s3", "list_object_versions", Bucket=bucket, Prefix=key) or {}
    mine = [v for v in listed.get("Versions", []) if v.get("Key") == key]
    mine.sort(key=lambda v: (not v.get("IsLatest"), str(v.get("LastModified", ""))))
    return S3Object(what, key, version, False, tuple(str(v["VersionId"]) for v in mine))


def read_account_block(r: Reader, account: str, bucket: Bucket) -> dict[str, bool] | None:
    """The account's public access block, read only when the bucket's own is incomplete."""
    from botocore.exceptions import EndpointConnectionError

    if not bucket.exists or all((bucket.public_access_block or {}).get(k) for k in PAB_KEYS):
        return None
    try:
        got = r.call("s3control", "get_public_access_block", AccountId=account)
    except EndpointConnectionError:
        # S3 Control puts the account id in the host name, even behind AWS_ENDPOINT_URL:
        # a local endpoint (the twin) cannot answer it.
        r.notes.append("`s3control:get_public_access_block` failed (endpoint unreachable)")
        return None
    return (got or {}).get("PublicAccessBlockConfiguration")


def _dag_folder(r: Reader, bucket: str, dag_path: str) -> DagFolder:
    prefix = dag_path.strip("/") + "/" if dag_path.strip("/") else ""
    page = r.call("s3", "list_objects_v2", Bucket=bucket, Prefix=prefix, MaxKeys=1000) or {}
    keys = tuple(str(o["Key"]) for o in page.get("Contents", []))
    ignore = None
    if f"{prefix}.airflowignore" in keys:
        got = r.call(
            "s3",
            "get_object",
            Bucket=bucket,
            Key=f"{prefix}.airflowignore",
            Range=f"bytes=0-{_IGNORE_MAX_BYTES - 1}",
        )
        if got is not None:
            ignore = got["Body"].read().decode("utf-8", "replace")
    return DagFolder(prefix, keys, bool(page.get("IsTruncated")), ignore)


def collect_environment(
    name: str, clients: ClientFactory, simulate: Simulate | None = None
) -> EnvironmentSnapshot:
    """Read environment ``name`` and everything its configuration names."""
    from botocore.exceptions import BotoCoreError

    from taxiway.preflight.checks_environment import environment_needs
    from taxiway.preflight.checks_iam import simulation_pairs
    from taxiway.preflight.collect import whoami
    from taxiway.preflight.collect_network import read_network_by_ids

    r = Reader(clients)
    mwaa = r.client("mwaa")
    raw = get_environment(mwaa, name)
    try:
        parts = _arn_parts(str(raw.get("Arn", "")))
        if parts is None:
            account, partition = whoami(clients)
            region = str(mwaa.meta.region_name)
        else:
            partition, region, account = parts
        env = parse_environment(raw, log_groups(r, str(raw["Name"])))
        bucket = read_bucket(r, "source", env.bucket)
        exists = bucket.exists
        account_block = read_account_block(r, account, bucket)
        snapshot = EnvironmentSnapshot(
            env=env,
            region=region,
            account_id=account,
            partition=partition,
            network=read_network_by_ids(r, region, env.subnet_ids, env.security_group_ids),
            bucket=bucket,
            account_public_access_block=account_block,
            objects=tuple(
                _object(r, env.bucket, what, key, version)
                if exists
                else S3Object(what, key, version, None)
                for what, key, version in env.objects()
            ),
            dags=_dag_folder(r, env.bucket, env.dag_path)
            if exists
            else DagFolder(env.dag_path, ()),
            key=read_key(r, env.kms_key) if env.kms_key else None,
            role=read_role(r, env.role_name),
        )
        simulated = (
            simulate(snapshot.role.arn, simulation_pairs(environment_needs(snapshot)))
            if simulate and snapshot.role
            else None
        )
    except BotoCoreError as exc:
        raise fail_to_run(exc) from exc
    return replace(snapshot, simulated=simulated, notes=tuple(r.notes))
