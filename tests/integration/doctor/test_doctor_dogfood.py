"""Dogfood: the repository's own dags/ need nothing MWAA does not ship."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxiway.doctor import check_project
from taxiway.doctor.project import find_layout
from taxiway.findings import Severity

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("version", ["3.3.1", "2.11.2"])
def test_repo_dags_need_no_extra_requirement(version: str) -> None:
    layout = find_layout(REPO)
    assert layout.dags == REPO / "dags"
    dag_files = [p for p in (REPO / "dags").rglob("*.py") if "__pycache__" not in p.parts]
    assert dag_files, "dags/ holds no DAG file yet"
    findings = check_project(REPO, version)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert errors == [], "\n".join(f"{f.code} {f.file}:{f.line} {f.message}" for f in errors)
    # nothing the DAG files import at parse time is missing from MWAA's image
    parse_time = [
        f for f in findings if f.code == "import-unavailable" and f.severity is Severity.ERROR
    ]
    assert parse_time == []
    # task-time imports may only be the local target's own `taxiway` package
    task_time = {f.subject.split(".")[0] for f in findings if f.code == "import-unavailable"}
    assert task_time <= {"taxiway"}
