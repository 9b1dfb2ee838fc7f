"""An MWAA environment as a deploy sees it: GetEnvironment's answer as plain data.

Where its files live (the source bucket, the DAG prefix, the requirements, plugins and
startup keys with the object versions it runs), its Airflow version, its status and how
its last update ended. Parsed here, once, so the plan and the messages never read
botocore's dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from taxiway.deploy.files import DEFAULT_KEYS, PARTS

#: statuses an environment leaves by itself: a deploy waits them out
TRANSITIONAL = frozenset(
    {"CREATING", "UPDATING", "ROLLING_BACK", "CREATING_SNAPSHOT", "PENDING", "MAINTENANCE"}
)
#: statuses that accept an UpdateEnvironment
UPDATABLE = frozenset({"AVAILABLE", "UPDATE_FAILED"})

#: GetEnvironment's (and UpdateEnvironment's) field names per part: path, object version
FIELDS = {
    "requirements": ("RequirementsS3Path", "RequirementsS3ObjectVersion"),
    "plugins": ("PluginsS3Path", "PluginsS3ObjectVersion"),
    "startup": ("StartupScriptS3Path", "StartupScriptS3ObjectVersion"),
}


@dataclass(frozen=True)
class LastUpdate:
    """GetEnvironment's ``LastUpdate``: how the newest update went."""

    status: str | None = None  # SUCCESS | PENDING | FAILED
    created_at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "FAILED"

    def error(self) -> str:
        """MWAA's error, as one line."""
        text = " ".join((self.error_message or "no error message").split()).rstrip(".")
        return f"{self.error_code}: {text}" if self.error_code else text


@dataclass(frozen=True)
class Target:
    """Where a project's files go: a bucket, a DAG prefix and a key per part.

    ``versions`` are the object versions the environment runs (None: none, or not known).
    """

    bucket: str
    dag_prefix: str  # "dags" for s3://bucket/dags/...; no slashes at either end
    paths: dict[str, str | None] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)

    def key(self, part: str) -> str:
        """The key of ``part``: the environment's path, else MWAA's usual name at the root."""
        return self.paths.get(part) or DEFAULT_KEYS[part]

    def dag_key(self, rel: str) -> str:
        return f"{self.dag_prefix}/{rel}" if self.dag_prefix else rel

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


@dataclass(frozen=True)
class Environment:
    """One MWAA environment (GetEnvironment's ``Environment``)."""

    name: str
    status: str
    airflow_version: str | None
    target: Target
    last_update: LastUpdate = LastUpdate()
    region: str | None = None

    @property
    def settling(self) -> bool:
        """True while MWAA is changing it by itself (a deploy waits)."""
        return self.status in TRANSITIONAL

    @property
    def updatable(self) -> bool:
        return self.status in UPDATABLE


def bucket_of(arn: str) -> str:
    """``arn:aws:s3:::my-bucket`` -> ``my-bucket``."""
    return arn.rsplit(":", 1)[-1]


def _key(path: Any) -> str | None:
    # MWAA accepts "dags/" and "/requirements.txt"; S3 keys have no leading slash
    text = str(path).strip().lstrip("/") if path else ""
    return text or None


def parse(data: dict[str, Any], region: str | None = None) -> Environment:
    """The deploy's view of GetEnvironment's ``Environment`` dictionary."""
    paths: dict[str, str | None] = {}
    versions: dict[str, str | None] = {}
    for part in PARTS:
        path_field, version_field = FIELDS[part]
        paths[part] = _key(data.get(path_field))
        versions[part] = str(data[version_field]) if data.get(version_field) else None
    last = data.get("LastUpdate") or {}
    error = last.get("Error") or {}
    created = last.get("CreatedAt")
    return Environment(
        name=str(data["Name"]),
        status=str(data.get("Status") or "UNKNOWN"),
        airflow_version=str(data["AirflowVersion"]) if data.get("AirflowVersion") else None,
        target=Target(
            bucket=bucket_of(str(data.get("SourceBucketArn") or "")),
            dag_prefix=(_key(data.get("DagS3Path")) or "").rstrip("/"),
            paths=paths,
            versions=versions,
        ),
        last_update=LastUpdate(
            status=str(last["Status"]) if last.get("Status") else None,
            created_at=created if isinstance(created, datetime) else None,
            error_code=str(error["ErrorCode"]) if error.get("ErrorCode") else None,
            error_message=str(error["ErrorMessage"]) if error.get("ErrorMessage") else None,
        ),
        region=region,
    )


def update_finished(env: Environment, before: LastUpdate, seen_settling: bool) -> bool:
    """Whether the update sent after ``before`` is over (successfully or not).

    Over when the environment has stopped changing and either was seen changing or reports
    a newer LastUpdate: right after UpdateEnvironment MWAA may still say AVAILABLE for a
    moment, which is the state before the update, not after it.
    """
    if env.settling:
        return False
    newer = env.last_update.created_at is not None and (
        before.created_at is None or env.last_update.created_at > before.created_at
    )
    return seen_settling or newer
