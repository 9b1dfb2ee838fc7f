"""Each false alarm and miss found on real MWAA projects, as a minimal repro."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from taxiway import mwaa
from taxiway.doctor.dags import check_dags, import_findings
from taxiway.doctor.project import check_layout, find_layout, import_context
from taxiway.doctor.requirements import parse_requirements_text
from taxiway.doctor.toplevel import ParseTimeAnalysis, local_module_map, parse_time_findings
from taxiway.mwaa.apis import apis

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mwaa_projects"


def _imports(source: str, version: str, requirements: str = "") -> list[tuple[str, str, int]]:
    target = mwaa.release(version)
    parsed = parse_requirements_text(requirements) if requirements else None
    context = import_context(target, parsed, None, None)
    found = import_findings(ast.parse(source), "dags/d.py", context)
    return [(f.code, f.severity.value, f.line or 0) for f in found]


def test_distribution_named_differently_from_its_module_is_found() -> None:
    # item 1: `dag-factory` installs `dagfactory`
    assert _imports("import dagfactory\n", "3.3.1", "dag-factory==1.0.1\n") == []
    assert _imports("import dagfactory\n", "3.3.1") == [("import-unavailable", "error", 1)]


def test_task_calls_in_a_dag_body_are_not_parse_time_work() -> None:
    # item 2: `get_connection` here is a @task: calling it builds an XComArg
    src = (
        "from airflow.sdk import dag, task, BaseHook\n"
        "@task\ndef get_connection():\n    return BaseHook.get_connection('w').host\n"
        "@task.python\ndef open(x):\n    return x\n"
        "@dag()\ndef d():\n    open(get_connection())\n    BaseHook.get_connection('real')\n"
        "d()\n"
    )
    found = [(f.subject, f.line) for f in parse_time_findings(ast.parse(src), "d.py")]
    assert found == [("BaseHook.get_connection()", 11)]


def test_parse_time_work_in_local_modules_and_called_helpers_is_found(tmp_path: Path) -> None:
    # item 5: a config module read by every DAG, a helper reading S3 called in a @dag body
    dags = tmp_path / "dags"
    (dags / "common").mkdir(parents=True)
    (dags / "config.py").write_text("from airflow.sdk import Variable\nENV = Variable.get('e')\n")
    (dags / "common" / "__init__.py").write_text("")
    (dags / "common" / "io.py").write_text(
        "import boto3\ndef load(key):\n    return _get(key)\n"
        "def _get(key):\n    return boto3.client('s3').get_object(Bucket='b', Key=key)\n"
    )
    dag = (
        "from airflow.sdk import dag\nfrom config import ENV\nfrom common import io\n"
        "@dag()\ndef p():\n    io.load(ENV)\np()\n"
    )
    analysis = ParseTimeAnalysis(local_module_map(dags), tmp_path)
    found = analysis.module_findings(ast.parse(dag), "dags/p.py", "p")
    assert sorted((f.file, f.line, f.subject) for f in found) == [
        ("dags/common/io.py", 5, "boto3.client()"),
        ("dags/config.py", 2, "Variable.get()"),
    ]
    assert "reached from `io.load()` called at dags/p.py:6" in next(
        f.message for f in found if f.file == "dags/common/io.py"
    )


def test_removed_airflow_module_is_reported_even_when_the_name_is_imported_again() -> None:
    # item 6
    src = (
        "from airflow.operators.python_operator import PythonOperator\n"
        "from airflow.providers.standard.operators.python import PythonOperator\n"
    )
    assert _imports(src, "3.3.1") == [("airflow-module-missing", "error", 1)]
    # 2.11.2: the 1.10 name still imports through a shim (a warning naming where it goes);
    # the standard provider is not built in
    assert _imports(src, "2.11.2") == [
        ("deprecated-import", "warning", 1),
        ("import-unavailable", "error", 2),
    ]
    # a deprecation shim Airflow still registers is not a false alarm
    assert _imports("from airflow.operators.python import PythonOperator\n", "3.3.1") == []


def test_operator_removed_from_a_provider_is_reported() -> None:
    # item 7
    src = "from airflow.providers.snowflake.operators.snowflake import SnowflakeOperator\n"
    req = "apache-airflow-providers-snowflake\n"
    assert _imports(src, "3.3.1", req) == [("airflow-name-missing", "error", 1)]
    ok = "from airflow.providers.snowflake.operators.snowflake import SnowflakeSqlApiOperator\n"
    assert _imports(ok, "3.3.1", req) == []
    # the user pins another provider version: no data for it, no guess
    assert _imports(src, "3.3.1", "apache-airflow-providers-snowflake==5.0.0\n") == []


def test_shipped_api_data_is_small_and_covers_every_airflow_2_and_3_version() -> None:
    for version in mwaa.versions():
        data = apis(version)
        if version == "1.10.12":
            # no data: no module checks rather than false alarms
            assert data is None
            continue
        assert data is not None and data.version == version
        assert "apache-airflow-providers-amazon" in data.distributions
        path = Path(mwaa.__file__).parent / "data" / version / "apis.json.gz"
        assert path.stat().st_size < 200_000


def test_local_runner_layout_and_relative_paths_in_findings() -> None:
    # item 9 and the JSON `file` paths: relative to the project root
    layout = find_layout(CORPUS / "dag_factory_local_runner")
    findings = check_layout(layout, mwaa.release("2.11.2"))
    files = {f.file for f in findings if f.file}
    assert "startup_script/startup.sh" in files
    assert "requirements/requirements.txt" in files
    assert "requirements.txt" not in files
    (notice,) = [f for f in findings if f.code == "layout"]
    assert "startup script `startup_script/startup.sh`" in notice.message


def test_missing_requirements_file_is_said_and_imports_become_warnings() -> None:
    project = CORPUS / "requirements_elsewhere"
    findings = check_layout(find_layout(project), mwaa.release("3.3.1"))
    (missing,) = [f for f in findings if f.code == "requirements-not-found"]
    assert "config/mwaa/requirements-prod.txt" in missing.message
    assert {f.severity.value for f in findings if f.code == "import-unavailable"} == {"warning"}
    spec = json.loads((project / "expected.json").read_text())
    explicit = find_layout(project, requirements=project / spec["explicit"]["args"]["requirements"])
    assert not [f for f in check_layout(explicit, mwaa.release("3.3.1")) if "import" in f.code]


def test_helper_reached_from_two_dag_files_is_reported_once() -> None:
    dags = CORPUS / "glue_athena_shared_config" / "dags"
    target = mwaa.release("3.3.1")
    found = check_dags(dags, target, import_context(target, None, dags, None), airflow3=False)
    assert [(f.file, f.line) for f in found if f.code == "top-level-code"].count(
        ("dags/config.py", 5)
    ) == 1
