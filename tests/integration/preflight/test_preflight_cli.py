"""`taxiway preflight` as a user runs it, and MWAA present (botocore Stubber; moto has no MWAA)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from preflight_env import ACCOUNT, REGION, bucket, build, clients

from taxiway import config
from taxiway.preflight.report import markdown
from taxiway.preflight.run import preflight

pytestmark = pytest.mark.integration


def test_empty_account_fails_fast_without_asking(
    aws: str, settings_file: Path, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", "preflight", "--env", "sandbox",
         "--config", str(settings_file), "--project", str(tmp_path), "--format", "json"],
        stdin=subprocess.DEVNULL,  # a prompt would fail or hang here; the timeout catches a hang
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AWS_ENDPOINT_URL": aws},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    errors = {f["code"] for f in doc["findings"] if f["severity"] == "error"}
    assert {"bucket-missing", "emr-cluster-not-found", "glue-database-missing"} <= errors
    assert {"vpc-not-found", "role-not-found", "kms-key-not-found"} <= errors
    missing = [f["subject"] for f in doc["findings"] if f["code"] == "bucket-missing"]
    assert sorted(missing) == sorted(
        f"taxiway-sandbox-{r}-{ACCOUNT}"
        for r in ("landing", "curated", "reports", "artifacts", "mwaa", "logs")
    )
    assert doc["account_id"] == ACCOUNT and doc["iam_evaluation"] == "local"
    # moto cannot answer MWAA at all: reported as unreadable, not as absent.
    assert any(
        f["code"] == "preflight-cannot-read" and "mwaa:get_environment" in f["message"]
        for f in doc["findings"]
    )
    assert doc["summary"]["error"] == len([f for f in doc["findings"] if f["severity"] == "error"])


def test_unknown_environment_is_a_usage_error(aws: str, settings_file: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", "preflight", "--env", "staging",
         "--config", str(settings_file)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "environments.staging: no such environment" in proc.stderr


def _environment(**override: Any) -> dict[str, Any]:
    ec2 = __import__("boto3").client("ec2", region_name=REGION)
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:Tier", "Values": ["private"]}])["Subnets"]
    sg = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["taxiway-sandbox-mwaa"]}]
    )
    env: dict[str, Any] = {
        "Name": "taxiway-sandbox",
        "Status": "AVAILABLE",
        "AirflowVersion": "3.3.1",
        "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/taxiway-sandbox-mwaa-execution",
        "SourceBucketArn": f"arn:aws:s3:::{bucket('mwaa')}",
        "DagS3Path": "dags/",
        "NetworkConfiguration": {
            "SubnetIds": [s["SubnetId"] for s in subnets],
            "SecurityGroupIds": [sg["SecurityGroups"][0]["GroupId"]],
        },
        "LoggingConfiguration": {
            k: {"Enabled": True, "LogLevel": "INFO"}
            for k in (
                "DagProcessingLogs",
                "SchedulerLogs",
                "TaskLogs",
                "WebserverLogs",
                "WorkerLogs",
            )
        },
    }
    env.update(override)
    return env


def test_mwaa_present_and_matching_adds_no_finding(aws: str, settings_file: Path) -> None:
    build()
    logs = __import__("boto3").client("logs", region_name=REGION)
    for kind in ("DAGProcessing", "Scheduler", "Task", "WebServer", "Worker"):
        logs.create_log_group(logGroupName=f"airflow-taxiway-sandbox-{kind}")
    report = preflight(config.load(settings_file), "sandbox", None, clients(_environment()))
    assert [f for f in report.findings if f.code.startswith("mwaa-")] == []
    assert report.extra["mwaa_environment"] == "present"
    assert not [f for f in report.findings if f.severity.value != "info"]


def test_mwaa_failed_update_and_drift_are_reported(aws: str, settings_file: Path) -> None:
    build()
    env = _environment(
        Status="UPDATE_FAILED",
        AirflowVersion="2.10.3",
        SourceBucketArn="arn:aws:s3:::someone-elses-bucket",
        LastUpdate={
            "Status": "FAILED",
            "Error": {"ErrorCode": "x", "ErrorMessage": "requirements.txt failed to install"},
        },
    )
    env["LoggingConfiguration"]["TaskLogs"] = {"Enabled": False, "LogLevel": "INFO"}
    report = preflight(config.load(settings_file), "sandbox", None, clients(env))
    mwaa = {f.code: f for f in report.findings if f.code.startswith("mwaa-")}
    assert set(mwaa) == {
        "mwaa-not-available",
        "mwaa-version-mismatch",
        "mwaa-bucket-mismatch",
        "mwaa-logging-disabled",
        "mwaa-log-groups-missing",
    }
    # Task logging is off, so its group is not expected; the four enabled ones are.
    lost = mwaa["mwaa-log-groups-missing"].message
    assert lost.count("`airflow-taxiway-sandbox-") == 4 and "-Task`" not in lost
    assert "requirements.txt failed to install" in mwaa["mwaa-not-available"].message
    assert mwaa["mwaa-not-available"].severity.value == "error"
    assert "Task" in mwaa["mwaa-logging-disabled"].message
    text = markdown(report, "preflight sandbox")
    assert "| MWAA | " in text and "`mwaa-not-available`" in text
    assert "| Network | passed |" in text and "| S3 | passed |" in text
    assert "| AWS API reads | passed |" in text
    assert "IAM permissions evaluated by: **local**" in text
