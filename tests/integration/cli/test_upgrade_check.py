"""`taxiway upgrade-check` on a project that breaks on Airflow 3, both ways, as users run it.

The fixture (tests/fixtures/upgrade_projects/README.md says what each file does where) is
checked on MWAA 2.11.2 and 3.3.1 with real environments (shared with this folder's init
tests, built once per session), then statically from an Airflow version MWAA does not run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

TAXIWAY = Path(sys.executable).parent / "taxiway"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "upgrade_projects"
PROJECT = FIXTURES / "breaks_on_3"


@pytest.fixture(scope="session")
def local_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner cache of this folder's tests (the same path test_init_scaffold uses)."""
    path = tmp_path_factory.getbasetemp() / "cli-local-cache"
    path.mkdir(exist_ok=True)
    return path


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TAXIWAY), "upgrade-check", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


def changes(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {r["name"]: r["change"] for r in rows}


def test_up_to_airflow_3(local_cache: Path) -> None:
    args = [str(PROJECT), "--from", "2.11.2", "--to", "3.3.1", "--format", "json"]
    proc = run([*args, "--cache-dir", str(local_cache)])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["direction"] == "up"
    assert changes(report["dags"]) == {
        "legacy_bash.py": "broken",
        "python_callable.py": "broken",
        "portable.py": "same",
        "sdk_only.py": "fixed",
    }
    broken = {r["name"]: r["detail"] for r in report["dags"] if r["change"] == "broken"}
    assert "No module named 'airflow.operators.bash_operator'" in broken["legacy_bash.py"]
    assert "schedule_interval" in broken["python_callable.py"]
    assert report["requirements"] == [
        {
            "name": "requirements.txt:2 humanize==4.15.0",
            "from": "installs",
            "to": "does not install",
            "change": "no-longer-installs",
        }
    ]
    # 2 DAG files + 1 line; the doctor's errors about them are not counted a second time
    assert (report["regressions"], report["new_errors"]) == (3, 0)
    appeared = {
        (f["code"], f["file"], f["line"]) for f in report["findings"] if f["change"] == "appeared"
    }
    assert ("airflow3-removed", "dags/python_callable.py", 13) in appeared
    assert ("pin-conflict", "requirements.txt", 2) in appeared
    gone = {(f["code"], f["file"]) for f in report["findings"] if f["change"] == "gone"}
    assert ("deprecated-import", "dags/legacy_bash.py") in gone
    packages = {r["name"]: (r["from"], r["to"], r["change"]) for r in report["packages"]}
    assert packages["apache-airflow"] == ("2.11.2", "3.3.1", "changed")
    assert packages["humanize"] == ("4.15.0", "4.16.0", "changed")
    assert packages["apache-airflow-providers-standard"] == ("-", "1.17.0", "added")
    assert packages["apache-airflow-providers-sqlite"] == ("4.3.0", "-", "removed")
    assert report["from"]["mwaa"] and report["to"]["mwaa"]


def test_down_from_airflow_3() -> None:
    """The same project moved down, statically (the doctor alone, offline): what breaks
    is the Airflow 3 file, and the pin the 3.3.1 constraints refused fits 2.11.2's."""
    proc = run([str(PROJECT), "--from", "3.3.1", "--to", "2.11.2", "--static", "--format", "json"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["direction"] == "down"
    assert report["dags"] == []  # not imported: static
    appeared = [(f["code"], f["file"]) for f in report["findings"] if f["change"] == "appeared"]
    assert ("import-unavailable", "dags/sdk_only.py") in appeared
    gone = {(f["code"], f["file"]) for f in report["findings"] if f["change"] == "gone"}
    assert {
        ("airflow3-removed", "dags/python_callable.py"),
        ("pin-conflict", "requirements.txt"),
    } <= gone
    assert changes(report["requirements"]) == {
        "requirements.txt:2 humanize==4.15.0": "now-installs"
    }
    errors = [
        f for f in report["findings"] if f["change"] == "appeared" and f["severity"] == "error"
    ]
    assert report["regressions"] == len(errors) == 1
    assert "DAG imports on 3.3.1: static check (`--static`)." in report["not_compared"]


def test_table_and_a_non_mwaa_from_version() -> None:
    """From a self-built Airflow 2.10.2 (its freeze as constraints), the doctor only: the
    text report says what it could not compare and exits 1 for the two new errors."""
    proc = run(
        [
            str(PROJECT),
            "--from",
            "2.10.2",
            "--from-constraints",
            str(FIXTURES / "freeze-2.10.2.txt"),
            "--to",
            "3.3.1",
            "--static",
        ]
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "2.10.2 (Airflow, not MWAA) -> 3.3.1 (MWAA), up" in out
    for title in ("Findings that appear on 3.3.1", "Requirement lines", "Built-in Airflow"):
        assert title in out
    assert "not compared: Airflow 2.10.2 is not an MWAA version" in out
    assert "not compared: DAG imports on 2.10.2: static check" in out
    assert "2 regression(s) moving 2.10.2 -> 3.3.1: 0 DAG file(s) stop importing, 2 other" in out
    amazon = next(ln for ln in out.splitlines() if "apache-airflow-providers-amazon " in ln)
    assert "8.28.0" in amazon and "9.34.0" in amazon  # the freeze's pin, MWAA 3.3.1's built-in


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2.11.2", "--to", "9.9.9"], "error: `--to 9.9.9` is not an MWAA version"),
        (["--from", "two", "--to", "3.3.1"], "error: `--from two` is not an Airflow version"),
        (["--to", "3.3.1"], "error: No `--from` version"),
        (
            ["--from", "2.11.2", "--to", "3.3.1", "--from-python", "3.8"],
            "error: MWAA 2.11.2 has its own Python",
        ),
        (["--from", "2.11.2", "--to", "3.3.1", "--format", "csv"], "error: Unknown format"),
        (["--from", "2.11.2"], "error: Missing option '--to'"),
    ],
)
def test_usage_errors(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One line and exit 2, before any work (run in this process: no environment needed)."""
    from taxiway.cli.app import main

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["taxiway", "upgrade-check", str(PROJECT), *args, "--static"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(message), err
