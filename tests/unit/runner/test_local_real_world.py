"""Local-runner behaviour real projects need: Variables/Connections pass through, install
failures blamed on the right party."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taxiway.errors import UsageError
from taxiway.findings import Severity
from taxiway.runner.check import load_variables, probe_environment
from taxiway.runner.failures import classify, failure_finding
from taxiway.runner.project import find_layout

# Tails of real uv failures (shortened).
DNS = (
    "error: Request failed after 3 retries\n  Caused by: Failed to fetch: "
    "`https://raw.githubusercontent.com/apache/airflow/constraints-3.3.1/constraints-3.12.txt`\n"
    "  Caused by: error sending request for url\n  Caused by: dns error: failed to lookup "
    "address information: Temporary failure in name resolution"
)
MYSQL = (
    "error: Failed to build `mysqlclient==2.2.7`\n  Caused by: The build backend returned an "
    "error\n  Caused by: Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)\n"
    "Exception: Can not find valid pkg-config name.\nSpecify MYSQLCLIENT_CFLAGS and "
    "MYSQLCLIENT_LDFLAGS env vars manually"
)
CONFLICT = (
    "  x No solution found when resolving dependencies:\n  `-> Because you require "
    "flask==0.12.5 and flask==2.2.5, we can conclude that your requirements are unsatisfiable."
)


def test_install_failures_are_blamed_on_the_right_party() -> None:
    assert classify(DNS).kind == "network"
    mysql = classify(MYSQL)
    assert mysql.kind == "system" and "default-libmysqlclient-dev" in mysql.debian
    assert classify(CONFLICT).kind == "resolver"
    local = failure_finding(classify(MYSQL), "`requirements.txt`", "r", "r", MYSQL)
    assert local.code == "install-failed-locally" and "MWAA would fail" not in local.message
    assert "apt-get install default-libmysqlclient-dev" in local.hint
    net = failure_finding(classify(DNS), "`requirements.txt`", "r", "r", DNS)
    assert net.code == "install-failed-locally" and "network" in net.message
    mwaa = failure_finding(classify(CONFLICT), "`requirements.txt`", "r", "r", CONFLICT)
    assert mwaa.code == "install-failed" and "MWAA would fail the same way" in mwaa.message
    assert {local.severity, net.severity, mwaa.severity} == {Severity.ERROR}


def test_variables_and_connections_pass_through_other_airflow_settings_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dags").mkdir()
    monkeypatch.setenv("AIRFLOW_VAR_ENV", "prod")
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", "postgres://u:p@h/db")
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    layout = find_layout(tmp_path)
    env = probe_environment(layout, None, tmp_path, tmp_path / "pyc", {"region": "eu-west-1"})
    assert env["AIRFLOW_VAR_ENV"] == "prod"
    assert env["AIRFLOW_CONN_WAREHOUSE"] == "postgres://u:p@h/db"
    assert env["AIRFLOW_VAR_REGION"] == "eu-west-1"
    assert "AIRFLOW__CORE__EXECUTOR" not in env


def test_variables_file_is_what_airflow_variables_export_writes(tmp_path: Path) -> None:
    path = tmp_path / "vars.json"
    path.write_text(json.dumps({"bucket": "b", "cfg": {"tables": ["a"]}, "n": 3}))
    assert load_variables(path) == {"bucket": "b", "cfg": '{"tables": ["a"]}', "n": "3"}
    path.write_text("[1, 2]")
    with pytest.raises(UsageError, match="airflow variables export"):
        load_variables(path)
    with pytest.raises(UsageError, match="Cannot read"):
        load_variables(tmp_path / "missing.json")


def test_static_import_guesses_yield_to_the_environment() -> None:
    from taxiway.findings import Finding
    from taxiway.runner.check import verified_by_dagbag
    from taxiway.runner.imports import FileStat, ImportReport

    def unavailable(subject: str, file: str, line: int, severity: Severity) -> Finding:
        return Finding("import-unavailable", severity, subject, "m", "h", file, line)

    findings = [
        unavailable("tlz", "dags/a.py", 3, Severity.ERROR),  # installed: metadata says so
        unavailable("tlz.curried", "dags/b.py", 9, Severity.WARNING),  # inside a task
        unavailable("mystery", "dags/a.py", 4, Severity.ERROR),  # a.py imported: DagBag says so
        unavailable("mystery", "dags/broken.py", 2, Severity.ERROR),  # broken.py failed: kept
        Finding("airflow-name-missing", Severity.ERROR, "x", "m", "h", "dags/broken.py", 5),
    ]
    report = ImportReport(
        files=[FileStat("a.py", 0.1, 1, 1), FileStat("broken.py", 0.1, 0, 0)],
        errors=["broken.py"],
        dags_rel="dags",
        modules=frozenset({"tlz", "toolz"}),
    )
    kept = verified_by_dagbag(findings, report)
    assert [(f.code, f.subject, f.file) for f in kept] == [
        ("import-unavailable", "mystery", "dags/broken.py"),
        ("airflow-name-missing", "x", "dags/broken.py"),
        ("import-verified", "imports", None),
    ]
    assert "`tlz.curried` (dags/b.py:9)" in kept[-1].message


def test_quoted_constraints_url_is_served_from_the_shipped_copy(tmp_path: Path) -> None:
    from taxiway.runner.target import rewrite_requirements

    url = "https://raw.githubusercontent.com/apache/airflow/constraints-2.11.2/constraints-3.12.txt"
    user = rewrite_requirements(f'--constraint "{url}"\ndag-factory==1.0.1\n', tmp_path)
    assert user.text == "-c {constraints:2.11.2}\ndag-factory==1.0.1\n"  # no download
    assert user.local_constraints == {url: "2.11.2"}
