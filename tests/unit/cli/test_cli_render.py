"""What `taxiway doctor` prints in a terminal: brackets kept, findings linter-style.

The real CLI runs in a subprocess at COLUMNS=80 (a laptop terminal); the text output is
checked against the same findings in JSON, so nothing can vanish or be split unnoticed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from taxiway.cli import render
from taxiway.findings import Finding, Severity

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "airflow_projects"


def _cli(*args: str, cwd: Path, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"},
    )


@pytest.fixture
def bracket_project(tmp_path: Path) -> Path:
    """A project whose folder, file name and requirements all contain square brackets."""
    root = tmp_path / "proj[1]"
    root.mkdir()
    (root / "req[1].txt").write_text(
        "apache-airflow[celery]==2.10.1\nrequests[socks]>=2\nfoo[bar]\n", encoding="utf-8"
    )
    return root


def _header(f: dict[str, object]) -> str:
    where = f"{f['file']}:{f['line']}" if f["file"] and f["line"] else (f["file"] or "")
    lead = f"{where}  " if where else ""
    return f"{lead}{f['severity']}  {f['code']}  {f['subject']}"


def _blocks(text: str) -> list[list[str]]:
    """The finding blocks of the text output (separated by blank lines), summary dropped."""
    blocks = [b.splitlines() for b in text.strip().split("\n\n")]
    return blocks[:-1]


def test_brackets_in_requirements_and_paths_are_printed(bracket_project: Path) -> None:
    proc = _cli("doctor", "requirements", "req[1].txt", "--mwaa", "3.3.1", cwd=bracket_project)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert "req[1].txt:1  error  pin-conflict  apache-airflow[celery]==2.10.1" in lines
    assert "req[1].txt:2  warning  builtin-duplicate  requests[socks]>=2" in lines
    assert "req[1].txt:3  warning  unpinned  foo[bar]" in lines
    assert "`foo[bar]` is not pinned" in proc.stdout
    assert (
        lines[-1] == "doctor requirements req[1].txt (MWAA 3.3.1): 1 error(s), 3 warning(s), 1 info"
    )


def test_brackets_in_a_dag_path_are_printed(bracket_project: Path) -> None:
    helper = bracket_project / "dags" / "[team]" / "helper.py"
    helper.parent.mkdir(parents=True)
    helper.write_text('"""airflow dag helpers"""\nX = 1\n', encoding="utf-8")
    proc = _cli("doctor", "dags", "dags", "--mwaa", "3.3.1", cwd=bracket_project)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "dags/[team]/helper.py  warning  not-dag-file  dags/[team]/helper.py"
    assert lines[1] == (
        "    `dags/[team]/helper.py` defines no DAG but mentions `airflow` and `dag`, so"
    )


def test_text_is_one_block_per_finding_matching_json_at_80_columns() -> None:
    project = FIXTURES / "legacy_2_1_2"
    args = ("doctor", "requirements", "requirements.txt", "--mwaa", "2.0.2")
    found = json.loads(_cli(*args, "--format", "json", cwd=project).stdout)["findings"]
    proc = _cli(*args, cwd=project)
    assert proc.returncode == 1, proc.stderr
    blocks = _blocks(proc.stdout)
    assert len(found) == 42 and len(blocks) == len(found)
    for f, block in zip(found, blocks, strict=True):
        # the header is whole, on one line, even where it is wider than the terminal
        assert block[0] == _header(f)
        body = [line.removeprefix("    ") for line in block[1:]]
        assert all(line.startswith("    ") for line in block[1:]), block
        # every line fits, unless it is a single word too wide to break (a URL)
        assert all(len(line) <= 80 or " " not in line.strip() for line in block[1:]), block
        words = " ".join(body).split()
        assert words == f"{f['message']} hint: {f['hint']}".split()


def test_rendered_hint_keeps_extras_and_markup_like_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    finding = Finding(
        "missing-extra",
        Severity.ERROR,
        "[bold]pyspark[/bold]",
        "Spark is missing from `dags/[team]/etl.py`.",
        "pip install 'taxiway[spark]'",
        "dags/[team]/etl.py",
        3,
    )
    code = render.print_findings([finding], render.OutputFormat.text, "check [x]")
    out = capsys.readouterr().out
    assert code == 1
    assert "dags/[team]/etl.py:3  error  missing-extra  [bold]pyspark[/bold]" in out
    assert "Spark is missing from `dags/[team]/etl.py`." in out
    assert "hint: pip install 'taxiway[spark]'" in out
    assert "check [x]: 1 error(s), 0 warning(s), 0 info" in out


def test_tables_print_cells_as_given(capsys: pytest.CaptureFixture[str]) -> None:
    render.rows_as("table", ("name", "n"), [("apache-airflow[celery]", 3), ("[red]x[/]", None)])
    out = capsys.readouterr().out
    assert "apache-airflow[celery]" in out and "[red]x[/]" in out and "NULL" in out
