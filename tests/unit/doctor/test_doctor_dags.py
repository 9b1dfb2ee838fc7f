"""DAG folder checks without ruff (Airflow 2 targets): exact findings of the fixture."""

from __future__ import annotations

import ast
from pathlib import Path

from taxiway import mwaa
from taxiway.doctor.dags import check_dags, defines_dag, might_contain_dag
from taxiway.doctor.project import import_context
from taxiway.doctor.toplevel import parse_time_findings
from taxiway.findings import Severity


def test_dags_findings_on_2_11_2(projects: Path) -> None:
    dags = projects / "dags_findings" / "dags"
    target = mwaa.release("2.11.2")
    findings = check_dags(dags, target, import_context(target, None, dags, None))
    got = {(f.code, f.severity.value, f.subject, f.file, f.line) for f in findings}
    assert got == {
        ("parse-error", "error", "dags/broken.py", "dags/broken.py", 3),
        (
            "import-unavailable",
            "error",
            "airflow.providers.apache.livy.operators.livy",
            "dags/missing_deps.py",
            7,
        ),
        ("import-unavailable", "error", "mycompany.etl", "dags/missing_deps.py", 15),
        ("import-unavailable", "warning", "scrapy", "dags/missing_deps.py", 19),
        ("import-unavailable", "error", "pandas", "dags/slow_parse.py", 5),
        ("livy-operator", "warning", "LivyOperator", "dags/missing_deps.py", 7),
        ("top-level-code", "warning", "import pandas", "dags/slow_parse.py", 5),
        ("top-level-code", "warning", "Variable.get()", "dags/slow_parse.py", 13),
        ("top-level-code", "warning", "BaseHook.get_connection()", "dags/slow_parse.py", 14),
        ("top-level-code", "warning", "requests.get()", "dags/slow_parse.py", 15),
        ("top-level-code", "warning", "open()", "dags/slow_parse.py", 16),
        ("not-dag-file", "warning", "dags/utils_not_ignored.py", "dags/utils_not_ignored.py", None),
    }


def test_parse_time_scope() -> None:
    src = (
        "from airflow.decorators import dag, task\n"
        "import boto3\n"
        "def helper(x=open('defaults.txt')):\n    return boto3.client('s3')\n"
        "class Cfg:\n    BUCKET = Variable.get('bucket')\n    def m(self):\n        Variable.get('no')\n"
        "@dag(schedule=None)\n"
        "def pipeline():\n"
        "    hook = S3Hook()\n"
        "    @task\n    def t():\n        return requests.get('x')\n"
        "    t()\n"
        "pipeline()\n"
        "f = lambda: Variable.get('lazy')\n"
    )
    found = [(f.subject, f.line) for f in parse_time_findings(ast.parse(src), "d.py")]
    assert found == [("open()", 3), ("Variable.get()", 6), ("S3Hook()", 11)]
    assert all(f.severity is Severity.WARNING for f in parse_time_findings(ast.parse(src), "d.py"))


def test_dag_detection_and_safe_mode() -> None:
    assert defines_dag(ast.parse("from airflow import DAG\nwith DAG('x'):\n    pass\n"))
    assert defines_dag(ast.parse("from f import hourly_dag\ndag = hourly_dag()\n"))
    assert defines_dag(ast.parse("@dag()\ndef p():\n    pass\n"))
    assert not defines_dag(ast.parse("def make_dag():\n    return DAG('x')\n"))
    assert might_contain_dag("from airflow import DAG") and not might_contain_dag("import os")


def test_an_ignore_comment_silences_only_its_codes_on_its_line(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "etl.py").write_text(
        "from airflow import DAG\n"
        "from airflow.models import Variable\n"
        "a = Variable.get('a')  # taxiway: ignore[top-level-code] read once, cached\n"
        "b = Variable.get('b')  # taxiway: ignore[import-unavailable] the wrong code\n"
        "c = Variable.get('c')  # taxiway: ignore\n"
        "d = Variable.get('d')\n"
        "dag = DAG('etl')\n"
    )
    target = mwaa.release("2.11.2")
    findings = check_dags(dags, target, import_context(target, None, dags, None))
    assert [(f.code, f.line) for f in findings if f.code == "top-level-code"] == [
        ("top-level-code", 4),
        ("top-level-code", 6),
    ]
