"""``--connectivity``: run AWS's own MWAA troubleshooting runbook and report its outcome.

This is the one preflight action that costs money and changes state (it starts a Systems
Manager Automation execution, which in turn tests reachability from MWAA's network
interfaces), so it runs only when asked, and only when the MWAA environment exists: the
runbook needs its ENIs. Preflight does not parse the runbook's report (its format is
AWS's, and changes); it reports whether it ran, which steps failed, and where to read it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from taxiway.findings import Finding, Severity

RUNBOOK = "AWSSupport-TroubleshootMWAAEnvironmentCreation"
_DONE = {
    "Success",
    "Failed",
    "TimedOut",
    "Cancelled",
    "CompletedWithSuccess",
    "CompletedWithFailure",
}
_OK = {"Success", "CompletedWithSuccess"}


def run_connectivity(
    ssm: Any,
    environment: str,
    region: str,
    mwaa_exists: bool,
    timeout_s: float = 900.0,
    poll_s: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Finding]:
    """Start the runbook for ``environment``, wait for it, and turn the result into findings."""
    if not mwaa_exists:
        return [
            Finding(
                "connectivity-skipped",
                Severity.INFO,
                environment,
                f"`--connectivity` needs the MWAA environment `{environment}` to exist "
                f"(`{RUNBOOK}` tests from its network interfaces); nothing was started.",
                "Run it again after the environment is created.",
            )
        ]
    execution_id = ssm.start_automation_execution(
        DocumentName=RUNBOOK, Parameters={"EnvironmentName": [environment]}
    )["AutomationExecutionId"]
    link = (
        f"https://console.aws.amazon.com/systems-manager/automation/execution/{execution_id}"
        f"?region={region}"
    )
    waited = 0.0
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)[
            "AutomationExecution"
        ]
        status = str(execution["AutomationExecutionStatus"])
        if status in _DONE:
            break
        if waited >= timeout_s:
            return [
                Finding(
                    "connectivity-timeout",
                    Severity.WARNING,
                    environment,
                    f"`{RUNBOOK}` ({execution_id}) was still {status} after {waited:.0f} s.",
                    f"Read its outcome later: {link}",
                )
            ]
        sleep(poll_s)
        waited += poll_s
    failed = [
        f"{s.get('StepName')}: {s.get('FailureMessage', s.get('StepStatus'))}"
        for s in execution.get("StepExecutions", [])
        if s.get("StepStatus") in ("Failed", "TimedOut", "Cancelled")
    ]
    if status in _OK and not failed:
        return [
            Finding(
                "connectivity-checked",
                Severity.INFO,
                environment,
                f"`{RUNBOOK}` ({execution_id}) finished: {status}.",
                f"Read its report (endpoint reachability, log errors): {link}",
            )
        ]
    reason = execution.get("FailureMessage") or "; ".join(failed) or status
    return [
        Finding(
            "connectivity-failed",
            Severity.ERROR,
            environment,
            f"`{RUNBOOK}` ({execution_id}) ended {status}: {reason}",
            f"Read the failed steps: {link}",
        )
    ]
