"""What a deploy planned and did, as the JSON document ``taxiway deploy --format json`` prints."""

from __future__ import annotations

from typing import Any

from taxiway.deploy.run import Outcome, Prepared


def object_rows(prepared: Prepared) -> list[dict[str, Any]]:
    """Each object of the plan: kind, key, URI, action, reason, the local file."""
    target = prepared.target
    return [
        {
            "kind": o.kind,
            "key": o.key,
            "uri": target.uri(o.key),
            "action": o.action,
            "reason": o.reason,
            "file": o.local.name if o.local else None,
        }
        for o in prepared.plan.objects
    ]


def report(prepared: Prepared, outcome: Outcome | None, dry_run: bool) -> dict[str, Any]:
    """``--format json``: the plan, the doctor's errors, what was done, and the result."""
    env = prepared.environment
    plan = prepared.plan
    findings = prepared.findings
    if prepared.blocked:
        result = "doctor errors: nothing uploaded"
    elif dry_run:
        result = "nothing to do" if plan.nothing_to_do else "planned"
    elif outcome is None or plan.nothing_to_do:
        result = "nothing to do"
    elif outcome.failed:
        result = "environment update failed"
    elif outcome.update and outcome.environment is None:
        result = "environment update started"
    else:
        result = "deployed"
    current = (outcome.environment if outcome else None) or env
    return {
        "environment": prepared.name,
        "region": env.region if env else None,
        "status": current.status if current else None,
        "airflow_version": env.airflow_version if env else None,
        "mwaa_version": prepared.mwaa_version,
        "bucket": prepared.target.bucket,
        "dag_prefix": prepared.target.dag_prefix,
        "dry_run": dry_run,
        "doctor": None
        if findings is None
        else {
            "errors": [
                {"code": f.code, "subject": f.subject, "message": f.message, "file": f.file}
                for f in prepared.doctor_errors
            ],
            "warnings": sum(f.severity.value == "warning" for f in findings),
        },
        "objects": object_rows(prepared),
        "summary": plan.summary(),
        "environment_update": {
            "parts": plan.update,
            "sent": outcome.update if outcome else None,
            "waited_seconds": round(outcome.waited, 1) if outcome and outcome.waited else None,
            "failed": outcome.failed if outcome else None,
        },
        "uploaded": outcome.uploaded if outcome else [],
        "deleted": outcome.deleted if outcome else [],
        "deferred_dags": outcome.deferred if outcome else [],
        "notes": list(prepared.notes),
        "result": result,
    }
