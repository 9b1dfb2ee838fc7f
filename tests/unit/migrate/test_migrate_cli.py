"""`taxiway migrate livy` end to end through the real CLI (typer), on copies of the fixtures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taxiway.cli.app import app

FIXTURES = Path(__file__).parents[2] / "fixtures" / "livy_dags"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURES / "rewritable", tmp_path / "dags")
    shutil.copytree(FIXTURES / "no_livy", tmp_path / "dags" / "plain")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["migrate", "livy", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_default_prints_a_diff_that_git_applies_to_the_same_result(project: Path) -> None:
    original = _snapshot(project)
    code, out = run("dags", "--cluster-name", "analytics")
    assert code == 0
    assert _snapshot(project) == original, "without --write no file may change"
    _, as_json = run("dags", "--cluster-name", "analytics", "--format", "json")
    # The text output starts with the diff, byte for byte; the summary table follows it.
    diff = json.loads(as_json)["diff"]
    assert out.startswith(diff)
    assert diff.startswith("--- a/dags/")
    assert diff.count("+++ b/dags/") == 3
    assert "plain" not in diff

    patched = project / "patched"
    shutil.copytree(project / "dags", patched / "dags")
    applied = subprocess.run(
        ["git", "apply", "--unsafe-paths", "-"], input=diff, text=True, cwd=patched,
        capture_output=True,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr

    code, _ = run("dags", "--cluster-name", "analytics", "--write")
    assert code == 0
    assert _snapshot(patched / "dags") == _snapshot(project / "dags")
    assert _snapshot(project / "dags")["plain/plain_dag.py"] == original["dags/plain/plain_dag.py"]


def test_summary_table_lists_every_task(project: Path) -> None:
    code, out = run("dags", "--cluster-name", "analytics", "--write")
    assert code == 0
    assert "7 Livy task(s) in 3 file(s) rewritten" in out
    for task in ("sessionize", "daily_rollup", "weekly_rollup", "attribute", "report", "ingest"):
        assert task in out
    assert "0 error(s), 4 warning(s), 1 info" in out


def test_second_run_is_a_no_op(project: Path) -> None:
    run("dags", "--cluster-name", "analytics", "--write")
    after_first = _snapshot(project)
    code, out = run("dags", "--cluster-name", "analytics", "--write")
    assert code == 0
    assert _snapshot(project) == after_first
    assert "---" not in out


def test_json_output(project: Path) -> None:
    code, out = run("dags", "--cluster-id", "j-1", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["files_scanned"] == 4
    assert sorted(doc["files_changed"]) == [
        "dags/livy_aliases.py",
        "dags/livy_literals.py",
        "dags/livy_templates.py",
    ]
    assert len(doc["tasks"]) == 7
    assert doc["written"] is False
    assert doc["diff"].count("+++ b/") == 3
    assert doc["summary"] == {"error": 0, "warning": 4, "info": 1}
    dropped = sorted(f["subject"] for f in doc["findings"] if f["code"] == "livy-arg-dropped")
    assert dropped == [
        "task ingest: extra_headers",
        "task ingest: livy_conn_id",
        "task ingest: proxy_user",
        "task publish: extra_options",
    ]
    assert all(f["file"] == "dags/livy_aliases.py" and f["line"] for f in doc["findings"])


def test_manual_work_exits_1_in_every_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(FIXTURES / "manual" / "livy_sensor_hook.py", tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out = run("livy_sensor_hook.py", "--cluster-name", "a", "--format", "markdown")
    assert code == 1
    for finding in ("livy-hook", "livy-sensor", "livy-unsupported-call"):
        assert f"`{finding}`" in out
    code, out = run("livy_sensor_hook.py", "--cluster-name", "a", "--format", "junit")
    assert code == 1
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None and suite.get("failures") == "3"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", "migrate", "livy", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["dags"], "`--cluster-name`"),
        (["dags", "--cluster-name", "a", "--cluster-id", "j-1"], "exactly one"),
        (["missing_dir", "--cluster-name", "a"], "`missing_dir` does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_line(project: Path, args: list[str], needle: str) -> None:
    result = _cli(*args, cwd=project)
    assert result.returncode == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_cli_start_up_does_not_load_the_codemod() -> None:
    probe = (
        "import sys, taxiway.cli.app; "
        "print(sorted(m for m in sys.modules if m.split('.')[:2] == ['taxiway', 'migrate']))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
