"""`taxiway init`, then `taxiway local test` on the new project: real Airflow, real sandbox.

For one Airflow 2 and one Airflow 3 MWAA version (the runner tests' targets), the scaffold
installs as MWAA installs it, its startup script runs in the sandbox and its example DAG
imports in Airflow's DagBag with no error and no warning. The environments are built once
per session into a cache shared with the upgrade-check tests of this folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

TAXIWAY = Path(sys.executable).parent / "taxiway"
TARGETS = ["2.11.2", "3.3.1"]  # the runner tests' targets (tests/integration/runner)


def cli_cache(factory: pytest.TempPathFactory) -> Path:
    """One runner cache per session for this folder's tests (same path from every module)."""
    path = factory.getbasetemp() / "cli-local-cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def local_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cli_cache(tmp_path_factory)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TAXIWAY), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


@pytest.mark.parametrize("version", TARGETS)
def test_the_scaffold_passes_the_doctor_and_local_test(
    version: str, tmp_path: Path, local_cache: Path
) -> None:
    made = run(["init", "orders", "--mwaa", version], tmp_path)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "orders"

    doctor = run(["doctor", "project", ".", "--format", "json"], project)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    found = json.loads(doctor.stdout)
    assert found["mwaa_version"] == version  # from the scaffold's taxiway.toml
    assert (found["summary"]["error"], found["summary"]["warning"]) == (0, 0), doctor.stdout

    # what the scaffold's CI workflow runs: `taxiway local test .`, in the project; `--slow`
    # raised so a first (bytecode-less) parse on a busy machine is not a slow-parse warning
    args = ["local", "test", ".", "--format", "json", "--slow", "30", "--cache-dir"]
    local = run([*args, str(local_cache)], project)
    assert local.returncode == 0, local.stdout + local.stderr
    report = json.loads(local.stdout)
    assert report["mwaa_version"] == version
    assert report["summary"]["error"] == 0, local.stdout
    # no warning about the project's files (one about this machine, such as a built-in
    # package that cannot build here, is the environment's, not the scaffold's)
    assert [f for f in report["findings"] if f["severity"] == "warning" and f["file"]] == []
    assert [(f["file"], f["dags"], f["tasks"]) for f in report["files"]] == [
        ("orders_example.py", 1, 2)
    ]
    assert report["dag_ids"] == ["orders_example"]
    assert report["startup"]["exit_code"] == 0 and report["startup"]["sandboxed"] is True
    codes = {f["code"] for f in report["findings"]}
    assert {"startup-ok", "dags-imported"} <= codes
    assert not report["environment"]["partial"]
