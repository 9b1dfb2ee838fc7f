"""MWAA's order for real: startup.sh in the sandbox first, its exports in the DAG import,
one DAG at a time, any command in the built environment.

The `startup_sandbox` project's script installs with `sudo yum`, writes outside the project,
tries the network, writes a config file into AIRFLOW_HOME and exports `DATA_BUCKET`; its DAG
reads both at parse time and fails to import without them. Environments come from the
session cache (the same requirements as `mixed`: no extra build).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from taxiway.findings import Severity
from taxiway.runner.check import LocalReport, local_test

pytestmark = pytest.mark.integration

Run = Callable[[str, str], LocalReport]
PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "local_projects"
OUTSIDE = Path("/etc/taxiway-startup-was-here")


def _tree(path: Path) -> dict[str, float]:
    return {str(p.relative_to(path)): p.stat().st_mtime for p in path.rglob("*")}


def test_startup_runs_first_in_the_sandbox_and_its_exports_reach_the_import(
    run_local: Run, mwaa_version: str
) -> None:
    project = PROJECTS / "startup_sandbox"
    before = _tree(project)
    report = run_local("startup_sandbox", mwaa_version)
    assert [f for f in report.findings if f.severity is Severity.ERROR] == []
    # the export and the file the script wrote into AIRFLOW_HOME reached the DagBag
    assert report.imports is not None and report.imports.dag_ids == ["reads_startup"]
    assert [(f.file, f.dags, f.tasks) for f in report.imports.files] == [("reads_startup.py", 1, 2)]
    assert report.sandboxed and report.startup is not None and report.startup.sandboxed
    assert "cannot write /etc (read-only)" in report.startup.output_tail
    assert "network: no" in report.startup.output_tail
    codes = {f.code: f for f in report.findings}
    assert "libaio" in codes["startup-system-packages"].message
    assert codes["startup-reserved-variable"].subject == "AIRFLOW_HOME"  # ignored, as on MWAA
    assert report.timings["startup"] < report.timings["imports"]
    # the host is unchanged: nothing outside, nothing in the project (no __pycache__ either)
    assert not OUTSIDE.exists()
    assert _tree(project) == before


def test_without_the_startup_script_the_dag_misses_its_exports(local_cache: Path) -> None:
    report = local_test(
        PROJECTS / "startup_sandbox",
        "3.3.1",
        cache=local_cache,
        with_doctor=False,
        startup_mode="skip",
    )
    (error,) = [f for f in report.findings if f.severity is Severity.ERROR]
    assert error.code == "dag-import-error" and "DATA_BUCKET" in error.message
    assert [f.code for f in report.findings if f.code.startswith("startup-")] == ["startup-skipped"]


def test_one_dag_file_or_one_dag_id(run_local: Run, local_cache: Path) -> None:
    run_local("mixed", "3.3.1")  # the environment, built once
    by_file = local_test(
        PROJECTS / "mixed", "3.3.1", cache=local_cache, dag_file=Path("dags/good.py")
    )
    assert by_file.imports is not None
    assert [f.file for f in by_file.imports.files] == ["good.py"]
    assert by_file.imports.dag_ids == ["good"]
    files = {f.file for f in by_file.findings if f.file}
    assert not any("broken_import" in f or "syntax_error" in f for f in files), files
    assert [f for f in by_file.findings if f.severity is Severity.ERROR] == []

    by_id = local_test(
        PROJECTS / "mixed", "3.3.1", cache=local_cache, with_doctor=False, dag_id="good"
    )
    assert by_id.imports is not None and by_id.imports.dag_ids == ["good"]
    assert [f.file for f in by_id.imports.files] == ["good.py"]
    assert [f for f in by_id.findings if f.severity is Severity.ERROR] == []

    unknown = local_test(
        PROJECTS / "mixed", "3.3.1", cache=local_cache, with_doctor=False, dag_id="nope"
    )
    errors = sorted(f.code for f in unknown.findings if f.severity is Severity.ERROR)
    assert errors == ["dag-import-error", "dag-import-error", "dag-not-found"]


def test_local_run_dags_test_sees_the_startup_exports(run_local: Run, local_cache: Path) -> None:
    run_local("startup_sandbox", "2.11.2")  # the environment, built once
    out = subprocess.run(
        [
            *(sys.executable, "-m", "taxiway.cli.app", "local", "run"),
            str(PROJECTS / "startup_sandbox"),
            *("--mwaa", "2.11.2", "--"),
            *("airflow", "dags", "test", "reads_startup", "2026-01-01"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TAXIWAY_CACHE_DIR": str(local_cache)},
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    logs = out.stdout + out.stderr
    assert "loading orders into reports-from-startup" in logs
    assert "loading customers into reports-from-startup" in logs
    assert "startup-system-packages" in out.stderr  # the startup findings, on stderr
    assert not OUTSIDE.exists()
