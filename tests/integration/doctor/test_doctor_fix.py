"""``doctor dags --diff/--fix [--unsafe-fixes]``: taxiway's import rewrites on a 2.x target,
ruff's AIR3 fixes on a 3.x one; the diff, what is left, the exit code, idempotence.

The CLI runs in this interpreter (``doctor_cli``) on copies of ``tests/fixtures/doctor_fix``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "doctor_fix"


def _copy(tmp_path: Path, case: str) -> Path:
    shutil.copytree(FIXTURES / case, tmp_path / case)
    return tmp_path / case / "dags"


def _changed(diff: str) -> tuple[list[str], list[str]]:
    body = [x for x in diff.splitlines() if not x.startswith(("---", "+++"))]
    return [x[1:] for x in body if x.startswith("-")], [x[1:] for x in body if x.startswith("+")]


def _codes(stdout: str) -> list[str]:
    return sorted(f["code"] for f in json.loads(stdout)["findings"])


def test_af2_rewrites_diff_then_fix_then_nothing(doctor_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dags = _copy(tmp_path, "af2")
    dag = dags / "legacy_etl.py"
    original = dag.read_text()
    args = ("doctor", "dags", str(dags), "--mwaa", "2.10.3")

    preview = doctor_cli(*args, "--diff")
    assert dag.read_text() == original  # --diff writes nothing
    removed, added = _changed(preview.stdout.partition("\ndags/")[0])
    assert removed == [
        "from airflow.operators.bash_operator import BashOperator",
        "from airflow.operators.python_operator import PythonOperator, BranchPythonOperator as Branch",
        "from airflow.sensors.external_task_sensor import (",
        "    ExternalTaskSensor,",
        ")",
        "    from airflow.hooks.postgres_hook import PostgresHook",
    ]
    assert added == [
        "from airflow.operators.bash import BashOperator",
        "from airflow.operators.python import PythonOperator, BranchPythonOperator as Branch",
        "from airflow.sensors.external_task import ExternalTaskSensor",
        "    from airflow.providers.postgres.hooks.postgres import PostgresHook",
    ]
    assert "--fix would change 1 file(s)" in preview.stderr
    # the findings are today's: 4 deprecated imports, the ssh shim whose provider is missing
    assert "deprecated-import 4, import-unavailable 1" in preview.stdout
    assert preview.returncode == 1

    fixed = doctor_cli(*args, "--fix", "--format", "json")
    assert "fixed 1 file(s)" in fixed.stderr
    assert "+from airflow.operators.bash import BashOperator" in fixed.stderr  # diff off stdout
    # what is left: the SSH shim is not rewritten (its target does not import on 2.10.3)
    assert _codes(fixed.stdout) == ["import-unavailable"]
    assert fixed.returncode == 1
    text = dag.read_text()
    assert "from airflow.contrib.hooks.ssh_hook import SSHHook" in text
    compile(text, str(dag), "exec")

    again = doctor_cli(*args, "--fix")
    assert "fixed 0 file(s)" in again.stderr
    assert not again.stdout.startswith("---")
    assert dag.read_text() == text


def test_af3_ruff_safe_then_unsafe_fixes(doctor_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dags = _copy(tmp_path, "af3")
    dag = dags / "moved_etl.py"
    args = ("doctor", "dags", str(dags), "--mwaa", "3.0.6", "--format", "json")

    safe = doctor_cli(*args, "--fix")
    removed, added = _changed(safe.stderr)
    assert [x for x in removed if x] == [
        'with DAG("moved_etl", start_date=datetime(2024, 1, 1), schedule_interval="@daily") as dag:',
        'with DAG("other_etl", start_date=days_ago(1), schedule_interval=None) as other:',
    ]
    assert [x for x in added if x] == [
        'with DAG("moved_etl", start_date=datetime(2024, 1, 1), schedule="@daily") as dag:',
        'with DAG("other_etl", start_date=days_ago(1), schedule=None) as other:',
    ]
    assert "4 more fix(es) available with --unsafe-fixes" in safe.stderr
    # left: days_ago (no fix), DAG and BashOperator moves (unsafe fixes only)
    assert _codes(safe.stdout) == ["airflow-name-missing", "airflow3-moved", "airflow3-moved"]
    assert safe.returncode == 1

    assert "fixed 0 file(s)" in doctor_cli(*args, "--fix").stderr  # idempotent

    unsafe = doctor_cli(*args, "--fix", "--unsafe-fixes")
    _, added = _changed(unsafe.stderr)
    assert sorted(x for x in added if x) == [
        "from airflow.providers.standard.operators.bash import BashOperator",
        "from airflow.sdk import DAG",
    ]
    assert _codes(unsafe.stdout) == ["airflow-name-missing"]
    assert "fixed 0 file(s)" in doctor_cli(*args, "--fix", "--unsafe-fixes").stderr
    assert "schedule_interval" not in dag.read_text()


def test_unsafe_fixes_alone_is_a_usage_error(doctor_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dags = _copy(tmp_path, "af3")
    ran = doctor_cli("doctor", "dags", str(dags), "--mwaa", "3.0.6", "--unsafe-fixes")
    assert ran.returncode == 2
    assert "`--unsafe-fixes` goes with `--fix` or `--diff`" in ran.stderr


def test_requirements_fix_holds_major_bumps_and_is_idempotent(doctor_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = FIXTURES / "reqs" / "requirements.txt"
    one, two, three, four = (tmp_path / f"out{n}.txt" for n in range(1, 5))
    args = ("doctor", "requirements", "--mwaa", "3.0.6", "--format", "json")

    safe = doctor_cli(*args[:2], str(src), *args[2:], "--fix", str(one))
    # left: the three pins a fix would move a major version (amazon 8->9, pandas 1->2,
    # urllib3 1->2); boto3 and requests are removed in favour of the built-ins
    left = json.loads(safe.stdout)["findings"]
    assert sorted((f["code"], f["line"]) for f in left if f["severity"] == "error") == [
        ("pin-conflict", 4),
        ("pin-conflict", 7),
        ("pin-conflict", 9),
    ]
    assert safe.returncode == 1
    text = one.read_text()
    assert "pandas==1.5.3  # taxiway: MWAA 3.0.6 has pandas==2.1.4, another major version" in text
    assert "# boto3==1.20.0  # old sdk  # taxiway: removed" in text  # the comment is kept
    assert "apache-airflow[ssh]  # taxiway: built in; kept for its extras" in text

    doctor_cli(*args[:2], str(one), *args[2:], "--fix", str(two))
    assert two.read_text() == text  # a second --fix changes nothing

    unsafe = doctor_cli(*args[:2], str(two), *args[2:], "--fix", str(three), "--unsafe-fixes")
    assert unsafe.returncode == 0
    bumped = three.read_text()
    assert "apache-airflow-providers-amazon[s3fs]==9.12.0  # taxiway: was" in bumped  # extras kept
    assert "pandas==2.1.4  # taxiway: was pandas==1.5.3" in bumped
    assert 'requests==2.20.0 ; python_version >= "3.8"' in bumped  # marker kept in the comment
    assert bumped.count("minimised by `taxiway doctor requirements --fix`") == 1
    doctor_cli(*args[:2], str(three), *args[2:], "--fix", str(four), "--unsafe-fixes")
    assert four.read_text() == bumped


def test_project_fix_fixes_dags_and_requirements_once(doctor_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "af3" / "dags", project / "dags")
    shutil.copy(FIXTURES / "reqs" / "requirements.txt", project / "requirements.txt")
    req = project / "requirements.txt"
    args = ("doctor", "project", str(project), "--mwaa", "3.0.6", "--format", "json")

    first = doctor_cli(*args, "--fix", str(req))
    assert "fixed 1 file(s)" in first.stderr
    assert json.loads(first.stdout)["by_code"] == {
        "pin-conflict": 3,  # the three major-version pins, held back
        "airflow3-moved": 2,  # DAG and BashOperator: unsafe fixes only
        "airflow-name-missing": 1,  # days_ago: no fix
        "builtin-duplicate": 1,
        "layout": 1,
    }
    assert first.returncode == 1
    dag, fixed = (project / "dags" / "moved_etl.py").read_text(), req.read_text()
    second = doctor_cli(*args, "--fix", str(req))
    assert "fixed 0 file(s)" in second.stderr
    assert (project / "dags" / "moved_etl.py").read_text() == dag
    assert req.read_text() == fixed
