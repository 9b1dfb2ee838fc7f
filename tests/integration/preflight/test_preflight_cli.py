"""`taxiway preflight --env` as a user runs it, and the planned environment once MWAA runs it (on the twin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from environment_build import DAG, LOG_GROUPS, mwaa, realistic, wait_settled
from preflight_env import ACCOUNT, bucket, build, client, clients, write_settings

from taxiway import config
from taxiway.platform.preflight import preflight
from taxiway.preflight.report import markdown

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
    assert {"bucket-missing", "glue-database-missing"} <= errors
    assert "emr-cluster-not-found" not in errors  # the DAG creates it (information)
    assert {"vpc-not-found", "role-not-found", "kms-key-not-found"} <= errors
    missing = [f["subject"] for f in doc["findings"] if f["code"] == "bucket-missing"]
    assert sorted(missing) == sorted(
        f"taxiway-sandbox-{r}-{ACCOUNT}"
        for r in ("landing", "curated", "reports", "artifacts", "mwaa", "logs")
    )
    assert doc["account_id"] == ACCOUNT and doc["iam_evaluation"] == "local"
    # The twin answers MWAA: no environment yet is information, and nothing was unreadable.
    assert doc["mwaa_environment"] == "absent"
    assert "preflight-cannot-read" not in {f["code"] for f in doc["findings"]}
    assert doc["summary"]["error"] == len([f for f in doc["findings"] if f["severity"] == "error"])


def test_unknown_environment_is_a_usage_error(aws: str, settings_file: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", "preflight", "--env", "staging",
         "--config", str(settings_file)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "environments.staging: no such environment" in proc.stderr


def test_mwaa_present_and_matching_adds_no_finding(aws: str, tmp_path: Path) -> None:
    realistic()  # the environment Terraform would create, on the twin, AVAILABLE
    report = preflight(config.load(write_settings(tmp_path, "2.11.2")), "sandbox", None, clients())
    assert [f for f in report.findings if f.code.startswith("mwaa-")] == []
    assert report.extra["mwaa_environment"] == "present"
    # moto reads the TLS-only Deny without its condition, so on the twin the environment's
    # bucket cannot carry it (environment_build): the one finding left.
    problems = [(f.code, f.subject) for f in report.findings if f.severity.value != "info"]
    assert problems == [("bucket-no-tls-policy", bucket("mwaa"))]


def test_mwaa_failed_and_drifted_is_reported(aws: str, settings_file: Path) -> None:
    built = build()
    s3 = client("s3")
    other = "someone-elses-bucket"
    s3.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=other, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=other, Key="dags/orders.py", Body=DAG)
    s3.put_object(
        Bucket=other, Key="startup.sh", Body=b"#!/bin/bash\necho 'no such tool' >&2\nexit 3\n"
    )
    logging = {
        f"{kind}Logs": {"Enabled": kind != "Task", "LogLevel": "INFO"}
        for kind in ("DagProcessing", "Scheduler", "Task", "Webserver", "Worker")
    }
    mwaa().create_environment(
        Name="taxiway-sandbox",
        AirflowVersion="2.11.2",  # taxiway.yaml says 3.3.1
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/taxiway-sandbox-mwaa-execution",
        SourceBucketArn=f"arn:aws:s3:::{other}",
        DagS3Path="dags",
        StartupScriptS3Path="startup.sh",
        NetworkConfiguration={"SubnetIds": built.private_subnets, "SecurityGroupIds": [built.sg]},
        LoggingConfiguration=logging,
    )
    # The twin runs the startup script as MWAA does; it fails, and so does the creation.
    assert wait_settled("taxiway-sandbox")["Status"] == "CREATE_FAILED"
    report = preflight(config.load(settings_file), "sandbox", None, clients())
    found = {f.code: f for f in report.findings if f.code.startswith("mwaa-")}
    assert set(found) == {
        "mwaa-not-available",
        "mwaa-version-mismatch",
        "mwaa-bucket-mismatch",
        "mwaa-logging-disabled",
        "mwaa-log-groups-missing",
    }
    # Task logging is off, so its group is not expected; the four enabled ones are.
    lost = found["mwaa-log-groups-missing"].message
    assert lost.count("`airflow-taxiway-sandbox-") == len(LOG_GROUPS) - 1 and "-Task`" not in lost
    assert "startup.sh" in found["mwaa-not-available"].message
    assert "exited with status 3" in found["mwaa-not-available"].message
    assert found["mwaa-not-available"].severity.value == "error"
    assert "Task" in found["mwaa-logging-disabled"].message
    text = markdown(report, "preflight sandbox")
    assert "| MWAA | " in text and "`mwaa-not-available`" in text
    assert "| Network | passed |" in text and "| S3 | passed |" in text
    assert "| AWS API reads | passed |" in text
    assert "IAM permissions evaluated by: **local**" in text
