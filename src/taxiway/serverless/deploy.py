"""``taxiway deploy PROJECT --serverless [--run]``: a project onto MWAA Serverless.

1. Convert (:mod:`taxiway.serverless.project`): the YAML, the code package, the report; a
   definition that does not load back the same is never uploaded.
2. Upload each definition and ``code.zip`` under ``s3://BUCKET/PREFIX/`` only when its
   bytes differ from the object there (MD5 against the ETag of a single-part upload).
3. For each workflow (named after its DAG): CreateWorkflow when it does not exist,
   UpdateWorkflow only when its definition, its code or its role changed, else nothing.
4. With ``run``: StartWorkflowRun for each, then GetWorkflowRun and ListTaskInstances
   until every run ends; a state change is reported through ``say``.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway.runner.progress import Progress, quiet
from taxiway.serverless.project import CODE, convert_project, reviewed

_TERMINAL = {"SUCCESS", "FAILED", "TIMEOUT", "STOPPED"}
POLL_SECONDS = 1.0


@dataclass
class WorkflowOutcome:
    name: str
    action: str  # created | updated | unchanged
    arn: str
    version: str
    warnings: list[str] = field(default_factory=list)
    run: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ServerlessDeploy:
    report: dict[str, Any]  # the conversion's report (``convert-report.json``)
    uploaded: list[str]
    workflows: list[WorkflowOutcome]

    @property
    def failed_runs(self) -> list[WorkflowOutcome]:
        return [w for w in self.workflows if w.run and w.run.get("RunState") != "SUCCESS"]

    @property
    def not_deployed(self) -> list[dict[str, Any]]:
        """DAGs refused, or whose definition does not load back the same."""
        return [d for d in self.report["dags"] if not _ready(d)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "convert": self.report,
            "uploaded": self.uploaded,
            "workflows": [vars(w) for w in self.workflows],
        }


def _ready(dag: dict[str, Any]) -> bool:
    v = dag.get("validation") or {}
    return bool(dag["converted"] and v.get("loaded") and v.get("same_graph"))


def workflow_name(dag_id: str) -> str:
    """A DAG id as a workflow name (``[a-zA-Z0-9]+[a-zA-Z0-9.-_]*``)."""
    name = re.sub(r"[^a-zA-Z0-9.\-_]", "-", dag_id).lstrip(".-_")
    return name[:255] or "workflow"


def _upload(s3: Any, bucket: str, key: str, data: bytes) -> bool:
    """Put ``data`` at ``key`` unless the object already holds it; True when uploaded."""
    try:
        etag = str(s3.head_object(Bucket=bucket, Key=key)["ETag"]).strip('"')
    except s3.exceptions.ClientError:
        etag = ""
    if etag == hashlib.md5(data, usedforsecurity=False).hexdigest():
        return False
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    return True


def deploy(
    clients: Callable[[str], Any],
    project: Path | None,
    *,
    bucket: str,
    role_arn: str,
    prefix: str = "workflows",
    run: bool = False,
    converted: Path | None = None,
    cache: Path | None = None,
    progress: Progress = quiet,
    timeout: float = 1800.0,
) -> ServerlessDeploy:
    """Convert ``project`` (or take the reviewed output folder ``converted``), upload what
    changed, create/update what changed, run (see the module docstring)."""
    if converted is not None:
        return _deploy(
            clients,
            converted,
            reviewed(converted, cache, progress),
            bucket,
            role_arn,
            prefix,
            run,
            progress,
            timeout,
        )
    assert project is not None
    with tempfile.TemporaryDirectory(prefix="taxiway-serverless-deploy-") as tmp:
        out = Path(tmp)
        convert_project(project, out, cache, progress)
        report = reviewed(out, cache, progress)  # just validated: nothing loads again
        return _deploy(clients, out, report, bucket, role_arn, prefix, run, progress, timeout)


def _deploy(
    clients: Callable[[str], Any],
    out: Path,
    report: dict[str, Any],
    bucket: str,
    role_arn: str,
    prefix: str,
    run: bool,
    progress: Progress,
    timeout: float,
) -> ServerlessDeploy:
    s3, api = clients("s3"), clients("mwaa-serverless")
    ready = [d["dag_id"] for d in report["dags"] if _ready(d)]
    uploaded: list[str] = []
    code_key = f"{prefix.strip('/')}/{CODE}".lstrip("/")
    code_changed = False
    if ready and (out / CODE).is_file():
        code_changed = _upload(s3, bucket, code_key, (out / CODE).read_bytes())
        if code_changed:
            uploaded.append(code_key)
    existing = {w["Name"]: w for w in api.list_workflows().get("Workflows", [])}
    outcomes = []
    for dag_id in ready:
        key = f"{prefix.strip('/')}/{dag_id}.yaml".lstrip("/")
        changed = _upload(s3, bucket, key, (out / f"{dag_id}.yaml").read_bytes())
        if changed:
            uploaded.append(key)
        name = workflow_name(dag_id)
        outcomes.append(
            _apply(api, name, existing, bucket, key, code_key, code_changed or changed, role_arn)
        )
    if run:
        _run_all(api, outcomes, progress, timeout)
    return ServerlessDeploy(report, uploaded, outcomes)


def _apply(
    api: Any,
    name: str,
    existing: dict[str, Any],
    bucket: str,
    key: str,
    code_key: str,
    changed: bool,
    role_arn: str,
) -> WorkflowOutcome:
    args = {
        "DefinitionS3Location": {"Bucket": bucket, "ObjectKey": key},
        "Code": {"S3Location": {"Bucket": bucket, "ObjectKey": code_key}},
        "RoleArn": role_arn,
    }
    if name not in existing:
        made = api.create_workflow(Name=name, **args)
        return WorkflowOutcome(
            name, "created", made["WorkflowArn"], made["WorkflowVersion"], made.get("Warnings", [])
        )
    arn = existing[name]["WorkflowArn"]
    current = api.get_workflow(WorkflowArn=arn)
    same = (
        not changed
        and current.get("RoleArn") == role_arn
        and (current.get("DefinitionS3Location") or {}).get("ObjectKey") == key
        and ((current.get("Code") or {}).get("S3Location") or {}).get("ObjectKey") == code_key
    )
    if same:
        return WorkflowOutcome(name, "unchanged", arn, current["WorkflowVersion"])
    made = api.update_workflow(WorkflowArn=arn, **args)
    return WorkflowOutcome(name, "updated", arn, made["WorkflowVersion"], made.get("Warnings", []))


def _run_all(api: Any, outcomes: list[WorkflowOutcome], progress: Progress, timeout: float) -> None:
    """Start every workflow's run, then follow them together until all have ended."""
    runs = {}
    for w in outcomes:
        started = api.start_workflow_run(WorkflowArn=w.arn, ClientToken=f"taxiway-{time.time_ns()}")
        runs[w.name] = started["RunId"]
        progress(f"`{w.name}`: run {started['RunId']} {started['Status']}")
    deadline = time.monotonic() + timeout
    seen: dict[str, str] = {}
    pending = list(outcomes)
    while pending:
        for w in list(pending):
            if _poll(api, w, runs[w.name], seen, progress) or time.monotonic() > deadline:
                pending.remove(w)
        if pending:
            time.sleep(POLL_SECONDS)


def _poll(
    api: Any, w: WorkflowOutcome, run_id: str, seen: dict[str, str], progress: Progress
) -> bool:
    """Read one run and its tasks into ``w``; True once the run has ended."""
    detail = api.get_workflow_run(WorkflowArn=w.arn, RunId=run_id)["RunDetail"]
    tasks = api.list_task_instances(WorkflowArn=w.arn, RunId=run_id)["TaskInstances"]
    for t in tasks:
        if seen.get(t["TaskInstanceId"]) != t["Status"]:
            seen[t["TaskInstanceId"]] = t["Status"]
            progress(f"`{w.name}`: task {t['TaskInstanceId'].split('-', 1)[-1]} {t['Status']}")
    if detail["RunState"] in _TERMINAL:
        state = detail["RunState"]
        if state != seen.get(run_id):
            progress(f"`{w.name}`: run {run_id} {state}")
        _finish(api, w, run_id, detail, tasks)
        return True
    if seen.get(run_id) != detail["RunState"]:
        seen[run_id] = detail["RunState"]
        progress(f"`{w.name}`: run {run_id} {detail['RunState']}")
    w.run = {k: v for k, v in detail.items() if k != "TaskInstances"}
    return False


def _finish(
    api: Any, w: WorkflowOutcome, run_id: str, detail: dict[str, Any], tasks: list[Any]
) -> None:
    for t in tasks:
        if t["Status"] == "FAILED":
            got = api.get_task_instance(
                WorkflowArn=w.arn, RunId=run_id, TaskInstanceId=t["TaskInstanceId"]
            )
            t["ErrorMessage"] = got.get("ErrorMessage")
    w.run = {k: v for k, v in detail.items() if k != "TaskInstances"}
    w.tasks = tasks
