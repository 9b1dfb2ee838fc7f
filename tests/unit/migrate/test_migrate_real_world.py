"""`migrate livy` on habits of real Livy DAGs: annotations, default_args, polling, paths."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from taxiway.findings import Severity
from taxiway.migrate import EmrTarget, migrate_source
from taxiway.migrate.runner import migrate_paths

TARGET = EmrTarget(cluster_name="analytics")
LIVY = "from airflow.providers.apache.livy.operators.livy import LivyOperator\n"


def _emr_call(after: str) -> dict[str, object]:
    """The keyword arguments of the (only) EmrAddStepsOperator call, evaluated."""
    calls = [
        n
        for n in ast.walk(ast.parse(after))
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "EmrAddStepsOperator"
    ]
    (call,) = calls
    return {
        k.arg: eval(compile(ast.Expression(k.value), "<kw>", "eval"), {"task_id": "t"})
        for k in call.keywords
        if k.arg
    }


def test_return_annotation_and_isinstance_name_the_new_class() -> None:
    source = (
        LIVY + "\n\ndef build(task_id: str) -> LivyOperator:\n"
        '    return LivyOperator(task_id=task_id, file="s3://jobs/pi.py")\n\n\n'
        "def check(op: LivyOperator | None) -> bool:\n"
        "    return isinstance(op, (LivyOperator,)) and issubclass(type(op), LivyOperator)\n"
    )
    result = migrate_source(source, "dag.py", TARGET)
    assert result.findings == [], result.findings
    assert "Livy" not in result.after
    assert "def build(task_id: str) -> EmrAddStepsOperator:" in result.after
    assert "def check(op: EmrAddStepsOperator | None) -> bool:" in result.after
    assert "isinstance(op, (EmrAddStepsOperator,))" in result.after
    assert "issubclass(type(op), EmrAddStepsOperator)" in result.after
    ast.parse(result.after)


def test_livy_keys_in_default_args_are_reported_and_carried_into_the_step() -> None:
    source = (
        LIVY + "from airflow import DAG\n\n"
        'default_args = {"owner": "etl", "args": [10], "livy_conn_id": "livy_prod"}\n\n'
        'with DAG("pi", default_args=default_args):\n'
        '    LivyOperator(task_id="pi", file="s3://jobs/pi.py")\n'
        '    LivyOperator(task_id="pi2", file="s3://jobs/pi.py", args=["--n", "2"])\n'
    )
    result = migrate_source(source, "dag.py", TARGET)
    found = {(f.code, f.subject, f.severity, f.line) for f in result.findings}
    assert found == {
        ("livy-default-args", "default_args: args", Severity.WARNING, 4),
        ("livy-default-args", "default_args: livy_conn_id", Severity.WARNING, 4),
    }
    steps = [
        n
        for n in ast.walk(ast.parse(result.after))
        if isinstance(n, ast.List) and n.elts and ast.unparse(n.elts[0]) == "'spark-submit'"
    ]
    args = [ast.literal_eval(s) for s in steps]
    # The default reached the call without `args`; the call's own args win over it.
    assert args[0][-2:] == ["s3://jobs/pi.py", "10"]
    assert args[1][-3:] == ["s3://jobs/pi.py", "--n", "2"]


def test_polling_interval_has_a_floor_against_emr_throttling() -> None:
    source = LIVY + 't = LivyOperator(task_id="t", file="s3://jobs/a.py", polling_interval=1)\n'
    result = migrate_source(source, "dag.py", TARGET)
    values = _emr_call(result.after)
    assert values["waiter_delay"] == 10
    assert values["waiter_max_attempts"] == 24 * 60 * 60 // 10
    assert [f.code for f in result.findings] == ["livy-polling-raised"]
    # An expression keeps its value above the floor at run time.
    source = LIVY + 'P = 1\nt = LivyOperator(task_id="t", file="s3://j/a.py", polling_interval=P)\n'
    after = migrate_source(source, "dag.py", TARGET).after
    assert "waiter_delay=max(10, P)" in after


def test_paths_emr_cannot_read_are_reported() -> None:
    source = LIVY + (
        't = LivyOperator(task_id="t", file="file:///opt/jobs/etl.py",\n'
        '    py_files=["hdfs:///libs/deps.zip", "s3://jobs/ok.zip"], jars=["/opt/lib/x.jar"],\n'
        '    files=["{{ var.value.conf_uri }}"], archives=["local:/opt/env.tgz"])\n'
    )
    result = migrate_source(source, "dag.py", TARGET)
    bad = sorted(f.message.split("`")[3] for f in result.findings if f.code == "livy-path-not-s3")
    assert bad == ["/opt/lib/x.jar", "file:///opt/jobs/etl.py", "hdfs:///libs/deps.zip"]
    assert result.changed  # reported, still rewritten


def test_diff_of_an_absolute_path_applies_with_git(tmp_path: Path) -> None:
    dag = tmp_path / "dags" / "pi.py"
    dag.parent.mkdir()
    dag.write_text(LIVY + 't = LivyOperator(task_id="t", file="s3://jobs/pi.py")\n')
    diff = migrate_paths([dag.resolve()], TARGET).diff()
    assert diff.startswith(f"--- a/{str(dag.resolve()).lstrip('/')}\n")
    assert "a//" not in diff
    patch = tmp_path / "livy.patch"
    patch.write_text(diff)
    proc = subprocess.run(
        ["git", "apply", "--check", "-p1", str(patch)],
        capture_output=True, text=True, cwd="/", check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
