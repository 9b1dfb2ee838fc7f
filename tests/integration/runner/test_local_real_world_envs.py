"""`local test` on habits of real projects: Variables read at parse time, import names the
doctor cannot map to a distribution (the DagBag's verdict wins)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taxiway.runner.check import load_variables, local_test

PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "local_projects"


def test_variables_reach_the_dagbag_and_it_overrides_static_import_guesses(
    local_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One Variable from the environment (AIRFLOW_VAR_*), one from an `airflow variables
    # export` file (a JSON Variable, read with deserialize_json=True).
    monkeypatch.setenv("AIRFLOW_VAR_REPORTS_BUCKET", "acme")
    exported = tmp_path / "variables.json"
    exported.write_text(json.dumps({"pipeline_config": {"tables": ["a", "b", "a"]}}))
    report = local_test(
        PROJECTS / "parse_time_variables",
        "3.3.1",
        cache=local_cache,
        variables=load_variables(exported),
    )
    codes = [f.code for f in report.findings]
    assert "dag-import-error" not in codes, [f.message for f in report.findings]
    assert report.imports is not None and report.imports.dag_ids == ["reports_acme"]
    assert [(s.dags, s.tasks) for s in report.imports.files] == [(1, 2)]
    # The doctor's guesses that `humps` is not installed (module level, and inside a task)
    # were dropped: the environment's own metadata says `pyhumps` provides `humps`.
    assert not [f for f in report.findings if f.code == "import-unavailable"]
    (verified,) = [f for f in report.findings if f.code == "import-verified"]
    assert "`humps` (dags/reads_variables.py:6)" in verified.message
    assert "`humps.main` (dags/reads_variables.py:18)" in verified.message
    assert report.findings and all(f.severity.value != "error" for f in report.findings)


def test_without_the_variables_the_dag_fails_to_import(local_cache: Path) -> None:
    report = local_test(
        PROJECTS / "parse_time_variables", "3.3.1", cache=local_cache, with_doctor=True
    )
    errors = [f for f in report.findings if f.code == "dag-import-error"]
    assert len(errors) == 1 and "reports_bucket" in errors[0].message
    # The file failed in the DagBag, but the installed metadata still vouches for `humps`.
    assert not [f for f in report.findings if f.code == "import-unavailable"]
