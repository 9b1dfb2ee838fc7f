"""The AWS side of ``taxiway deploy``: who am I, which buckets exist, what changed, upload.

Every AWS call of a deploy happens here; the plan it computes is plain data. An object
is unchanged when its ``taxiway-sha256`` metadata equals the bundle file's hash, so a
second deploy of the same bundle uploads nothing (and MWAA sees no new object versions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from taxiway import naming
from taxiway.deploy.bundle import Bundle, BundleFile
from taxiway.errors import MissingDependencyError, TaxiwayError

HASH_KEY = "taxiway-sha256"
#: every bucket the environment's pipeline uses: deploy refuses when one is missing
NEEDED_ROLES = ("landing", "curated", "reports", "artifacts", "mwaa")


class DeployError(TaxiwayError):
    """AWS refused or lacks something a deploy needs."""


@dataclass(frozen=True)
class Action:
    """One destination of the plan."""

    uri: str
    bucket: str
    key: str
    action: str  # upload | unchanged | delete
    file: BundleFile | None = None


@dataclass
class Plan:
    env: str
    account_id: str
    actions: list[Action]
    missing_buckets: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # key -> VersionId after upload

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.actions if a.action != "unchanged"]


def client(service: str, region: str | None = None) -> Any:
    """A boto3 client (``AWS_ENDPOINT_URL`` honoured by boto3 itself)."""
    try:
        import boto3
    except ImportError as exc:
        raise MissingDependencyError("boto3", "aws") from exc
    return boto3.client(service, region_name=region)


def account_id(sts: Any) -> str:
    """The caller's account id (STS GetCallerIdentity)."""
    try:
        return str(sts.get_caller_identity()["Account"])
    except Exception as exc:
        raise DeployError(
            f"Cannot ask AWS who you are (`sts get-caller-identity`): {exc}; configure "
            "credentials (AWS_PROFILE or the default chain) for the target account."
        ) from exc


def missing_buckets(s3: Any, project: str, env: str, account: str) -> list[str]:
    """The environment's buckets that do not exist (or are not ours to see)."""
    from botocore.exceptions import ClientError

    missing = []
    for role in NEEDED_ROLES:
        name = naming.bucket(project, env, role, account)
        try:
            s3.head_bucket(Bucket=name)
        except ClientError:
            missing.append(name)
    return missing


def _remote_hash(s3: Any, bucket: str, key: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return None
    value = head.get("Metadata", {}).get(HASH_KEY)
    return str(value) if value else None


def plan(s3: Any, bundle: Bundle, project: str) -> Plan:
    """Compare the bundle with the buckets: upload, unchanged, or delete (stale DAG files)."""
    buckets = {r: naming.bucket(project, bundle.env, r, bundle.account_id) for r in NEEDED_ROLES}
    result = Plan(
        bundle.env,
        bundle.account_id,
        [],
        missing_buckets(s3, project, bundle.env, bundle.account_id),
    )
    for f in bundle.files:
        bucket = buckets[f.role]
        remote = None if bucket in result.missing_buckets else _remote_hash(s3, bucket, f.key)
        verb = "unchanged" if remote == f.sha256 else "upload"
        result.actions.append(Action(f"s3://{bucket}/{f.key}", bucket, f.key, verb, f))
    mwaa = buckets["mwaa"]
    if mwaa not in result.missing_buckets:
        wanted = {f.key for f in bundle.files if f.role == "mwaa"}
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=mwaa, Prefix="dags/")
        for page in pages:
            for obj in page.get("Contents", []):
                if (
                    obj["Key"] not in wanted
                ):  # a DAG file an earlier bundle had: MWAA would still load it
                    result.actions.append(
                        Action(f"s3://{mwaa}/{obj['Key']}", mwaa, obj["Key"], "delete")
                    )
    return result


def apply(s3: Any, the_plan: Plan) -> None:
    """Upload what changed and delete stale DAG files; refuses when a bucket is missing."""
    if the_plan.missing_buckets:
        raise DeployError(
            "Missing bucket(s) "
            + ", ".join(f"`{b}`" for b in the_plan.missing_buckets)
            + "; create the environment first (`terraform apply` in "
            f"infra/terraform/envs/{the_plan.env}). Nothing was uploaded."
        )
    for a in the_plan.actions:
        if a.action == "upload" and a.file is not None:
            resp = s3.put_object(
                Bucket=a.bucket,
                Key=a.key,
                Body=a.file.path.read_bytes(),
                Metadata={HASH_KEY: a.file.sha256},
            )
            if resp.get("VersionId"):
                the_plan.versions[a.key] = str(resp["VersionId"])
        elif a.action == "delete":
            s3.delete_object(Bucket=a.bucket, Key=a.key)


def object_version(s3: Any, bucket: str, key: str) -> str | None:
    """The current VersionId of an object (None when the bucket is not versioned)."""
    version = s3.head_object(Bucket=bucket, Key=key).get("VersionId")
    return str(version) if version and version != "null" else None


def update_environment(mwaa: Any, s3: Any, the_plan: Plan, project: str) -> dict[str, Any] | None:
    """Point the MWAA environment at the current requirements and startup object versions.

    Returns the UpdateEnvironment arguments sent, or None when the environment does not exist.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    name = naming.mwaa_environment(project, the_plan.env)
    try:
        return _update(mwaa, s3, the_plan, project, name)
    except mwaa.exceptions.ResourceNotFoundException:
        return None
    except (BotoCoreError, ClientError) as exc:
        raise DeployError(
            f"The files were uploaded, but MWAA environment `{name}` could not be updated: "
            f"{exc}. Check the credentials' airflow:UpdateEnvironment permission and rerun "
            "`taxiway deploy --update-environment` (nothing will be uploaded twice)."
        ) from exc


def _update(mwaa: Any, s3: Any, the_plan: Plan, project: str, name: str) -> dict[str, Any]:
    mwaa.get_environment(Name=name)
    bucket = naming.bucket(project, the_plan.env, "mwaa", the_plan.account_id)
    args: dict[str, Any] = {
        "Name": name,
        "SourceBucketArn": f"arn:aws:s3:::{bucket}",
        "DagS3Path": "dags",
        "RequirementsS3Path": "requirements.txt",
        "StartupScriptS3Path": "startup.sh",
    }
    for key, field_name in (
        ("requirements.txt", "RequirementsS3ObjectVersion"),
        ("startup.sh", "StartupScriptS3ObjectVersion"),
    ):
        version = the_plan.versions.get(key) or object_version(s3, bucket, key)
        if version:
            args[field_name] = version
    mwaa.update_environment(**args)
    return args
