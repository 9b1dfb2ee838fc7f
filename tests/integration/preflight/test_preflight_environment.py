"""`taxiway preflight --environment NAME [PROJECT]` on an existing environment, as a user runs it.

One realistic environment on `taxiway twin` (environment_build.realistic: the account
preflight_env builds, then CreateEnvironment) serves every test here; none of them changes
it. The commands get only the environment's name: everything else comes from GetEnvironment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from environment_build import NAME, Environment, realistic
from typer.testing import CliRunner

from taxiway.cli.app import app

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PLAIN = FIXTURES / "deploy_projects" / "plain"  # a user's project, MWAA's bucket layout
LOCAL_RUNNER = FIXTURES / "deploy_projects" / "local_runner"
FOR_3_3_1 = FIXTURES / "airflow_projects" / "clean"  # written for MWAA 3.3.1


@pytest.fixture(scope="module")
def existing(twin: Any) -> Iterator[Environment]:
    """The realistic environment, AVAILABLE, for the whole module (the tests only read)."""
    import requests

    requests.post(f"{twin.endpoint}/moto-api/reset", timeout=10).raise_for_status()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "AWS_ENDPOINT_URL": twin.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }.items():
            mp.setenv(key, value)
        mp.delenv("AWS_PROFILE", raising=False)
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        yield realistic()


def taxiway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it (stdin closed: a prompt would fail, not hang)."""
    return subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", "preflight", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env or dict(os.environ),
    )


def in_process(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["preflight", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_a_realistic_environment_passes(existing: Environment) -> None:
    proc = taxiway(str(PLAIN), "--environment", NAME, "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert errors == []
    warnings = [(f["code"], f["subject"]) for f in doc["findings"] if f["severity"] == "warning"]
    # moto cannot keep the TLS-only policy on a bucket the twin reads (environment_build).
    assert warnings == [("bucket-no-tls-policy", existing.bucket)]
    assert doc["environment"] == NAME and doc["status"] == "AVAILABLE"
    assert doc["airflow_version"] == "2.11.2" and doc["iam_evaluation"] == "local"
    assert doc["subnets"] == existing.built.private_subnets
    assert doc["security_groups"] == [existing.built.sg]
    # The doctor checked the user's project for the environment's own Airflow version.
    assert doc["doctor"] == f"{PLAIN} for MWAA 2.11.2"
    assert {"layout", "not-builtin"} <= {f["code"] for f in doc["findings"]}


def test_the_doctor_follows_the_environment_and_mwaa_overrides_it(existing: Environment) -> None:
    code, out = in_process(str(FOR_3_3_1), "--environment", NAME, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["doctor"].endswith("for MWAA 2.11.2")
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    # Every error is the doctor's (a file of the project), none is the environment's.
    assert errors and all(f["file"] for f in errors)
    code, out = in_process(
        str(FOR_3_3_1), "--environment", NAME, "--mwaa", "3.3.1", "--format", "json"
    )
    doc = json.loads(out)
    assert code == 0 and doc["doctor"].endswith("for MWAA 3.3.1")
    code, out = in_process(str(FOR_3_3_1), "--environment", NAME, "--no-doctor", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["doctor"] == "skipped (--no-doctor)"
    assert not [f for f in doc["findings"] if f["file"]]


def test_markdown_report_of_an_existing_environment(existing: Environment) -> None:
    code, out = in_process("--environment", NAME, "--no-doctor", "--format", "markdown")
    assert code == 0
    assert f"- environment: `{NAME}` in `eu-west-1`" in out
    assert "| Network | passed |" in out and "| IAM and KMS | passed |" in out
    assert "| MWAA | passed |" in out and "| S3 | `bucket-no-tls-policy` x1 |" in out
    # Not the reference pipeline: no EMR, Athena or Glue area.
    assert "EMR, Athena, Glue" not in out


def test_no_such_environment_names_those_found(existing: Environment) -> None:
    proc = taxiway("--environment", "orders-prod", "--no-doctor")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "No MWAA environment `orders-prod` in eu-west-1" in lines[0]
    assert f"`{NAME}`" in lines[0] and "Traceback" not in proc.stderr


def test_the_project_config_names_environment_and_region(
    existing: Environment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(LOCAL_RUNNER, project)
    # `mwaa` in the file is the default target; with an environment, its version wins.
    (project / "taxiway.toml").write_text(
        f'environment = "{NAME}"\nregion = "eu-west-1"\nmwaa = "3.3.1"\n', encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k != "AWS_DEFAULT_REGION"}
    proc = taxiway(str(project), "--format", "json", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["environment"] == NAME and doc["region"] == "eu-west-1"
    assert doc["doctor"] == f"{project} for MWAA 2.11.2"
    # The aws-mwaa-local-runner layout: the doctor found its requirements under requirements/.
    assert any(f["file"] == "requirements/requirements.txt" for f in doc["findings"])
