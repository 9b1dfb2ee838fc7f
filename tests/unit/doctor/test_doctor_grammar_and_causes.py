"""The target's grammar decides what parses; one cause gives one finding."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from taxiway import mwaa
from taxiway.doctor.dags import check_dags
from taxiway.doctor.project import check_layout, find_layout, import_context
from taxiway.findings import breakdown

HOST_PARSES_PEP_701 = sys.version_info >= (3, 12)


def _dags(project: Path, version: str) -> set[tuple[str, str, str | None, int | None]]:
    target = mwaa.release(version)
    dags = project / "dags"
    context = import_context(target, None, dags, None)
    return {(f.code, f.severity.value, f.file, f.line) for f in check_dags(dags, target, context)}


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        # MWAA 3.3.1 runs Python 3.12, which parses PEP 701 f-strings
        ("3.3.1", set() if HOST_PARSES_PEP_701 else {("parse-skipped", "info", "dags/sql.py", 7)}),
        # MWAA 2.10.3 runs Python 3.11: the same line is a syntax error there
        ("2.10.3", {("parse-error", "error", "dags/sql.py", 7)}),
        # MWAA 2.0.2 runs Python 3.7: no assignment expressions either
        (
            "2.0.2",
            {
                ("parse-error", "error", "dags/sql.py", 7),
                ("parse-error", "error", "dags/counts.py", 5),
            },
        ),
    ],
)
def test_files_are_parsed_with_the_targets_grammar(
    projects: Path, version: str, expected: set[tuple[str, str, str, int]]
) -> None:
    assert _dags(projects / "target_grammar", version) == expected


def test_the_parse_error_names_the_target_python(projects: Path) -> None:
    target = mwaa.release("2.10.3")
    dags = projects / "target_grammar" / "dags"
    (error,) = check_dags(dags, target, import_context(target, None, dags, None))
    assert error.message == (
        "Python 3.11 cannot parse `dags/sql.py`: Cannot reuse outer quote character in "
        "f-strings on Python 3.11 (syntax was added in Python 3.12)."
    )


def test_one_cause_one_finding(projects: Path) -> None:
    findings = check_layout(find_layout(projects / "one_cause"), mwaa.release("3.3.1"))
    rows = sorted((f.code, f.file or "", f.line or 0) for f in findings if f.code != "layout")
    assert rows == [
        # `days_ago` is gone: the import fails, and its three uses are listed there
        ("airflow-name-missing", "dags/daily.py", 4),
        ("airflow3-moved", "dags/daily.py", 6),  # `airflow.DAG`, three uses
        ("airflow3-removed", "dags/daily.py", 6),  # `schedule_interval`, three uses
        ("duplicate-requirement", "requirements.txt", 3),  # not a second pin-conflict
        ("missing-constraint", "requirements.txt", 0),
        ("not-builtin", "requirements.txt", 2),
        ("pin-conflict", "requirements.txt", 1),
    ]
    by_code = {f.code: f for f in findings}
    assert by_code["airflow-name-missing"].message.endswith("used on line(s) 6, 9, 12.")
    assert by_code["airflow3-removed"].message.endswith("used on lines 6, 9, 12.")
    # AIR311's own text contradicts itself ("is removed ...; It still works"): say it once
    assert by_code["airflow3-moved"].message.startswith(
        "`airflow.DAG` is deprecated in Airflow 3.0: it still works, through a compatibility"
    )
    counts = breakdown(findings)["by_code"]
    assert sum(counts.values()) == len(findings)
    assert counts["pin-conflict"] == 1
