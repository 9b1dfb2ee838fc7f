"""The `taxiway doctor` CLI end to end: formats, exit codes 0/1/2, --fix."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from taxiway import mwaa


def test_versions_lists_every_version_as_json(taxiway_cli) -> None:  # type: ignore[no-untyped-def]
    proc = taxiway_cli("doctor", "versions", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["mwaa"] for r in rows] == mwaa.versions()
    assert len(rows) == 16
    by_version = {r["mwaa"]: r for r in rows}
    assert by_version["3.3.1"]["python"] == "3.12.13"
    assert by_version["2.0.2"]["status"].startswith("EOS")


def test_clean_project_exits_0(taxiway_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    proc = taxiway_cli("doctor", "project", str(projects / "clean"), "--mwaa", "3.3.1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 error(s), 0 warning(s), 1 info" in proc.stdout  # the layout notice


def test_legacy_requirements_json_and_fix(taxiway_cli, projects: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "requirements.min.txt"
    req = projects / "legacy_2_1_2" / "requirements.txt"
    proc = taxiway_cli("doctor", "requirements", str(req), "--mwaa", "2.0.2", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    # 2.0.2 applies no constraints without a -c line (a warning): pins that replace Airflow
    # or a built-in provider are errors, the 15 other conflicting pins warnings
    assert doc["summary"] == {"error": 2, "warning": 35, "info": 5}
    assert doc["by_code"]["pin-conflict"] == 17
    assert sum(doc["by_code"].values()) == len(doc["findings"])
    assert doc["mwaa_version"] == "2.0.2" and doc["python"] == "3.7"
    assert doc["findings"][0]["severity"] == "error"
    # --fix reports (and exits with) what is left in the fixed file: no error
    fixed = taxiway_cli(
        "doctor", "requirements", str(req), "--mwaa", "2.0.2", "--format", "json",
        "--fix", str(out), "--unsafe-fixes",
    )  # fmt: skip
    assert fixed.returncode == 0, fixed.stdout
    left = json.loads(fixed.stdout)
    assert left["summary"] == {"error": 0, "warning": 1, "info": 12}
    assert left["by_code"] == {"not-builtin": 12, "unpinned": 1}
    c_lines = [ln for ln in out.read_text().splitlines() if ln.startswith("-c ")]
    assert c_lines == [mwaa.release("2.0.2").constraints_line]
    assert "wrote" in fixed.stderr and str(out) in fixed.stderr


def test_junit_and_markdown(taxiway_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("doctor", "startup", str(projects / "startup_bad" / "startup.sh"), "--mwaa", "3.3.1")
    junit = taxiway_cli(*args, "--format", "junit")
    assert junit.returncode == 1
    suite = ET.fromstring(junit.stdout).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("5", "4")
    md = taxiway_cli(*args, "--format", "markdown")
    assert md.stdout.startswith("# doctor startup")
    assert "## Errors (4)" in md.stdout and "## Warnings (1)" in md.stdout
    assert "| `reserved-env-var` | AIRFLOW_HOME | startup.sh:3 |" in md.stdout


def test_text_table_has_hints(taxiway_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    proc = taxiway_cli(
        "doctor", "plugins", str(projects / "plugins_folder" / "plugins"), "--mwaa", "3.3.1"
    )
    assert proc.returncode == 1
    assert "plugin-ui-unsupported" in proc.stdout and "hint" in proc.stdout
    assert "3 error(s), 2 warning(s), 1 info" in proc.stdout


def test_usage_errors_exit_2(taxiway_cli, projects: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unknown = taxiway_cli("doctor", "project", str(projects / "clean"), "--mwaa", "9.9.9")
    assert unknown.returncode == 2
    assert "Unknown MWAA version `9.9.9`" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    missing = taxiway_cli("doctor", "requirements", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    empty = taxiway_cli("doctor", "project", str(tmp_path))
    assert empty.returncode == 2 and "has no requirements.txt" in empty.stderr
    no_dags = taxiway_cli("doctor", "dags", str(tmp_path / "dags"))
    assert no_dags.returncode == 2


def test_dags_command_counts_requirements(taxiway_cli, projects: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dags = projects / "mwaa_2_10_3" / "dags"
    alone = taxiway_cli("doctor", "dags", str(dags), "--mwaa", "2.10.3", "--format", "json")
    subjects = {f["subject"] for f in json.loads(alone.stdout)["findings"]}
    assert {"snowflake.connector", "airflow.providers.apache.livy.operators.livy"} <= subjects
    req = projects / "mwaa_2_10_3" / "requirements.txt"
    with_req = taxiway_cli(
        "doctor", "dags", str(dags), "--mwaa", "2.10.3", "-r", str(req), "--format", "json"
    )
    codes = {f["code"] for f in json.loads(with_req.stdout)["findings"]}
    assert codes == {"livy-operator"}
    assert with_req.returncode == 0
