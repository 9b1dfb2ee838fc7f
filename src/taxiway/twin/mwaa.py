"""An MWAA control plane for the twin: environments that change state and install what S3 holds.

moto has no MWAA. This one follows the API as AWS documents it (botocore's ``mwaa`` model,
REST-JSON under ``/environments/{Name}``), refusals included:

* ``CreateEnvironment`` needs ``Name``, ``ExecutionRoleArn``, ``SourceBucketArn``,
  ``DagS3Path`` and ``NetworkConfiguration``; the role must exist, the source bucket must
  exist and have versioning enabled, the paths are keys inside it (no ``s3://``, no leading
  ``/``), every object named must exist at the given ``...S3ObjectVersion`` (the latest
  version when none is given), two subnets in two Availability Zones, a known Airflow
  version. A refusal is a ``ValidationException`` and changes nothing.
* The environment is ``CREATING`` (``UPDATING`` after ``UpdateEnvironment``) while the twin
  installs it, then ``AVAILABLE``. Installing means what MWAA does: the startup script,
  then the requirements and the plugins at their object versions, with the local runner
  (:mod:`taxiway.twin.install`, the code of ``taxiway local test``).
* A failed update is rolled back as MWAA does: ``ROLLING_BACK``, then ``AVAILABLE`` with the
  previous configuration, and ``LastUpdate`` says ``FAILED`` with an error naming what
  failed. A failed creation ends in ``CREATE_FAILED``.
* ``UpdateEnvironment`` while the environment is not ``AVAILABLE`` (or ``UPDATE_FAILED``) is
  refused, as MWAA refuses it.
* DAG import errors never fail an update (they don't on MWAA); the twin writes them to
  ``<data-dir>/mwaa/<name>/dag-import-errors.json`` and answers ``InvokeRestApi`` for
  ``GET /importErrors`` and ``GET /dags``, re-reading the DAG folder first, like the
  scheduler does every few seconds.

The HTTP side is :meth:`ControlPlane.handle`: (method, path, body) in, (status, body) out.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway.twin._s3 import client

LOG = logging.getLogger("taxiway.twin")
_NAME = re.compile(r"^[a-zA-Z][0-9a-zA-Z_-]{0,79}$")
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")
_BUCKET = re.compile(r"^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$")
_REQUIRED = ("Name", "ExecutionRoleArn", "SourceBucketArn", "DagS3Path", "NetworkConfiguration")
#: (path field, version field) of every versioned object an environment installs
OBJECTS = (
    ("RequirementsS3Path", "RequirementsS3ObjectVersion"),
    ("PluginsS3Path", "PluginsS3ObjectVersion"),
    ("StartupScriptS3Path", "StartupScriptS3ObjectVersion"),
)
_DEFAULTS: dict[str, Any] = {
    "EnvironmentClass": "mw1.small",
    "MaxWorkers": 10,
    "MinWorkers": 1,
    "Schedulers": 2,
    "WebserverAccessMode": "PRIVATE_ONLY",
    "EndpointManagement": "SERVICE",
    "WeeklyMaintenanceWindowStart": "SUN:03:30",
}
_UPDATABLE_FROM = ("AVAILABLE", "UPDATE_FAILED")
ROLLBACK_SECONDS = 1.0


class ApiError(Exception):
    """An MWAA error response: HTTP status, error type, message."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def _invalid(message: str) -> ApiError:
    return ApiError(400, "ValidationException", message)


@dataclass(frozen=True)
class Outcome:
    """What installing an environment's configuration gave."""

    ok: bool
    error_code: str = ""
    error_message: str = ""
    import_errors: dict[str, str] = field(default_factory=dict)
    dag_ids: tuple[str, ...] = ()


#: installs one configuration: (environment name, configuration) -> outcome
Installer = Callable[[str, dict[str, Any]], Outcome]
#: re-imports the DAG folder of an installed environment: name -> outcome (None: not built)
Reimporter = Callable[[str, dict[str, Any]], Outcome | None]


@dataclass
class Environment:
    name: str
    region: str
    account: str
    config: dict[str, Any]  # the configuration in effect (what GetEnvironment shows)
    status: str
    created_at: float
    last_update: dict[str, Any] | None = None
    imports: Outcome | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:airflow:{self.region}:{self.account}:environment/{self.name}"

    def describe(self) -> dict[str, Any]:
        out = {
            **self.config,
            "Name": self.name,
            "Arn": self.arn,
            "Status": self.status,
            "CreatedAt": self.created_at,
            "ServiceRoleArn": f"arn:aws:iam::{self.account}:role/aws-service-role/"
            "airflow.amazonaws.com/AWSServiceRoleForAmazonMWAA",
            "WebserverUrl": f"{self.name}.{self.region}.airflow.twin.localhost",
        }
        if self.last_update is not None:
            out["LastUpdate"] = self.last_update
        return out


class ControlPlane:
    """Every MWAA environment of the twin, and the one worker that installs them."""

    def __init__(
        self,
        data_dir: Path,
        installer: Installer,
        reimporter: Reimporter,
        latest_version: str,
        known_versions: list[str],
    ) -> None:
        self.data_dir = data_dir
        self.installer = installer
        self.reimporter = reimporter
        self.latest_version = latest_version
        self.known_versions = known_versions
        self.environments: dict[tuple[str, str, str], Environment] = {}
        self._lock = threading.RLock()
        self._jobs: list[tuple[str, str, str, dict[str, Any] | None]] = []
        self._wake = threading.Condition(self._lock)
        self._stop = False
        self._generation = 0  # bumped by reset: a job of an earlier generation is dropped
        self._thread = threading.Thread(target=self._work, daemon=True, name="twin-mwaa")

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ControlPlane:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget every environment (moto's ``/moto-api/reset`` resets the twin's MWAA too)."""
        with self._wake:
            self.environments.clear()
            self._jobs.clear()
            self._generation += 1

    # -- HTTP ------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, body: bytes, region: str, account: str
    ) -> tuple[int, dict[str, Any]]:
        """One MWAA API call: (HTTP status, JSON body); errors as MWAA sends them."""
        try:
            payload = json.loads(body or b"{}")
            return 200, self._route(method, path, payload, region, account)
        except ApiError as exc:
            return exc.status, {"__type": exc.kind, "message": exc.message}
        except json.JSONDecodeError:
            return 400, {"__type": "ValidationException", "message": "The body is not JSON."}

    def _route(
        self, method: str, path: str, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        parts = [p for p in path.split("?")[0].split("/") if p]
        if parts == ["environments"] and method == "GET":
            return self.list_environments(region, account)
        if len(parts) == 2 and parts[0] == "environments":
            name = parts[1]
            if method == "PUT":
                return self.create(region, account, {**payload, "Name": name})
            if method == "GET":
                return {"Environment": self._get(region, account, name).describe()}
            if method == "PATCH":
                return self.update(region, account, {**payload, "Name": name})
            if method == "DELETE":
                return self.delete(region, account, name)
        if len(parts) == 2 and parts[0] == "restapi" and method == "POST":
            return self.invoke_rest_api(region, account, parts[1], payload)
        raise ApiError(404, "ResourceNotFoundException", f"The twin's MWAA has no {method} {path}.")

    # -- the API ---------------------------------------------------------------------------

    def _get(self, region: str, account: str, name: str) -> Environment:
        env = self.environments.get((account, region, name))
        if env is None:
            raise ApiError(404, "ResourceNotFoundException", f"Environment {name} was not found.")
        return env

    def list_environments(self, region: str, account: str) -> dict[str, Any]:
        with self._lock:
            names = sorted(e.name for e in self.environments.values() if e.region == region)
        return {"Environments": names}

    def create(self, region: str, account: str, request: dict[str, Any]) -> dict[str, Any]:
        missing = [k for k in _REQUIRED if not request.get(k)]
        if missing:
            raise _invalid(f"Missing required parameter(s): {', '.join(missing)}.")
        name = request["Name"]
        if not _NAME.match(name):
            raise _invalid(
                f"Environment name {name!r} must start with a letter and contain only "
                "letters, digits, hyphens and underscores (1-80 characters)."
            )
        with self._lock:
            if (account, region, name) in self.environments:
                raise _invalid(f"Environment {name} already exists.")
        config = {**_DEFAULTS, **{k: v for k, v in request.items() if k not in ("Name", "Tags")}}
        config.setdefault("AirflowVersion", self.latest_version)
        config["Tags"] = request.get("Tags", {})
        config = self._validated(config, region)
        env = Environment(name, region, account, config, "CREATING", time.time())
        with self._wake:
            self.environments[(account, region, name)] = env
            self._jobs.append((account, region, name, None))
            self._wake.notify_all()
        return {"Arn": env.arn}

    def update(self, region: str, account: str, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        with self._wake:
            env = self._get(region, account, name)
            if env.status not in _UPDATABLE_FROM:
                raise _invalid(
                    f"Environment {name} is {env.status}; it can be updated when it is "
                    "AVAILABLE or UPDATE_FAILED."
                )
            changes = {k: v for k, v in request.items() if k != "Name"}
            wanted = {**env.config, **changes}
            for path_key, version_key in OBJECTS:
                # a new path without a version means the latest version of the new object
                if path_key in changes and version_key not in changes:
                    wanted.pop(version_key, None)
            wanted = self._validated(wanted, region)
            env.status = "UPDATING"
            env.last_update = {"Status": "PENDING", "CreatedAt": time.time(), "Source": "API"}
            self._jobs.append((account, region, name, wanted))
            self._wake.notify_all()
            return {"Arn": env.arn}

    def delete(self, region: str, account: str, name: str) -> dict[str, Any]:
        with self._lock:
            env = self._get(region, account, name)
            if env.status in ("CREATING", "UPDATING", "ROLLING_BACK"):
                raise _invalid(f"Environment {name} is {env.status}; wait until it settles.")
            del self.environments[(account, region, name)]
        return {}

    def invoke_rest_api(
        self, region: str, account: str, name: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        env = self._get(region, account, name)
        if env.status != "AVAILABLE":
            raise _invalid(f"Environment {name} is {env.status}, not AVAILABLE.")
        path, method = payload.get("Path", ""), payload.get("Method", "")
        if method != "GET" or path.rstrip("/") not in ("/importErrors", "/dags"):
            raise _invalid(
                f"The twin answers GET /importErrors and GET /dags only, not {method} {path}."
            )
        outcome = self.reimporter(name, env.config) or env.imports or Outcome(True)
        env.imports = outcome
        self._write_import_errors(env)
        if path.rstrip("/") == "/dags":
            dags = [{"dag_id": d, "is_paused": True} for d in outcome.dag_ids]
            return {"RestApiStatusCode": 200, "RestApiResponse": {"dags": dags}}
        errors = [
            {"filename": f, "stack_trace": e, "import_error_id": i}
            for i, (f, e) in enumerate(sorted(outcome.import_errors.items()), 1)
        ]
        return {
            "RestApiStatusCode": 200,
            "RestApiResponse": {"import_errors": errors, "total_entries": len(errors)},
        }

    # -- validation ------------------------------------------------------------------------

    def _validated(self, config: dict[str, Any], region: str) -> dict[str, Any]:
        """``config`` with every object version resolved; ValidationException otherwise."""
        version = str(config.get("AirflowVersion"))
        if version not in self.known_versions:
            raise _invalid(
                f"Airflow version {version} is not supported; choose one of "
                + ", ".join(self.known_versions)
                + "."
            )
        role = _ROLE.match(str(config.get("ExecutionRoleArn", "")))
        if not role:
            raise _invalid(
                f"ExecutionRoleArn {config.get('ExecutionRoleArn')!r} is not a role ARN."
            )
        iam = client("iam", region)
        try:
            iam.get_role(RoleName=role.group(1))
        except iam.exceptions.NoSuchEntityException as exc:
            raise _invalid(
                f"Unable to access execution role {config['ExecutionRoleArn']}: it does not exist."
            ) from exc
        bucket_match = _BUCKET.match(str(config.get("SourceBucketArn", "")))
        if not bucket_match:
            raise _invalid(
                f"SourceBucketArn {config.get('SourceBucketArn')!r} is not an S3 bucket ARN "
                "(arn:aws:s3:::BUCKET)."
            )
        bucket = bucket_match.group(1)
        s3 = client("s3", region)
        try:
            versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
        except s3.exceptions.ClientError as exc:
            raise _invalid(f"Unable to access source bucket {bucket}: {exc}.") from exc
        if versioning != "Enabled":
            raise _invalid(
                f"Source bucket {bucket} must have versioning enabled (it is "
                f"{versioning or 'never enabled'})."
            )
        for key in ("DagS3Path", *(p for p, _ in OBJECTS)):
            value = config.get(key)
            if value is not None and (value.startswith(("s3://", "/")) or not value.strip()):
                raise _invalid(f"{key} {value!r} must be a key relative to the bucket, e.g. dags.")
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=config["DagS3Path"], MaxKeys=1)
        if not listed.get("KeyCount"):
            raise _invalid(f"DagS3Path {config['DagS3Path']} does not exist in bucket {bucket}.")
        out = dict(config)
        for path_key, version_key in OBJECTS:
            if not out.get(path_key):
                out.pop(path_key, None)
                out.pop(version_key, None)
                continue
            out[version_key] = _object_version(s3, bucket, out[path_key], out.get(version_key))
        self._check_network(out.get("NetworkConfiguration") or {}, region)
        return out

    @staticmethod
    def _check_network(network: dict[str, Any], region: str) -> None:
        subnets = list(network.get("SubnetIds") or [])
        groups = list(network.get("SecurityGroupIds") or [])
        if len(subnets) != 2:
            raise _invalid(f"NetworkConfiguration needs exactly 2 SubnetIds, got {len(subnets)}.")
        if not 1 <= len(groups) <= 5:
            raise _invalid("NetworkConfiguration needs 1 to 5 SecurityGroupIds.")
        ec2 = client("ec2", region)
        try:
            found = ec2.describe_subnets(SubnetIds=subnets)["Subnets"]
            ec2.describe_security_groups(GroupIds=groups)
        except ec2.exceptions.ClientError as exc:
            raise _invalid(f"NetworkConfiguration: {exc}.") from exc
        if len({s["AvailabilityZone"] for s in found}) < 2:
            raise _invalid("The two subnets must be in two different Availability Zones.")
        if len({s["VpcId"] for s in found}) != 1:
            raise _invalid("The two subnets must be in the same VPC.")

    # -- the worker ------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._jobs and not self._stop:
                    self._wake.wait()
                if self._stop:
                    return
                account, region, name, wanted = self._jobs.pop(0)
                generation = self._generation
                env = self.environments.get((account, region, name))
                if env is None:
                    continue
                config = dict(wanted if wanted is not None else env.config)
            try:
                outcome = self.installer(name, config)
            except Exception as exc:  # the twin's own failure: say so, never hang UPDATING
                outcome = Outcome(False, "INTERNAL_ERROR", f"the twin failed: {exc!r}")
            with self._wake:
                if not self._current(env, generation):
                    continue
                if wanted is not None and not outcome.ok:
                    env.status = "ROLLING_BACK"  # observable for a moment, as on MWAA
            if wanted is not None and not outcome.ok:
                time.sleep(ROLLBACK_SECONDS)
            with self._wake:
                if self._current(env, generation):
                    self._finish(env, wanted, outcome)

    def _current(self, env: Environment, generation: int) -> bool:
        """The job's environment still exists and no reset happened meanwhile."""
        key = (env.account, env.region, env.name)
        return generation == self._generation and self.environments.get(key) is env

    def _finish(self, env: Environment, wanted: dict[str, Any] | None, outcome: Outcome) -> None:
        now = time.time()
        if wanted is None:  # a creation
            env.status = "AVAILABLE" if outcome.ok else "CREATE_FAILED"
            if not outcome.ok:
                env.last_update = {
                    "Status": "FAILED",
                    "CreatedAt": env.created_at,
                    "Source": "API",
                    "Error": {
                        "ErrorCode": outcome.error_code,
                        "ErrorMessage": outcome.error_message,
                    },
                }
        elif outcome.ok:
            env.config = wanted
            env.status = "AVAILABLE"
            env.last_update = {**(env.last_update or {}), "Status": "SUCCESS"}
        else:  # rolled back: the previous configuration stays in effect
            env.last_update = {
                **(env.last_update or {"CreatedAt": now, "Source": "API"}),
                "Status": "FAILED",
                "Error": {"ErrorCode": outcome.error_code, "ErrorMessage": outcome.error_message},
            }
            env.status = "AVAILABLE"
        if outcome.ok:
            env.imports = outcome
            self._write_import_errors(env)
        LOG.info(
            "MWAA %s: %s%s",
            env.name,
            env.status,
            ""
            if outcome.ok
            else f" after a failed {'update' if wanted else 'creation'}: "
            f"{outcome.error_code} {outcome.error_message.splitlines()[0]}",
        )

    def _write_import_errors(self, env: Environment) -> None:
        folder = self.data_dir / "mwaa" / env.name
        folder.mkdir(parents=True, exist_ok=True)
        errors = env.imports.import_errors if env.imports else {}
        (folder / "dag-import-errors.json").write_text(
            json.dumps(errors, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )


def _object_version(s3: Any, bucket: str, key: str, version: str | None) -> str:
    """The version MWAA will install: the given one (which must exist) or the latest."""
    from botocore.exceptions import ClientError

    try:
        if version:
            head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
        else:
            head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        what = f"version {version} of " if version else ""
        raise _invalid(f"Unable to read {what}s3://{bucket}/{key}: it does not exist.") from exc
    return str(head.get("VersionId") or "null")
