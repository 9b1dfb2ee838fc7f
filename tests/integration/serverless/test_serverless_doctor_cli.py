"""`taxiway doctor project --target mwaa-serverless` as a user runs it: exit codes, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "serverless_projects"


def _doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


def test_serverless_target_json_and_exit_codes() -> None:
    project = str(FIXTURES / "findings")
    proc = _doctor("project", project, "--target", "mwaa-serverless", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["target"], doc["mwaa_version"]) == ("mwaa-serverless", "3.0.6")
    by_code = doc["by_code"]
    assert by_code["serverless-ignored-parameter"] == 5
    assert by_code["serverless-unsupported-operator"] == 2
    assert by_code["serverless-schedule"] == 3
    # the same project against a provisioned environment has none of them
    proc = _doctor("project", project, "--mwaa", "3.0.6", "--format", "json")
    assert not [
        f for f in json.loads(proc.stdout)["findings"] if f["code"].startswith("serverless")
    ]
    # one-line usage errors, exit 2
    proc = _doctor("project", project, "--target", "mwaa-serverless", "--mwaa", "3.0.6")
    assert proc.returncode == 2 and "Serverless has its own" in proc.stderr
    proc = _doctor("dags", str(FIXTURES / "convertible" / "dags"), "--target", "nope")
    assert proc.returncode == 2 and "Unknown target `nope`" in proc.stderr
