"""`taxiway local test` against real environments for MWAA 2.11.2 and 3.3.1."""

from __future__ import annotations

import json
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


# how long a parse takes says how loaded this machine is, not what the project holds
MACHINE_SPEED = {"dag-parse-slow"}


def _codes(report: LocalReport, severity: Severity) -> list[tuple[str, str, int | None]]:
    return sorted(
        (f.code, f.file or f.subject, f.line)
        for f in report.findings
        if f.severity is severity and f.code not in MACHINE_SPEED
    )


def test_good_broken_and_syntax_error_dags_give_exactly_those_findings(
    run_local: Run, mwaa_version: str
) -> None:
    report = run_local("mixed", mwaa_version)
    assert _codes(report, Severity.ERROR) == [
        ("dag-import-error", "dags/broken_import.py", 6),
        ("dag-import-error", "dags/syntax_error.py", 6),
    ]
    assert _codes(report, Severity.WARNING) == []
    errors = {f.file: f.message for f in report.findings if f.severity is Severity.ERROR}
    assert "No module named 'not_installed_anywhere'" in errors["dags/broken_import.py"]
    assert "SyntaxError" in errors["dags/syntax_error.py"]
    assert report.imports is not None
    # .airflowignore keeps scratch_ignored.py out, as on MWAA
    assert [f.file for f in report.imports.files] == [
        "broken_import.py",
        "good.py",
        "syntax_error.py",
    ]
    good = next(f for f in report.imports.files if f.file == "good.py")
    assert (good.dags, good.tasks) == (1, 2)
    assert 0 < good.seconds < 5
    assert report.imports.dag_ids == ["good"]


def test_impossible_pin_is_an_install_failure_naming_the_package(
    run_local: Run, mwaa_version: str
) -> None:
    report = run_local("impossible_pin", mwaa_version)
    (failure,) = [f for f in report.findings if f.severity is Severity.ERROR]
    assert failure.code == "install-failed"
    assert failure.subject == "requirements.txt"
    assert "flask==0.12.5" in failure.message
    # the DAGs are still imported, in an environment without the line that does not install
    (partial,) = [f for f in report.findings if f.code == "install-partial"]
    assert partial.line == 3 and "flask==0.12.5" in partial.message
    assert report.env is not None and report.env.partial is not None
    assert report.env.partial.left_out == ((3, "flask==0.12.5"),)
    assert report.imports is not None


def test_plugin_with_a_bad_import_is_reported(run_local: Run, mwaa_version: str) -> None:
    report = run_local("plugin_error", mwaa_version)
    assert _codes(report, Severity.ERROR) == [
        ("plugin-import-error", "plugins/broken_plugin.py", None)
    ]
    (err,) = [f for f in report.findings if f.code == "plugin-import-error"]
    assert "not_installed_plugin_dependency" in err.message
    assert report.imports is not None and report.imports.plugins == ["fine_plugin"]


def test_failing_startup_script_is_reported_with_reserved_export(
    run_local: Run, mwaa_version: str
) -> None:
    report = run_local("startup_fails", mwaa_version)
    assert _codes(report, Severity.ERROR) == [("startup-failed", "startup.sh", None)]
    assert _codes(report, Severity.WARNING) == [("startup-reserved-variable", "startup.sh", None)]
    (failed,) = [f for f in report.findings if f.code == "startup-failed"]
    assert "status 3" in failed.message
    assert "/definitely/not/here" in failed.message


def test_second_run_hits_the_cache(run_local: Run, mwaa_version: str, local_cache: Path) -> None:
    first = run_local("mixed", mwaa_version)
    assert first.env is not None
    marker = first.env.root / "taxiway-env.json"
    built_at = marker.stat().st_mtime_ns
    second = local_test(PROJECTS / "mixed", mwaa_version, cache=local_cache, with_doctor=False)
    assert second.env is not None and second.env.cached is True
    assert second.env.root == first.env.root
    assert any(f.code == "environment-reused" for f in second.findings)
    assert marker.stat().st_mtime_ns == built_at  # nothing was installed again
    # same project, other requirements-free layout -> the very same environment is shared
    other = run_local("plugin_error", mwaa_version)
    assert other.env is not None and other.env.root == first.env.root


def test_cli_exit_codes_and_json_include_doctor_findings(run_local: Run, local_cache: Path) -> None:
    run_local("mixed", "3.3.1")  # build once through the fixture
    env = {**os.environ, "TAXIWAY_CACHE_DIR": str(local_cache)}
    cmd = [sys.executable, "-m", "taxiway.cli.app", "local", "test"]
    out = subprocess.run(
        [*cmd, str(PROJECTS / "mixed"), "--mwaa", "3.3.1", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    codes = {f["code"] for f in doc["findings"]}
    assert {"dag-import-error", "environment-reused", "dags-imported"} <= codes
    # the doctor's static parse of the same syntax error comes along
    assert codes - {
        "dag-import-error",
        "environment-reused",
        "dags-imported",
    }, "expected the doctor's static findings in the report"
    assert doc["environment"]["cached"] is True
    assert {f["file"] for f in doc["files"]} == {"broken_import.py", "good.py", "syntax_error.py"}

    bad = subprocess.run(
        [*cmd, str(PROJECTS / "impossible_pin"), "--mwaa", "3.3.1", "--no-doctor", "--format=json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert bad.returncode == 1
    bad_codes = [f["code"] for f in json.loads(bad.stdout)["findings"]]
    assert [c for c in bad_codes if c.startswith("install-")] == [
        "install-failed",
        "install-partial",
    ]

    usage = subprocess.run(
        [*cmd, str(PROJECTS / "mixed"), "--mwaa", "9.9.9"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert usage.returncode == 2
    assert "9.9.9" in usage.stderr


def test_rebuild_ignores_the_cache(run_local: Run, local_cache: Path) -> None:
    first = run_local("startup_fails", "3.3.1")
    assert first.env is not None
    marker = first.env.root / "taxiway-env.json"
    built_at = json.loads(marker.read_text())["built_at"]
    again = local_test(
        PROJECTS / "startup_fails", "3.3.1", cache=local_cache, rebuild=True, with_doctor=False
    )
    assert again.env is not None and again.env.cached is False
    assert again.env.root == first.env.root
    assert json.loads(marker.read_text())["built_at"] > built_at
    assert any(f.code == "environment-built" for f in again.findings)
