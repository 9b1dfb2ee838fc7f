"""Whole files through the codemod: only the Livy calls and imports change, twice is once."""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

import pytest

from taxiway.findings import Severity
from taxiway.migrate import EmrTarget, migrate_source

FIXTURES = Path(__file__).parents[2] / "fixtures" / "livy_dags"
REWRITABLE = sorted((FIXTURES / "rewritable").glob("*.py"))
TARGET = EmrTarget(cluster_name="analytics")
LIVY = "from airflow.providers.apache.livy.operators.livy import LivyOperator\n"
EMR = "from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator\n"


def migrate(source: str, target: EmrTarget = TARGET):  # type: ignore[no-untyped-def]
    return migrate_source(source, "dag.py", target)


def _livy_lines(source: str) -> set[int]:
    """Line numbers of Livy calls and Livy imports in the original source."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        is_import = isinstance(node, ast.Import | ast.ImportFrom) and "livy" in ast.unparse(node)
        is_call = isinstance(node, ast.Call) and ast.unparse(node.func) in {
            "LivyOperator",
            "SparkBatch",
            "livy_ops.LivyOperator",
        }
        if is_import or is_call:
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


@pytest.mark.parametrize("path", REWRITABLE, ids=lambda p: p.name)
def test_only_livy_calls_and_imports_change(path: Path) -> None:
    before = path.read_text()
    result = migrate(before)
    assert result.changed and result.tasks
    allowed = _livy_lines(before)
    old, new = before.splitlines(), result.after.splitlines()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            touched = set(range(i1 + 1, i2 + 1))
            assert touched <= allowed, f"{path.name}: lines {sorted(touched - allowed)} changed"
        elif tag == "insert":
            # An insertion sits next to a rewritten call or import (line i1 is 0-based "before").
            assert {i1, i1 + 1} & allowed, f"{path.name}: insertion at line {i1}"
    # Every comment of the original outside the calls survives byte for byte.
    for number, line in enumerate(old, start=1):
        if "#" in line and number not in allowed:
            assert line in new


@pytest.mark.parametrize("path", REWRITABLE, ids=lambda p: p.name)
def test_second_run_changes_nothing(path: Path) -> None:
    once = migrate(path.read_text())
    twice = migrate(once.after)
    assert twice.after == once.after
    assert twice.tasks == [] and twice.findings == []


@pytest.mark.parametrize("path", REWRITABLE, ids=lambda p: p.name)
def test_rewritten_file_is_valid_python_without_livy(path: Path) -> None:
    after = migrate(path.read_text()).after
    compile(after, path.name, "exec")
    tree = ast.parse(after)
    imports = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert not [i for i in imports if "livy" in i]
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not {"LivyOperator", "SparkBatch", "livy_ops"} & names
    assert after.count(EMR.strip()) == 1


def test_task_counts_of_the_fixtures() -> None:
    counts = {p.name: len(migrate(p.read_text()).tasks) for p in REWRITABLE}
    assert counts == {"livy_aliases.py": 2, "livy_literals.py": 3, "livy_templates.py": 2}


def test_file_without_livy_is_untouched() -> None:
    path = FIXTURES / "no_livy" / "plain_dag.py"
    before = path.read_text()
    result = migrate(before)
    assert result.after == before and not result.changed
    assert result.tasks == [] and result.findings == []


def test_unparsable_file_is_a_finding_not_a_crash() -> None:
    result = migrate("from x import LivyOperator\nLivyOperator(\n")
    assert not result.changed
    assert [f.code for f in result.findings] == ["parse-error"]
    assert result.findings[0].severity is Severity.ERROR


def test_generated_call_is_indented_under_its_statement() -> None:
    source = LIVY + 'with dag:\n    if True:\n        t = LivyOperator(task_id="t", file="a")\n'
    after = migrate(source).after
    lines = after.splitlines()
    start = next(i for i, line in enumerate(lines) if "EmrAddStepsOperator(" in line)
    end = next(i for i in range(start, len(lines)) if lines[i] == "        )")
    assert lines[start + 1] == '            task_id="t",'
    assert all(line.startswith("            ") for line in lines[start + 1 : end])
    compile(after, "dag.py", "exec")


def test_inline_calls_in_dependency_lists() -> None:
    source = (
        LIVY + 'a >> [LivyOperator(task_id="b", file="b"), LivyOperator(task_id="c", file="c")]\n'
    )
    result = migrate(source)
    assert [t.task_id for t in result.tasks] == ["b", "c"]
    tree = ast.parse(result.after)
    expr = tree.body[-1].value  # type: ignore[attr-defined]
    assert isinstance(expr, ast.BinOp) and isinstance(expr.right, ast.List)
    assert [ast.unparse(e.func) for e in expr.right.elts] == ["EmrAddStepsOperator"] * 2  # type: ignore[attr-defined]


def test_livy_import_kept_while_still_used_and_emr_import_added_after_it() -> None:
    source = (
        "from airflow.providers.apache.livy.operators.livy import LivyOperator, LivyHook\n"
        "import os\n"
        't = LivyOperator(task_id="t", file="s3://jobs/a.py")\n'
        "h = LivyHook()\n"
    )
    result = migrate(source)
    lines = result.after.splitlines()
    assert lines[0] == "from airflow.providers.apache.livy.operators.livy import LivyHook"
    assert lines[1] == EMR.strip()
    assert lines[2] == "import os"
    assert [f.code for f in result.findings] == ["livy-hook"]


def test_existing_emr_import_under_an_alias_is_reused() -> None:
    source = (
        "# header comment\n"
        + LIVY
        + "from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator as Steps\n"
        + 't = LivyOperator(task_id="t", file="a")\n'
    )
    after = migrate(source).after
    assert after.startswith(
        "# header comment\n"
        "from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator as Steps\n"
        "t = Steps(\n"
    )
    assert "EmrAddStepsOperator(" not in after


def test_comment_above_the_livy_import_stays() -> None:
    source = "import os\n\n# Spark jobs\n" + LIVY + 't = LivyOperator(task_id="t", file="a")\n'
    after = migrate(source).after
    assert after.startswith("import os\n\n# Spark jobs\n" + EMR + "t = EmrAddStepsOperator(\n")


def test_import_in_a_try_block_gets_the_emr_import_at_the_top() -> None:
    source = (
        "import os\n"
        "try:\n"
        "    from airflow.providers.apache.livy.operators.livy import LivyOperator\n"
        "except ImportError:\n"
        "    LivyOperator = None\n"
        't = LivyOperator(task_id="t", file="a")\n'
    )
    after = migrate(source).after
    assert after.count(EMR) == 1
    compile(after, "dag.py", "exec")


def test_crlf_line_endings_are_kept() -> None:
    source = (
        (LIVY + "# keep\r\n" + 't = LivyOperator(task_id="t", file="a")\n')
        .replace("\n", "\r\n")
        .replace("\r\r\n", "\r\n")
    )
    after = migrate(source).after
    assert "\n" not in after.replace("\r\n", "")
    assert "# keep\r\n" in after


def test_manual_fixture_reports_every_livy_use_it_cannot_rewrite() -> None:
    path = FIXTURES / "manual" / "livy_sensor_hook.py"
    result = migrate(path.read_text())
    found = sorted((f.code, f.line, f.severity.value) for f in result.findings)
    assert found == [
        ("livy-hook", 13, "error"),
        ("livy-now-waits", 19, "info"),
        ("livy-sensor", 20, "error"),
        ("livy-unsupported-call", 21, "error"),
    ]
    # The plain call is still rewritten; the Livy operator import stays for `.partial()`.
    assert [t.task_id for t in result.tasks] == ["submit"]
    assert "from airflow.providers.apache.livy.operators.livy import LivyOperator\n" in result.after
    assert result.after.count(EMR) == 1
    assert all(f.file == "dag.py" and f.hint for f in result.findings)


@pytest.mark.parametrize(
    ("call", "why"),
    [
        ('LivyOperator("a.py", task_id="t")', "positional"),
        ('LivyOperator(*ARGS, task_id="t", file="a")', "positional"),
        ('LivyOperator(task_id="t", **SPARK)', "no `file=`"),
        ('LivyOperator(task_id="t", file="a", conf="{{ params.conf }}")', "conf"),
    ],
)
def test_calls_it_cannot_rewrite_stay_as_they_are(call: str, why: str) -> None:
    source = LIVY + f"t = {call}\n"
    result = migrate(source)
    assert result.after == source
    (finding,) = result.findings
    assert finding.code == "livy-unsupported-call" and finding.line == 2
    assert why in finding.message


def test_subclass_of_livy_operator_is_reported() -> None:
    source = LIVY + "class MyLivy(LivyOperator):\n    pass\n"
    result = migrate(source)
    assert result.after == source
    assert [(f.code, f.line) for f in result.findings] == [("livy-unsupported-call", 2)]


def test_local_class_named_like_livy_is_left_alone() -> None:
    source = "class LivyOperator:\n    pass\n\nt = LivyOperator()\n"
    result = migrate(source)
    assert result.after == source and result.findings == []


def test_comments_inside_the_call_follow_their_argument() -> None:
    source = LIVY + (
        "t = LivyOperator(  # opening\n"
        "    # about the id\n"
        '    task_id="t",  # id comment\n'
        '    file="a.py",  # the app\n'
        "    # the conf\n"
        '    conf={"k": "v"},\n'
        "    polling_interval=10,  # poll\n"
        "    retries=2  # two\n"
        "    # closing\n"
        ")\n"
    )
    after = migrate(source).after
    assert '    # opening\n    # about the id\n    task_id="t",  # id comment\n' in after
    row = " " * 20  # call, steps list, step dict, HadoopJarStep dict, Args list
    assert f'{row}# the conf\n{row}"--conf", "k=v",\n' in after
    assert f'{row}"a.py",  # the app\n' in after
    assert "    waiter_delay=10,  # poll\n" in after
    assert "    retries=2,  # two\n    # closing\n)\n" in after
    assert migrate(after).after == after


def test_parenthesized_livy_import_keeps_its_shape() -> None:
    source = (
        "from airflow.providers.apache.livy.operators.livy import (\n"
        "    LivyHook,\n"
        "    LivyOperator,\n"
        ")\n"
        't = LivyOperator(task_id="t", file="a")\n'
        "h = LivyHook\n"
    )
    after = migrate(source).after
    assert after.startswith(
        "from airflow.providers.apache.livy.operators.livy import (\n    LivyHook,\n)\n" + EMR
    )
