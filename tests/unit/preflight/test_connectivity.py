"""``--connectivity`` against botocore's Stubber (moto has no SSM Automation)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from taxiway.preflight.connectivity import RUNBOOK, run_connectivity

EXEC = "0f4b5c6d-1111-2222-3333-444455556666"
START = {"DocumentName": RUNBOOK, "Parameters": {"EnvironmentName": ["taxiway-sandbox"]}}


def stubbed(*executions: dict[str, Any]) -> tuple[Any, Stubber]:
    ssm = boto3.client(
        "ssm", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(ssm)
    stubber.add_response("start_automation_execution", {"AutomationExecutionId": EXEC}, START)
    for execution in executions:
        stubber.add_response(
            "get_automation_execution",
            {"AutomationExecution": execution},
            {"AutomationExecutionId": EXEC},
        )
    stubber.activate()
    return ssm, stubber


def test_waits_and_reports_success() -> None:
    sleeps: list[float] = []
    ssm, stubber = stubbed(
        {"AutomationExecutionStatus": "InProgress"}, {"AutomationExecutionStatus": "Success"}
    )
    [f] = run_connectivity(ssm, "taxiway-sandbox", "eu-west-1", True, poll_s=5, sleep=sleeps.append)
    assert (f.code, f.severity.value) == ("connectivity-checked", "info")
    assert EXEC in f.hint and "region=eu-west-1" in f.hint
    assert sleeps == [5]
    stubber.assert_no_pending_responses()


def test_failed_steps_are_an_error() -> None:
    ssm, _ = stubbed(
        {
            "AutomationExecutionStatus": "Failed",
            "StepExecutions": [
                {"StepName": "GetMWAAEnvironmentDetails", "StepStatus": "Success"},
                {
                    "StepName": "CheckEndpointsConnectivity",
                    "StepStatus": "Failed",
                    "FailureMessage": "sqs unreachable",
                },
            ],
        }
    )
    [f] = run_connectivity(ssm, "taxiway-sandbox", "eu-west-1", True, sleep=lambda _: None)
    assert f.code == "connectivity-failed" and f.severity.value == "error"
    assert "CheckEndpointsConnectivity: sqs unreachable" in f.message


def test_timeout_and_absent_environment() -> None:
    ssm, _ = stubbed(*[{"AutomationExecutionStatus": "InProgress"}] * 3)
    [f] = run_connectivity(
        ssm, "taxiway-sandbox", "eu-west-1", True, timeout_s=20, poll_s=10, sleep=lambda _: None
    )
    assert f.code == "connectivity-timeout"
    # No environment: nothing billed is started (a start call would fail the stubber).
    idle = boto3.client(
        "ssm", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(idle):
        [g] = run_connectivity(idle, "taxiway-sandbox", "eu-west-1", False)
    assert g.code == "connectivity-skipped"
