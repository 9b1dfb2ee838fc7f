"""The habits of linters: --select/--ignore, ignore comments, --quiet, --format github,
the project config's version and paths, a pre-commit hook, the summary at the end.

The CLI runs in this interpreter (``doctor_cli``), except the pre-commit hook, which runs
as pre-commit runs it: a fresh process."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]


def _project(projects: Path, tmp_path: Path, case: str = "one_cause") -> Path:
    dest = tmp_path / case
    shutil.copytree(projects / case, dest)
    return dest


def _codes(proc) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(f["code"] for f in json.loads(proc.stdout)["findings"])


def test_select_ignore_and_renamed_codes(doctor_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("doctor", "project", str(projects / "one_cause"), "--mwaa", "3.3.1", "--format", "json")
    only = doctor_cli(*args, "--select", "pin-conflict,duplicate-requirement")
    assert _codes(only) == ["duplicate-requirement", "pin-conflict"]
    assert only.returncode == 1
    # an old code still selects what it was merged into
    old = doctor_cli(*args, "--select", "builtin-conflict")
    assert _codes(old) == ["pin-conflict"]
    quiet_errors = doctor_cli(
        *args, "--ignore", "pin-conflict", "--ignore", "airflow3-removed,airflow-name-missing"
    )
    assert quiet_errors.returncode == 0, quiet_errors.stdout
    assert "pin-conflict" not in _codes(quiet_errors)
    bad = doctor_cli(*args, "--select", "no-such-code")
    assert bad.returncode == 2 and "Unknown finding code `no-such-code`" in bad.stderr


def test_ignore_comments_in_requirements_and_dags(  # type: ignore[no-untyped-def]
    doctor_cli, projects: Path, tmp_path: Path
) -> None:
    project = _project(projects, tmp_path)
    req = project / "requirements.txt"
    req.write_text(
        "boto3==1.35.36  # taxiway: ignore[constraint-conflict] pinned for the Q3 report\n"
        "rapidfuzz==3.9.0\n"
    )
    dag = project / "dags" / "daily.py"
    lines = dag.read_text().splitlines()
    lines[3] += "  # taxiway: ignore"
    dag.write_text("\n".join(lines) + "\n")
    proc = doctor_cli("doctor", "project", str(project), "--mwaa", "3.3.1", "--format", "json")
    found = {(f["code"], f["line"]) for f in json.loads(proc.stdout)["findings"]}
    assert ("pin-conflict", 1) not in found
    assert ("airflow-name-missing", 4) not in found
    assert ("airflow3-removed", 6) in found  # other lines are untouched


def test_quiet_prints_only_errors(doctor_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    proc = doctor_cli("doctor", "project", str(projects / "one_cause"), "--mwaa", "3.3.1", "-q")
    assert proc.returncode == 1
    headers = [ln for ln in proc.stdout.splitlines() if ln and not ln.startswith(" ")]
    assert headers == [
        "dags/daily.py:4  error  airflow-name-missing  airflow.utils.dates",
        "dags/daily.py:6  error  airflow3-removed  schedule_interval",
        "requirements.txt:1  error  pin-conflict  boto3==1.35.36",
    ]


def test_github_annotations_carry_paths_from_the_working_directory(  # type: ignore[no-untyped-def]
    doctor_cli, projects: Path
) -> None:
    folder = (projects / "one_cause").relative_to(REPO)
    proc = doctor_cli("doctor", "project", str(folder), "--mwaa", "3.3.1", "--format", "github")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 8
    head, message = lines[0].split("::", 2)[1:]
    assert (
        head
        == f"error file={folder}/dags/daily.py,line=4,title=airflow-name-missing%3A airflow.utils.dates"
    )
    # `:` stays as is in the message, `%` and newlines would be escaped
    assert message.startswith("`airflow.utils.dates` import fails when MWAA parses the file")
    assert "used on line(s) 6, 9, 12. hint: " in message
    assert any(ln.startswith("::warning file=") for ln in lines)
    assert "::notice title=layout%3A one_cause::Checked requirements" in proc.stdout


def test_text_output_ends_with_the_summary(doctor_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    proc = doctor_cli(
        "doctor", "project", str(projects / "dependencies_of_dependencies"), "--mwaa", "3.3.1"
    )
    tail = proc.stdout.strip().splitlines()[-3:]
    assert tail[0] == (
        "by code: not-builtin 6, import-unavailable 1, layout 1, missing-constraint 1, "
        "top-level-code 1"
    )
    assert tail[1] == "missing imports by module: polars 1"
    assert tail[2].endswith("(MWAA 3.3.1): 1 error(s), 2 warning(s), 7 info")


def test_version_and_paths_come_from_the_project_config(  # type: ignore[no-untyped-def]
    doctor_cli, projects: Path, tmp_path: Path
) -> None:
    project = _project(projects, tmp_path)
    no_version = doctor_cli("doctor", "project", str(project))
    assert no_version.returncode == 2
    assert "No target MWAA version: pass `--mwaa VERSION`" in no_version.stderr
    (project / "config").mkdir()
    (project / "requirements.txt").rename(project / "config" / "reqs.txt")
    (project / "taxiway.toml").write_text('mwaa = "3.3.1"\nrequirements = "config/reqs.txt"\n')
    proc = doctor_cli("doctor", "project", str(project), "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["mwaa_version"] == "3.3.1"
    assert ("pin-conflict", "config/reqs.txt", 1) in {
        (f["code"], f["file"], f["line"]) for f in doc["findings"]
    }
    # --mwaa wins over the file
    other = doctor_cli("doctor", "project", str(project), "--mwaa", "2.11.2", "--format", "json")
    assert json.loads(other.stdout)["mwaa_version"] == "2.11.2"
    # the single-part commands read the config of the folder they run in
    dags = doctor_cli("doctor", "dags", "dags", "--format", "json", cwd=project)
    assert json.loads(dags.stdout)["mwaa_version"] == "3.3.1"


def test_pre_commit_hook_runs_the_doctor(taxiway_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "taxiway-doctor" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for changed in ("requirements.txt", "dags/etl.py", "startup.sh", "dags/.airflowignore"):
        assert files.search(changed), changed
    assert not files.search("README.md")
    command = hook["entry"].split()[1:] + hook["args"] + ["--mwaa", "3.3.1"]
    # as pre-commit runs it: a fresh `taxiway` process in the project's root
    proc = taxiway_cli(*command, cwd=projects / "clean")
    assert proc.returncode == 0, proc.stdout + proc.stderr
