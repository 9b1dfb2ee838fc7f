"""Airflow 3 checks through the real ruff binary (AIR3 rules)."""

from __future__ import annotations

import json
from pathlib import Path

from taxiway.doctor import check_project
from taxiway.doctor.airflow3 import RULES, run_ruff_air3

REPO = Path(__file__).resolve().parents[3]


def test_project_from_2_10_3_against_3_3_1(projects: Path) -> None:
    findings = check_project(projects / "mwaa_2_10_3", "3.3.1")
    dag_findings = {
        (f.code, f.severity.value, f.subject, f.line) for f in findings if f.file == "dags/etl.py"
    }
    assert dag_findings == {
        # the import of the removed name fails: blamed there, the use on line 15 folded in
        ("airflow-name-missing", "error", "airflow.utils.dates", 7),
        ("airflow3-removed", "error", "schedule_interval", 15),
        ("airflow3-removed", "error", "provide_context", 18),
        ("airflow3-moved", "warning", "airflow.DAG", 15),
        ("airflow3-moved", "warning", "airflow.operators.bash.BashOperator", 16),
        ("airflow3-moved", "warning", "airflow.operators.python.PythonOperator", 18),
        ("livy-operator", "warning", "LivyOperator", 6),
    }
    (days_ago,) = [f for f in findings if f.subject == "airflow.utils.dates"]
    assert "used on line(s) 15" in days_ago.message
    moved = next(f for f in findings if f.subject == "airflow.operators.bash.BashOperator")
    assert "airflow.providers.standard.operators.bash" in moved.hint
    assert "(ruff AIR312)" in moved.message
    # snowflake.connector and the Livy provider come from the project's requirements
    assert not [f for f in findings if f.code == "import-unavailable"]
    # the requirements half of the same project (exact lists in the unit tests)
    req_codes = {f.code for f in findings if f.file == "requirements.txt"}
    assert req_codes == {"constraints-mismatch", "pin-conflict"}


def test_same_project_on_its_own_version_has_no_airflow3_findings(projects: Path) -> None:
    findings = check_project(projects / "mwaa_2_10_3", "2.10.3")
    assert not [f for f in findings if f.code.startswith("airflow3-")]


def test_ruff_rule_codes_are_the_ones_ruff_reports(projects: Path) -> None:
    diags = run_ruff_air3([projects / "mwaa_2_10_3" / "dags" / "etl.py"])
    reported = {str(d["code"]) for d in diags}
    assert reported == {"AIR301", "AIR311", "AIR312"}
    assert reported <= set(RULES)


def test_dags_findings_on_3_3_1_add_ruff_findings(projects: Path) -> None:
    findings = check_project(projects / "dags_findings", "3.3.1")
    ruff = {(f.code, f.subject, f.file, f.line) for f in findings if f.code.startswith("airflow3")}
    assert ("airflow3-moved", "airflow.hooks.base.BaseHook", "dags/slow_parse.py", 14) in ruff
    assert ("airflow3-moved", "airflow.models.Variable", "dags/slow_parse.py", 13) in ruff
    # the syntax error is reported once, by the DAG checks, not again by ruff
    assert [f.file for f in findings if f.code == "parse-error"] == ["dags/broken.py"]


def test_removed_context_keys_once_each(doctor_cli) -> None:  # type: ignore[no-untyped-def]
    dags = REPO / "tests" / "fixtures" / "doctor_context" / "dags"
    ran = doctor_cli("doctor", "dags", str(dags), "--mwaa", "3.0.6", "--format", "json")
    found = [
        (f["subject"], f["line"], "(ruff AIR301)" in f["message"])
        for f in json.loads(ran.stdout)["findings"]
        if f["code"] == "airflow3-removed"
    ]
    # the @task function's keys from ruff, the PythonOperator callable's **kwargs from taxiway
    assert sorted(found) == [
        ("execution_date", 9, True),
        ("next_ds", 9, True),
        ("prev_ds", 13, False),
        ("yesterday_ds", 13, False),
    ]
    assert ran.returncode == 1
    # a 2.x target still has the keys
    old = doctor_cli("doctor", "dags", str(dags), "--mwaa", "2.10.3", "--format", "json")
    assert not [f for f in json.loads(old.stdout)["findings"] if f["code"] == "airflow3-removed"]
