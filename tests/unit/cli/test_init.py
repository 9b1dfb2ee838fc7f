"""`taxiway init`: the files it writes, per MWAA version, and its refusal to overwrite.

Run through the CLI's entry point (``main``) in this process, as a user's shell would run
``taxiway init``; the doctor then checks the scaffold of every supported version offline.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from taxiway import mwaa, projectfile
from taxiway.cli.app import main

REPO = Path(__file__).resolve().parents[3]
FILES = [
    ".github/workflows/taxiway.yml",
    ".pre-commit-config.yaml",
    "dags/.airflowignore",
    "dags/orders_etl_example.py",
    "requirements.txt",
    "startup.sh",
    "taxiway.toml",
]
SUPPORTED = [v for v in mwaa.versions() if mwaa.release(v).supported]


def taxiway(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """``taxiway <args>``: (exit code, stdout, stderr)."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["taxiway", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_default_is_the_newest_supported_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "Orders ETL"
    code, _, err = taxiway(["init", str(project)], capsys, monkeypatch)
    assert code == 0, err
    assert files_in(project) == FILES
    newest = mwaa.latest()
    assert newest == SUPPORTED[-1]
    assert projectfile.load(project).mwaa == newest
    release = mwaa.release(newest)
    lines = (project / "requirements.txt").read_text().splitlines()
    assert [ln for ln in lines if not ln.startswith("#")] == [release.constraints_line]
    dag = (project / "dags/orders_etl_example.py").read_text()
    assert "from airflow.sdk import dag, task" in dag  # newest is Airflow 3
    assert 'dag_id="orders_etl_example"' in dag
    assert (project / "startup.sh").stat().st_mode & 0o111
    assert (project / "dags/.airflowignore").read_text().splitlines()[-1] == "*_test.py"
    assert err.count("created ") == len(FILES)
    assert f"New MWAA {newest} project" in err


def test_an_airflow_2_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "orders_etl"
    code, _, err = taxiway(["init", str(project), "--mwaa", "2.10.3"], capsys, monkeypatch)
    assert code == 0, err
    assert files_in(project) == FILES
    assert tomllib.loads((project / "taxiway.toml").read_text()) == {"mwaa": "2.10.3"}
    req = (project / "requirements.txt").read_text()
    assert (
        "-c https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/"
        "constraints-3.11.txt\n" in req
    )
    dag = (project / "dags/orders_etl_example.py").read_text()
    assert "from airflow.decorators import dag, task" in dag and "airflow.sdk" not in dag
    assert (project / "dags/.airflowignore").read_text().splitlines()[-1] == r".*_test\.py$"
    workflow = yaml.safe_load((project / ".github/workflows/taxiway.yml").read_text())
    steps = workflow["jobs"]["mwaa"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "taxiway doctor project . --format github" in runs
    assert "taxiway local test ." in runs
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"


def test_pre_commit_config_uses_the_repository_hook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, _ = taxiway(["init", str(tmp_path / "p")], capsys, monkeypatch)
    assert code == 0
    config = yaml.safe_load((tmp_path / "p/.pre-commit-config.yaml").read_text())
    hooks = [h["id"] for repo in config["repos"] for h in repo["hooks"]]
    shipped = {h["id"] for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert hooks == ["taxiway-doctor"] and set(hooks) <= shipped


def test_refuses_to_overwrite_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "orders_etl"
    (project / "dags").mkdir(parents=True)
    (project / "requirements.txt").write_text("toolz==1.0.0\n")
    (project / "dags/.airflowignore").write_text("scratch\n")
    code, out, err = taxiway(["init", str(project)], capsys, monkeypatch)
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: 2 file(s) of the new project already exist")
    assert "--force" in lines[0]
    assert sorted(ln.strip() for ln in lines[1:]) == ["dags/.airflowignore", "requirements.txt"]
    assert files_in(project) == ["dags/.airflowignore", "requirements.txt"]
    assert (project / "requirements.txt").read_text() == "toolz==1.0.0\n"


def test_force_replaces_only_the_scaffold_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "orders_etl"
    (project / "dags").mkdir(parents=True)
    (project / "requirements.txt").write_text("toolz==1.0.0\n")
    (project / "dags/mine.py").write_text("x = 1\n")
    code, _, err = taxiway(["init", str(project), "--force"], capsys, monkeypatch)
    assert code == 0, err
    assert files_in(project) == sorted([*FILES, "dags/mine.py"])
    assert (project / "dags/mine.py").read_text() == "x = 1\n"
    assert "toolz" not in (project / "requirements.txt").read_text()
    assert err.count("replaced ") == 1 and err.count("created ") == len(FILES) - 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--mwaa", "9.9.9"], "error: Unknown MWAA version `9.9.9`"),
        (["--mwaa", "2.0.2"], "error: MWAA 2.0.2 is past end of support"),
    ],
)
def test_bad_versions_are_usage_errors(
    args: list[str],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = taxiway(["init", str(tmp_path / "p"), *args], capsys, monkeypatch)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith(expected)
    assert not (tmp_path / "p").exists()


def test_a_file_in_the_way_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p").write_text("")
    code, _, err = taxiway(["init", str(tmp_path / "p")], capsys, monkeypatch)
    assert code == 2 and err.startswith("error: `") and "is a file" in err


@pytest.mark.parametrize("version", SUPPORTED)
def test_the_scaffold_passes_the_doctor(
    version: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every supported version's scaffold: no error and no warning from the doctor."""
    project = tmp_path / "orders_etl"
    assert taxiway(["init", str(project), "--mwaa", version], capsys, monkeypatch)[0] == 0
    monkeypatch.chdir(project)
    code, out, err = taxiway(["doctor", "project", ".", "--format", "json"], capsys, monkeypatch)
    report = json.loads(out)
    assert code == 0, out + err
    assert report["mwaa_version"] == version  # read from the scaffold's taxiway.toml
    assert report["summary"]["error"] == 0 and report["summary"]["warning"] == 0, out
