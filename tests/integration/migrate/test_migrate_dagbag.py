"""The rewritten fixture DAGs import in a real Airflow 3 with the amazon provider (no Livy
provider installed) and every EmrAddStepsOperator carries the expected spark-submit step."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[2] / "fixtures" / "livy_dags"
PROBE = Path(__file__).with_name("migrate_dagbag_probe.py")
EXPECTED = json.loads((FIXTURES / "expected_steps.json").read_text())
CLUSTER_ID = "j-2AXXXXXXGAPLF"


def _taxiway(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.py"))}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Rewrite two copies of the fixtures with the real CLI, then load both with DagBag."""
    try:
        import airflow.providers.amazon  # noqa: F401
    except ImportError:
        pytest.fail("Airflow with the amazon provider is needed: run `uv sync --all-extras`.")
    root = tmp_path_factory.mktemp("migrate")
    by_name = root / "by_name"
    by_id = root / "by_id"
    shutil.copytree(FIXTURES / "rewritable", by_name)
    by_id.mkdir()
    shutil.copy(FIXTURES / "rewritable" / "livy_literals.py", by_id)

    first = _taxiway("migrate", "livy", ".", "--cluster-name", "analytics", "--write", cwd=by_name)
    assert first.returncode == 0, first.stdout + first.stderr
    second = _taxiway(
        "migrate", "livy", ".", "--cluster-id", CLUSTER_ID, "--deferrable", "--write", cwd=by_id
    )
    assert second.returncode == 0, second.stdout + second.stderr

    home = root / "airflow_home"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(by_name),
    }
    outs = [root / "by_name.json", root / "by_id.json"]
    probe = subprocess.run(
        [sys.executable, str(PROBE), str(by_name), str(outs[0]), str(by_id), str(outs[1])],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    return {
        "by_name": json.loads(outs[0].read_text()),
        "by_id": json.loads(outs[1].read_text()),
        "folder": by_name,
        "first_stdout": first.stdout,
    }


def test_rewritten_dags_import_without_the_livy_provider(migrated: dict[str, object]) -> None:
    for key in ("by_name", "by_id"):
        bag = migrated[key]
        assert isinstance(bag, dict)
        assert bag["import_errors"] == {}
        assert bag["livy_import_attempts"] == []
    tasks = migrated["by_name"]["tasks"]  # type: ignore[index]
    emr = sorted(t for t, info in tasks.items() if info["operator"] == "EmrAddStepsOperator")
    assert emr == sorted(k for k in EXPECTED if not k.startswith("_"))
    assert {info["operator"] for info in tasks.values()} == {"EmrAddStepsOperator", "EmptyOperator"}


@pytest.mark.parametrize("task", sorted(k for k in EXPECTED if not k.startswith("_")))
def test_each_step_is_the_expected_spark_submit(migrated: dict[str, object], task: str) -> None:
    want = EXPECTED[task]
    got = migrated["by_name"]["tasks"][task]  # type: ignore[index]
    assert got["steps"] == [
        {
            "Name": want["name"],
            "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {
                "Jar": "command-runner.jar",
                "Args": ["spark-submit", "--deploy-mode", "cluster", *want["args"]],
            },
        }
    ]
    assert got["job_flow_name"] == "analytics"
    assert got["job_flow_id"] is None
    assert got["cluster_states"] == ["WAITING", "RUNNING"]
    assert got["wait_for_completion"] is True
    assert got["deferrable"] is False
    assert got["waiter_delay"] == want["waiter_delay"]
    assert got["waiter_max_attempts"] == want["waiter_max_attempts"]
    # The wait budget is the default 24 h whatever the polling interval.
    assert got["waiter_delay"] * got["waiter_max_attempts"] == 24 * 60 * 60
    assert got["retries"] == want["retries"]
    assert got["upstream"] == want["upstream"]


def test_dependencies_around_the_rewritten_tasks_are_kept(migrated: dict[str, object]) -> None:
    tasks = migrated["by_name"]["tasks"]  # type: ignore[index]
    assert tasks["livy_literals.done"]["upstream"] == ["daily_rollup", "weekly_rollup"]
    assert tasks["livy_literals.start"]["upstream"] == []


def test_cluster_id_and_deferrable(migrated: dict[str, object]) -> None:
    tasks = migrated["by_id"]["tasks"]  # type: ignore[index]
    emr = {t: i for t, i in tasks.items() if i["operator"] == "EmrAddStepsOperator"}
    assert sorted(emr) == [
        "livy_literals.daily_rollup",
        "livy_literals.sessionize",
        "livy_literals.weekly_rollup",
    ]
    for task, info in emr.items():
        assert info["job_flow_id"] == CLUSTER_ID
        assert info["job_flow_name"] is None
        assert info["cluster_states"] == []
        assert info["deferrable"] is True
        assert info["steps"][0]["HadoopJarStep"]["Args"][3:] == EXPECTED[task]["args"]


def test_second_run_changes_nothing(migrated: dict[str, object]) -> None:
    folder = migrated["folder"]
    assert isinstance(folder, Path)
    before = _digest(folder)
    again = _taxiway("migrate", "livy", ".", "--cluster-name", "analytics", cwd=folder)
    assert again.returncode == 0, again.stderr
    assert "---" not in again.stdout and "+++" not in again.stdout
    rewritten = _taxiway(
        "migrate", "livy", ".", "--cluster-name", "analytics", "--write", cwd=folder
    )
    assert rewritten.returncode == 0
    assert _digest(folder) == before
