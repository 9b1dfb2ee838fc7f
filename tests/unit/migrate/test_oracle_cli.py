"""`taxiway migrate oracle` end to end through the real CLI, on a copy of the fixture project."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taxiway.cli.app import app
from taxiway.migrate.oracle.connections import (
    ConnectionTypes,
    from_environment,
    read_export,
)

FIXTURE = Path(__file__).parents[2] / "fixtures" / "oracle_projects" / "etl"
DAG = "etl/dags/orders_etl.py"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "etl")
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith("AIRFLOW_CONN_")]:
        monkeypatch.delenv(name)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["migrate", "oracle", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


CONN = ("--connections", "etl/connections.json")
WRITE = ("--database", "analytics", "--output-location", "s3://acme-athena/results/")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def tasks(out: str) -> dict[str, dict[str, object]]:
    return {t["task_id"]: t for t in json.loads(out)["tasks"]}


def test_found_by_class_and_connection_type_never_by_name(project: Path) -> None:
    code, out = run("etl", *CONN, "--format", "json")
    assert code == 1  # refusals present
    found = tasks(out)
    assert set(found) == {
        "enrich_orders", "daily_load", "top_customers", "org_chart", "upsert_customers",
        "refresh_stats", "check_orders",
    }  # fmt: skip
    assert "archive_orders" not in found  # `oracle_archive` is a postgres connection
    outcome = {k: v["outcome"] for k, v in found.items()}
    assert outcome == {
        "enrich_orders": "converted", "daily_load": "converted", "top_customers": "converted",
        "org_chart": "refused", "upsert_customers": "refused", "refresh_stats": "refused",
        "check_orders": "review",
    }  # fmt: skip
    counts = json.loads(out)["counts"]
    assert counts["tasks"] == {
        "found": 7, "converted": 3, "review": 1, "refused": 3, "rewritten": 3,
    }  # fmt: skip
    assert counts["statements"] == {"found": 7, "converted": 4, "review": 1, "refused": 2}
    assert counts["hooks"] == {"found": 1}


def test_without_connection_types_only_oracle_classes_are_found(project: Path) -> None:
    code, out = run("etl", "--format", "json")
    assert code == 1
    found = tasks(out)
    assert set(found) == {"enrich_orders", "org_chart", "upsert_customers", "refresh_stats"}
    unknown = [f for f in json.loads(out)["findings"] if f["code"] == "oracle-connection-unknown"]
    assert sorted(f["subject"] for f in unknown) == [
        "connection oracle_archive", "connection warehouse",
    ]  # fmt: skip


def test_airflow_conn_env_values_give_the_type(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", "oracle://etl:secret@db:1521/ORCL")
    monkeypatch.setenv("AIRFLOW_CONN_ORACLE_ARCHIVE", '{"conn_type": "postgres", "host": "pg"}')
    _, out = run("etl", "--format", "json")
    assert "daily_load" in tasks(out) and "archive_orders" not in tasks(out)
    assert "secret" not in out


def test_refusals_name_the_construct_file_and_line(project: Path) -> None:
    _, out = run("etl", *CONN, "--format", "json")
    refusals = {
        (f["subject"], f["file"].rsplit("/", 2)[-2:][-1], f["line"])
        for f in json.loads(out)["findings"]
        if f["code"] == "oracle-refused"
    }
    assert refusals == {
        ("task org_chart: CONNECT BY", "hierarchy.sql", 4),
        ("task upsert_customers: MERGE", "orders_etl.py", 68),
    }


def test_dry_run_diff_applies_and_equals_write(project: Path) -> None:
    before = snapshot(project / "etl")
    code, out = run("etl", *CONN, *WRITE)
    assert code == 1
    assert snapshot(project / "etl") == before, "without --write nothing may change"
    _, as_json = run("etl", *CONN, *WRITE, "--format", "json")
    diff = json.loads(as_json)["diff"]
    assert out.startswith(diff)
    patched = project / "patched"
    shutil.copytree(project / "etl", patched / "etl")
    applied = subprocess.run(
        ["git", "apply", "-"], input=diff, text=True, cwd=patched, capture_output=True
    )
    assert applied.returncode == 0, applied.stderr
    code, _ = run("etl", *CONN, *WRITE, "--write")
    assert code == 1
    assert snapshot(patched / "etl") == snapshot(project / "etl")


def test_write_rewrites_only_converted_tasks_and_keeps_the_rest(project: Path) -> None:
    run("etl", *CONN, *WRITE, "--write")
    text = (project / DAG).read_text()
    tree = ast.parse(text)
    calls = {
        kw.value.value: node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        for kw in node.keywords
        if kw.arg == "task_id" and isinstance(kw.value, ast.Constant)
    }
    assert calls == {
        "enrich_orders": "AthenaOperator", "daily_load": "AthenaOperator",
        "top_customers": "AthenaOperator", "org_chart": "OracleOperator",
        "upsert_customers": "OracleOperator", "refresh_stats": "OracleStoredProcedureOperator",
        "check_orders": "SQLCheckOperator", "archive_orders": "SQLExecuteQueryOperator",
        "export_counts": "PythonOperator",
    }  # fmt: skip
    assert (
        "enrich >> daily >> [top, org] >> upsert >> refresh >> check >> archive >> counts" in text
    )
    assert "from airflow.providers.amazon.aws.operators.athena import AthenaOperator" in text
    assert 'query="daily_load.athena.sql",  # in dags/sql?' in text  # comment kept
    assert "retries=3" in text and 'database="analytics"' in text
    assert 'oracle_conn_id="warehouse",\n        sql="sql/hierarchy.sql"' in text
    # The converted template sits beside the original, templating intact; the original stays.
    new_sql = (project / "etl/include/sql/daily_load.athena.sql").read_text()
    assert "'{{ ds }}'" in new_sql and "DATE_FORMAT(o.order_date, '%Y-%m-%d')" in new_sql
    assert (project / "etl/include/sql/daily_load.sql").read_text() == (
        FIXTURE / "include/sql/daily_load.sql"
    ).read_text()
    enrich = next(
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and any(k.arg == "task_id" and getattr(k.value, "value", "") == "enrich_orders" for k in n.keywords)
    )  # fmt: skip
    query = next(k.value.value for k in enrich.keywords if k.arg == "query")
    assert "LEFT JOIN orders AS o" in query and "(+)" not in query
    assert {k.arg for k in enrich.keywords} == {"task_id", "query", "database", "output_location"}


def test_second_write_is_a_no_op(project: Path) -> None:
    run("etl", *CONN, *WRITE, "--write")
    first = snapshot(project / "etl")
    code, out = run("etl", *CONN, *WRITE, "--write", "--format", "json")
    assert code == 1  # the refused tasks are still there, untouched
    assert snapshot(project / "etl") == first
    assert json.loads(out)["diff"] == ""
    assert json.loads(out)["counts"]["tasks"]["rewritten"] == 0


def test_unused_oracle_imports_go_used_ones_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dag = tmp_path / "dags" / "one.py"
    dag.parent.mkdir()
    dag.write_text(
        "from airflow.providers.oracle.operators.oracle import OracleOperator\n\n"
        't = OracleOperator(task_id="t", sql="SELECT 1 FROM dual")\n'
    )
    monkeypatch.chdir(tmp_path)
    code, _ = run(".", "--database", "db", "--write")
    assert code == 0
    assert dag.read_text() == (
        "from airflow.providers.amazon.aws.operators.athena import AthenaOperator\n\n"
        't = AthenaOperator(task_id="t", query="SELECT 1", database="db")\n'
    )


def test_write_without_database_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "oracle", "etl", "--write"])
    assert isinstance(result.exception, Exception)
    assert "--database" in str(result.exception)


def test_markdown_and_junit_report_per_task(project: Path) -> None:
    _, md = run("etl", *CONN, "--format", "markdown")
    assert md.startswith("# taxiway migrate oracle")
    for code in ("oracle-task-converted", "oracle-task-refused", "oracle-task-not-rewritten"):
        assert f"`{code}`" in md
    _, junit = run("etl", *CONN, "--format", "junit")
    assert 'failures="5"' in junit


def test_connection_exports_in_every_format(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "warehouse:\n  conn_type: oracle\nother:\n  conn_type: mysql\n"
    )
    (tmp_path / "c.env").write_text("warehouse=oracle://u:p@h:1521/s\nother=mysql://h/db\n")
    for name in ("c.yaml", "c.env"):
        types = ConnectionTypes(read_export(tmp_path / name))
        assert types.is_oracle("warehouse") is True
        assert types.is_oracle("other") is False
        assert types.is_oracle("missing") is None
    env = from_environment({"AIRFLOW_CONN_DWH": "oracle://x", "PATH": "/bin"})
    assert env == {"dwh": "oracle"}


def test_conn_id_from_default_args_through_a_constant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dag = tmp_path / "dags" / "d.py"
    dag.parent.mkdir()
    dag.write_text(
        "from airflow import DAG\n"
        "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        'CONN = "dwh"\n'
        'with DAG("d", default_args={"conn_id": CONN}):\n'
        '    SQLExecuteQueryOperator(task_id="q", sql="SELECT NVL(a, 0) FROM t")\n'
    )
    (tmp_path / "c.json").write_text('{"dwh": {"conn_type": "oracle"}}')
    monkeypatch.chdir(tmp_path)
    _, out = run(".", "--connections", "c.json", "--format", "json")
    [task] = json.loads(out)["tasks"]
    assert task["conn_id"] == "dwh"
    assert task["statements"][0]["athena"] == "SELECT COALESCE(a, 0) FROM t"
