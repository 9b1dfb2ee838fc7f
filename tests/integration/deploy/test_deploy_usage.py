"""What a deploy refuses, in one line and exit code 2, before it changes anything.

Run as a user runs it (`python -m taxiway.cli.app`, a fresh process): the error line and
the exit code are the CLI's own, not the test helper's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests
from deploy_helpers import copy_project, new_environment, versions
from twin_helpers import client

BUCKET = "orders-mwaa-123456789012"


def _taxiway(*args: str, cwd: Path, **env: str | None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    for key, value in env.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    return line


def test_no_region_no_credentials_no_environment(twin_aws: object, tmp_path: Path) -> None:
    project = copy_project("plain", tmp_path)
    nowhere = str(tmp_path / "no-such-aws-config")
    line = _error(
        _taxiway(
            "deploy",
            "--environment",
            "orders",
            cwd=project,
            AWS_DEFAULT_REGION=None,
            AWS_REGION=None,
            AWS_CONFIG_FILE=nowhere,
        )
    )
    assert line.startswith("error: No AWS region: pass --region")
    line = _error(
        _taxiway(
            "deploy",
            "--environment",
            "orders",
            cwd=project,
            AWS_ACCESS_KEY_ID=None,
            AWS_SECRET_ACCESS_KEY=None,
            AWS_SESSION_TOKEN=None,
            AWS_CONFIG_FILE=nowhere,
            AWS_SHARED_CREDENTIALS_FILE=nowhere,
            AWS_EC2_METADATA_DISABLED="true",
        )
    )
    assert line.startswith("error: No AWS credentials for `airflow:GetEnvironment`")
    line = _error(_taxiway("deploy", cwd=project))
    assert line.startswith("error: No MWAA environment: pass `--environment NAME`")
    line = _error(_taxiway("deploy", "--environment", "orders", cwd=project))
    assert line == (
        "error: No MWAA environment `orders` in eu-west-1; it has none (check --region and "
        "--profile)."
    )
    line = _error(_taxiway("deploy", "--env", "sandbox", "--environment", "orders", cwd=project))
    assert "`--environment` cannot be used with it" in line


def _restricted_keys(bucket: str) -> dict[str, str]:
    """Access keys of an IAM user who may look at the bucket but not read its settings."""
    iam = client("iam")
    iam.create_user(UserName="deployer")
    # moto checks a HEAD of a bucket as s3:HeadBucket (AWS as s3:ListBucket): allow both
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:HeadBucket", "s3:ListBucket"],
                "Resource": f"arn:aws:s3:::{bucket}",
            }
        ],
    }
    iam.put_user_policy(UserName="deployer", PolicyName="look", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


def test_project_config_access_denied_and_a_bucket_without_versioning(
    twin_aws: object, tmp_path: Path
) -> None:
    project = copy_project("plain", tmp_path)
    new_environment("orders", BUCKET)
    # taxiway.toml names the environment and the region: no flag needed
    (project / "taxiway.toml").write_text('environment = "orders"\nregion = "eu-west-1"\n')
    proc = _taxiway("deploy", "--dry-run", cwd=project, AWS_DEFAULT_REGION=None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the bucket in the title, each key whole on its row (a pipe is not cut at 80 columns)
    assert f"orders -> s3://{BUCKET}/ (dry run)" in proc.stdout
    assert any(
        [cell.strip() for cell in line.split("│")[1:3]] == ["upload", "dags/orders_daily.py"]
        for line in proc.stdout.splitlines()
    ), proc.stdout
    assert "environment update: requirements: new `requirements.txt`" in proc.stderr

    # IAM enforced (moto's switch): the action the credentials lack, on what
    keys = _restricted_keys(BUCKET)
    auth = f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/reset-auth"
    requests.post(auth, data=b"0", timeout=10).raise_for_status()
    try:
        proc = _taxiway("deploy", cwd=project, AWS_SESSION_TOKEN=None, **keys)
    finally:
        requests.post(auth, data=b"inf", timeout=10).raise_for_status()
    assert _error(proc) == (
        f"error: Access denied: `s3:GetBucketVersioning` on `arn:aws:s3:::{BUCKET}`; grant the "
        "credentials' identity `s3:GetBucketVersioning` on it (or pass the --profile that has it)."
    )

    client("s3").put_bucket_versioning(
        Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"}
    )
    before = versions(BUCKET)
    line = _error(_taxiway("deploy", cwd=project))
    assert line == (
        f"error: Bucket `{BUCKET}` has versioning suspended; MWAA installs requirements, "
        "plugins and startup scripts by object version: `aws s3api put-bucket-versioning "
        f"--bucket {BUCKET} --versioning-configuration Status=Enabled`, then deploy again. "
        "Nothing was uploaded."
    )
    assert versions(BUCKET) == before
