"""An MWAA Serverless control plane for the twin: workflows with versions, runs that execute.

moto has no ``mwaa-serverless``. This one follows the API as botocore's model documents it
(JSON 1.0, ``X-Amz-Target: AmazonMWAAServerless.<Operation>``, signing name
``airflow-serverless``), refusals included:

* ``CreateWorkflow`` needs ``Name`` (``[a-zA-Z0-9]+[a-zA-Z0-9.-_]*``, at most 255),
  ``DefinitionS3Location`` (the object must exist, at ``VersionId`` when given) and a
  ``RoleArn`` of an existing role; the definition must be YAML with exactly one workflow
  whose schedule is cron or null and whose operators Serverless runs (or that the code
  package carries); ``Code.S3Location`` must exist too. A second workflow of the same name
  is a ``ConflictException``. The answer carries ``Warnings`` for DAG parameters Serverless
  ignores, as the service does. Every refusal changes nothing.
* ``UpdateWorkflow`` (unknown ARN: ``ResourceNotFoundException``) checks the same and
  makes a new version (32 lowercase hex characters); ``ListWorkflowVersions`` lists them,
  ``GetWorkflow`` shows the latest or the one asked for.
* ``StartWorkflowRun`` (``ClientToken`` makes it idempotent) runs the version's YAML with
  dag-factory in the local runner's Airflow (:mod:`taxiway.serverless.engine`), the code
  package unpacked beside it as Serverless unpacks it into the dags folder; the run is
  ``STARTING``, ``RUNNING``, then ``SUCCESS`` or ``FAILED``. ``GetWorkflowRun``,
  ``ListWorkflowRuns``, ``ListTaskInstances`` and ``GetTaskInstance`` read it: each task's
  status, attempt, duration and the error of a failed task.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import shutil
import string
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway.twin._s3 import client

LOG = logging.getLogger("taxiway.twin")
TARGET_PREFIX = "AmazonMWAAServerless."
_NAME = re.compile(r"^[a-zA-Z0-9]+[a-zA-Z0-9.\-_]*$")
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")
_ARN = re.compile(
    r"^arn:aws[a-z-]*:airflow-serverless:([a-z0-9-]+):(\d{12}):workflow/"
    r"([a-zA-Z0-9][a-zA-Z0-9.\-_]{0,254})-([a-zA-Z0-9]{10})$"
)
#: Airflow task states -> the API's TaskInstanceStatus
_TASK_STATES = {
    "success": "SUCCESS",
    "failed": "FAILED",
    "upstream_failed": "UPSTREAM_FAILED",
    "running": "RUNNING",
    "queued": "QUEUED",
    "scheduled": "SCHEDULED",
    "up_for_retry": "UP_FOR_RETRY",
    "up_for_reschedule": "UP_FOR_RESCHEDULE",
    "deferred": "DEFERRED",
    "removed": "REMOVED",
    "restarting": "RESTARTING",
}

#: runs a staged workflow: (dags folder, dag id, conf) -> the engine's result
Runner = Callable[[Path, str, dict[str, Any]], dict[str, Any]]


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def _invalid(message: str) -> ApiError:
    return ApiError(400, "ValidationException", message)


def _not_found(message: str) -> ApiError:
    return ApiError(404, "ResourceNotFoundException", message)


@dataclass
class Version:
    version: str
    created: float
    definition: dict[str, Any]  # DefinitionS3Location as given, VersionId resolved
    code: dict[str, Any] | None
    role: str
    config: dict[str, Any]  # Description, Environment, LoggingConfiguration, ...
    dag_id: str
    cron: str | None


@dataclass
class Workflow:
    name: str
    arn: str
    created: float
    versions: list[Version] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def version(self, wanted: str | None) -> Version:
        if not wanted:
            return self.versions[-1]
        for v in self.versions:
            if v.version == wanted:
                return v
        raise _not_found(f"Workflow version {wanted} of {self.arn} does not exist.")


@dataclass
class Run:
    run_id: str
    workflow: Workflow
    version: Version
    created: float
    conf: dict[str, Any]
    state: str = "STARTING"
    started: float | None = None
    ended: float | None = None
    error: str | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)


class ServerlessPlane:
    """Every Serverless workflow of the twin and the worker that runs their runs."""

    def __init__(self, data_dir: Path, runner: Runner) -> None:
        self.data_dir = data_dir / "serverless"
        self.runner = runner
        self.workflows: dict[tuple[str, str, str], Workflow] = {}
        self.runs: dict[str, Run] = {}
        self.tokens: dict[str, str] = {}
        self._lock = threading.RLock()
        self._generation = 0

    def reset(self) -> None:
        with self._lock:
            self.workflows.clear()
            self.runs.clear()
            self.tokens.clear()
            self._generation += 1

    # -- HTTP ------------------------------------------------------------------------------

    def handle(
        self, target: str, body: bytes, region: str, account: str
    ) -> tuple[int, dict[str, Any]]:
        """One call (``X-Amz-Target``, JSON body) -> (HTTP status, JSON answer)."""
        try:
            payload = json.loads(body or b"{}")
            operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else ""
            method = getattr(self, f"op_{operation}", None)
            if not operation or method is None:
                raise ApiError(400, "UnknownOperationException", f"Unknown operation `{target}`.")
            with self._lock:
                return 200, method(payload, region, account)
        except ApiError as exc:
            return exc.status, {"__type": exc.kind, "message": exc.message}
        except json.JSONDecodeError:
            return 400, {"__type": "ValidationException", "message": "The body is not JSON."}

    # -- workflows -------------------------------------------------------------------------

    def _workflow(self, arn: str | None) -> Workflow:
        if not arn:
            raise _invalid("WorkflowArn is required.")
        m = _ARN.match(arn)
        if m is None:
            raise _invalid(f"WorkflowArn {arn} is not a workflow ARN.")
        wf = self.workflows.get((m.group(1), m.group(2), m.group(3)))
        if wf is None or wf.arn != arn:
            raise _not_found(f"Workflow {arn} does not exist.")
        return wf

    def _version(self, payload: dict[str, Any], region: str) -> Version:
        """Check what a Create/UpdateWorkflow names; the version it would make."""
        role = payload.get("RoleArn")
        location = payload.get("DefinitionS3Location")
        if not role or not location:
            raise _invalid("DefinitionS3Location and RoleArn are required.")
        m = _ROLE.match(str(role))
        if m is None:
            raise _invalid(f"RoleArn {role} is not an IAM role ARN.")
        iam = client("iam", region)
        try:
            iam.get_role(RoleName=m.group(1))
        except iam.exceptions.NoSuchEntityException as exc:
            raise _invalid(f"The role {role} does not exist.") from exc
        text, version_id = self._object(location, region, "DefinitionS3Location")
        code = payload.get("Code")
        code_names: list[str] = []
        if code:
            s3loc = code.get("S3Location") or {}
            data, code_version = self._object(
                {
                    "Bucket": s3loc.get("Bucket"),
                    "ObjectKey": s3loc.get("ObjectKey"),
                    "VersionId": s3loc.get("VersionId"),
                },
                region,
                "Code.S3Location",
            )
            code = {"S3Location": {**s3loc, "VersionId": code_version}}
            code_names = _code_names(data, str(s3loc.get("ObjectKey")))
        dag_id, cron, _ = _definition(text, code_names)
        config: dict[str, Any] = {
            k: payload[k]
            for k in (
                "Description",
                "Environment",
                "LoggingConfiguration",
                "EngineVersion",
                "NetworkConfiguration",
                "TriggerMode",
                "EncryptionConfiguration",
            )
            if k in payload
        }
        return Version(
            secrets.token_hex(16),
            time.time(),
            {**location, "VersionId": version_id},
            code,
            str(role),
            config,
            dag_id,
            cron,
        )

    @staticmethod
    def _object(location: dict[str, Any], region: str, what: str) -> tuple[bytes, str | None]:
        bucket, key = location.get("Bucket"), location.get("ObjectKey")
        if not bucket or not key:
            raise _invalid(f"{what} needs Bucket and ObjectKey.")
        s3 = client("s3", region)
        args = {"Bucket": bucket, "Key": key}
        if location.get("VersionId"):
            args["VersionId"] = location["VersionId"]
        try:
            obj = s3.get_object(**args)
        except s3.exceptions.ClientError as exc:
            raise _invalid(f"{what} s3://{bucket}/{key} cannot be read: {exc}") from exc
        return obj["Body"].read(), obj.get("VersionId")

    def op_CreateWorkflow(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        name = str(payload.get("Name") or "")
        if not _NAME.match(name) or len(name) > 255:
            raise _invalid(f"Name `{name}` must match [a-zA-Z0-9]+[a-zA-Z0-9.-_]* (1-255).")
        if (region, account, name) in self.workflows:
            raise ApiError(409, "ConflictException", f"Workflow {name} already exists.")
        version = self._version(payload, region)
        suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(10))
        arn = f"arn:aws:airflow-serverless:{region}:{account}:workflow/{name}-{suffix}"
        wf = Workflow(name, arn, version.created, [version], dict(payload.get("Tags") or {}))
        self.workflows[(region, account, name)] = wf
        return {
            "WorkflowArn": arn,
            "CreatedAt": version.created,
            "RevisionId": version.version,
            "WorkflowStatus": "READY",
            "WorkflowVersion": version.version,
            "IsLatestVersion": True,
            "Warnings": self._warnings(version, region),
        }

    def op_UpdateWorkflow(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        wf = self._workflow(payload.get("WorkflowArn"))
        version = self._version(payload, region)
        wf.versions.append(version)
        return {
            "WorkflowArn": wf.arn,
            "ModifiedAt": version.created,
            "WorkflowVersion": version.version,
            "Warnings": self._warnings(version, region),
        }

    def _warnings(self, version: Version, region: str) -> list[str]:
        text, _ = self._object(version.definition, region, "DefinitionS3Location")
        return _definition(text, None)[2]

    def op_GetWorkflow(self, payload: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        wf = self._workflow(payload.get("WorkflowArn"))
        v = wf.version(payload.get("WorkflowVersion"))
        out: dict[str, Any] = {
            "WorkflowArn": wf.arn,
            "WorkflowVersion": v.version,
            "Name": wf.name,
            "CreatedAt": wf.created,
            "ModifiedAt": v.created,
            "WorkflowStatus": "READY",
            "DefinitionS3Location": v.definition,
            "RoleArn": v.role,
            "ScheduleConfiguration": {"CronExpression": v.cron} if v.cron else {},
            **v.config,
        }
        if v.code:
            out["Code"] = v.code
            out["CodeSnapshottedAt"] = v.created
        return out

    def op_ListWorkflows(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        found = [
            w for (r, a, _), w in sorted(self.workflows.items()) if (r, a) == (region, account)
        ]
        return {
            "Workflows": [
                {
                    "WorkflowArn": w.arn,
                    "WorkflowVersion": w.versions[-1].version,
                    "Name": w.name,
                    "CreatedAt": w.created,
                    "ModifiedAt": w.versions[-1].created,
                    "WorkflowStatus": "READY",
                }
                for w in found
            ]
        }

    def op_ListWorkflowVersions(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        wf = self._workflow(payload.get("WorkflowArn"))
        return {
            "WorkflowVersions": [
                {
                    "WorkflowVersion": v.version,
                    "WorkflowArn": wf.arn,
                    "IsLatestVersion": v is wf.versions[-1],
                    "CreatedAt": v.created,
                    "DefinitionS3Location": v.definition,
                    "ScheduleConfiguration": {"CronExpression": v.cron} if v.cron else {},
                }
                for v in reversed(wf.versions)
            ]
        }

    def op_DeleteWorkflow(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        wf = self._workflow(payload.get("WorkflowArn"))
        for key, value in list(self.workflows.items()):
            if value is wf:
                del self.workflows[key]
        return {"WorkflowArn": wf.arn}

    # -- runs ------------------------------------------------------------------------------

    def op_StartWorkflowRun(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        wf = self._workflow(payload.get("WorkflowArn"))
        token = payload.get("ClientToken")
        if token and f"{wf.arn}/{token}" in self.tokens:
            run = self.runs[self.tokens[f"{wf.arn}/{token}"]]
            return {"RunId": run.run_id, "Status": run.state, "StartedAt": run.created}
        version = wf.version(payload.get("WorkflowVersion"))
        run = Run(
            secrets.token_hex(8), wf, version, time.time(), payload.get("OverrideParameters") or {}
        )
        self.runs[run.run_id] = run
        if token:
            self.tokens[f"{wf.arn}/{token}"] = run.run_id
        generation = self._generation
        threading.Thread(
            target=self._execute,
            args=(run, region, generation),
            daemon=True,
            name=f"run-{run.run_id}",
        ).start()
        return {"RunId": run.run_id, "Status": run.state, "StartedAt": run.created}

    def _execute(self, run: Run, region: str, generation: int) -> None:
        stage = self.data_dir / "runs" / run.run_id / "dags"
        try:
            shutil.rmtree(stage, ignore_errors=True)
            stage.mkdir(parents=True)
            text, _ = self._object(run.version.definition, region, "DefinitionS3Location")
            (stage / f"{run.version.dag_id}.yaml").write_bytes(text)
            if run.version.code:
                data, _ = self._object(run.version.code["S3Location"], region, "Code")
                _unpack(data, str(run.version.code["S3Location"]["ObjectKey"]), stage)
            with self._lock:
                run.state, run.started = "RUNNING", time.time()
            result = self.runner(stage, run.version.dag_id, run.conf)
        except Exception as exc:  # the run fails; the twin keeps serving
            LOG.exception("workflow run %s failed to execute", run.run_id)
            result = {"error": f"{type(exc).__name__}: {exc}"}
        with self._lock:
            if generation != self._generation:
                return
            run.ended = time.time()
            run.tasks = list(result.get("tasks", []))
            if result.get("error"):
                run.state, run.error = "FAILED", str(result["error"])[:255]
            else:
                run.state = "SUCCESS" if result.get("state") == "success" else "FAILED"
                failed = [t["task_id"] for t in run.tasks if t.get("state") == "failed"]
                if failed:
                    run.error = f"Task(s) failed: {', '.join(failed)}"[:255]

    def _run(self, payload: dict[str, Any]) -> Run:
        wf = self._workflow(payload.get("WorkflowArn"))
        run = self.runs.get(str(payload.get("RunId")))
        if run is None or run.workflow is not wf:
            raise _not_found(f"Run {payload.get('RunId')} of {wf.arn} does not exist.")
        return run

    def op_GetWorkflowRun(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        run = self._run(payload)
        detail: dict[str, Any] = {
            "WorkflowArn": run.workflow.arn,
            "WorkflowVersion": run.version.version,
            "RunId": run.run_id,
            "RunType": "ON_DEMAND",
            "CreatedAt": run.created,
            "ModifiedAt": run.ended or run.started or run.created,
            "RunState": run.state,
            "TaskInstances": [_ti_id(run, t) for t in run.tasks],
        }
        if run.started:
            detail["StartedOn"] = run.started
        if run.ended:
            detail["CompletedOn"] = run.ended
            detail["Duration"] = int(run.ended - (run.started or run.created))
        if run.error:
            detail["ErrorMessage"] = run.error
        return {
            "WorkflowArn": run.workflow.arn,
            "WorkflowVersion": run.version.version,
            "RunId": run.run_id,
            "RunType": "ON_DEMAND",
            "OverrideParameters": run.conf,
            "RunDetail": detail,
        }

    def op_ListWorkflowRuns(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        wf = self._workflow(payload.get("WorkflowArn"))
        runs = sorted((r for r in self.runs.values() if r.workflow is wf), key=lambda r: -r.created)
        return {
            "WorkflowRuns": [
                {
                    "RunId": r.run_id,
                    "WorkflowArn": wf.arn,
                    "WorkflowVersion": r.version.version,
                    "RunType": "ON_DEMAND",
                    "RunDetailSummary": {
                        "Status": r.state,
                        "CreatedOn": r.created,
                        **({"StartedAt": r.started} if r.started else {}),
                        **({"EndedAt": r.ended} if r.ended else {}),
                    },
                }
                for r in runs
            ]
        }

    def op_ListTaskInstances(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        run = self._run(payload)
        return {
            "TaskInstances": [
                {
                    "WorkflowArn": run.workflow.arn,
                    "WorkflowVersion": run.version.version,
                    "RunId": run.run_id,
                    "TaskInstanceId": _ti_id(run, t),
                    "Status": _status(t),
                    "DurationInSeconds": int(t.get("duration") or 0),
                    "OperatorName": str(t.get("operator") or ""),
                }
                for t in run.tasks
            ]
        }

    def op_GetTaskInstance(
        self, payload: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        run = self._run(payload)
        for t in run.tasks:
            if _ti_id(run, t) == payload.get("TaskInstanceId"):
                out: dict[str, Any] = {
                    "WorkflowArn": run.workflow.arn,
                    "RunId": run.run_id,
                    "TaskInstanceId": _ti_id(run, t),
                    "WorkflowVersion": run.version.version,
                    "Status": _status(t),
                    "DurationInSeconds": int(t.get("duration") or 0),
                    "OperatorName": str(t.get("operator") or ""),
                    "AttemptNumber": int(t.get("try_number") or 0),
                    "TaskId": t["task_id"],
                }
                if t.get("error"):
                    out["ErrorMessage"] = str(t["error"])[:255]
                return out
        raise _not_found(f"Task instance {payload.get('TaskInstanceId')} does not exist.")


class EngineRunner:
    """The plane's :data:`Runner`: the Serverless engine of the local runner, one Airflow
    home per run (a copy of one migrated once, so runs do not share a database)."""

    def __init__(self, root: Path, cache: Path | None = None) -> None:
        self.root = root
        self.cache = cache
        self._lock = threading.Lock()

    def __call__(self, stage: Path, dag_id: str, conf: dict[str, Any]) -> dict[str, Any]:
        from taxiway.serverless.engine import engine

        template = self.root / "serverless" / "home"
        with self._lock, engine(stage, self.cache, home=template) as eng:
            eng.migrate()
        home = stage.parent / "home"
        shutil.copytree(template, home, dirs_exist_ok=True)
        with engine(stage, self.cache, home=home) as eng:
            return eng.call("run", dag_id, json.dumps(conf))


def _ti_id(run: Run, task: dict[str, Any]) -> str:
    return f"{run.run_id}-{task['task_id']}"


def _status(task: dict[str, Any]) -> str:
    return _TASK_STATES.get(str(task.get("state") or "").lower(), "NONE")


def _code_names(data: bytes, key: str) -> list[str]:
    """Module paths a code package makes importable (a .py, or a zip's modules)."""
    if key.endswith(".py"):
        return [Path(key).stem]
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if key.endswith(".zip"):
            raise _invalid(f"Code s3 object {key} is not a zip archive.")
        return []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = [n[:-3].replace("/", ".") for n in zf.namelist() if n.endswith(".py")]
    return [n[: -len(".__init__")] if n.endswith(".__init__") else n for n in names]


def _unpack(data: bytes, key: str, dest: Path) -> None:
    if key.endswith(".py") or key.endswith(".sh"):
        (dest / Path(key).name).write_bytes(data)
        return
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(dest)


def _definition(text: bytes, code_modules: list[str] | None) -> tuple[str, str | None, list[str]]:
    """(dag id, cron, warnings) of a workflow YAML; ValidationException when Serverless
    refuses it. ``code_modules`` None skips the operator check (warnings only)."""
    import yaml

    from taxiway.serverless.check import is_cron
    from taxiway.serverless.operators import IGNORED, operator_data

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _invalid(f"The workflow definition is not valid YAML: {exc}") from exc
    workflows = {k: v for k, v in (doc or {}).items() if isinstance(v, dict) and k != "default"}
    if len(workflows) != 1:
        raise _invalid(f"A workflow definition holds one workflow; this one has {len(workflows)}.")
    dag_id, body = next(iter(workflows.items()))
    schedule = body.get("schedule")
    if schedule is not None and not (isinstance(schedule, str) and is_cron(schedule)):
        raise _invalid(f"schedule `{schedule}` must be a cron expression or null.")
    tasks = body.get("tasks") or {}
    items = tasks.items() if isinstance(tasks, dict) else ((t.get("task_id"), t) for t in tasks)
    data = operator_data()
    if code_modules is not None:
        for task_id, task in items:
            operator = str((task or {}).get("operator") or "")
            if operator.startswith("airflow.") and data.supported(operator) == operator:
                continue
            module = operator.rpartition(".")[0]
            if not operator.startswith("airflow.") and module in code_modules:
                continue
            raise _invalid(f"Task {task_id}: operator {operator} is not supported.")
    warnings = [
        f"{key} is not supported and is ignored: {IGNORED[key].effect}"
        for key in body
        if key in IGNORED
    ]
    return str(dag_id), schedule, warnings
