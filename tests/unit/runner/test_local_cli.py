"""The `taxiway local` command surface, without building anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from taxiway.cli.app import app

runner = CliRunner()


def test_local_lists_its_commands() -> None:
    result = runner.invoke(app, ["local", "--help"])
    assert result.exit_code == 0
    for command in ("test", "start", "run", "envs", "prune", "package-requirements"):
        assert command in result.output


def test_test_command_documents_its_options() -> None:
    result = runner.invoke(app, ["local", "test", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in (
        "--mwaa",
        "--format",
        "--rebuild",
        "--python",
        "--cache-dir",
        "--dag-file",
        "--dag-id",
        "--no-startup",
        "--unsafe-host-startup",
        "--startup-network",
    ):
        assert option in result.output
    start = runner.invoke(app, ["local", "start", "--help"], env={"COLUMNS": "200"})
    assert "--host" in start.output and "127.0.0.1" in start.output


def test_unknown_version_and_missing_project_exit_2_with_one_line() -> None:
    cmd = [sys.executable, "-m", "taxiway.cli.app", "local", "test"]
    out = subprocess.run([*cmd, ".", "--mwaa", "9.9.9"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "`9.9.9`" in out.stderr
    out = subprocess.run(
        [*cmd, "/nonexistent/project", "--mwaa", "3.3.1"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "`/nonexistent/project`" in out.stderr


def test_local_cli_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, taxiway.cli.local; "
        "heavy = [m for m in ('airflow', 'duckdb', 'pyspark', 'boto3', 'libcst') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_mwaa_and_paths_default_from_the_project_config(tmp_path: Path) -> None:
    from taxiway.cli.local import _target

    (tmp_path / "dags").mkdir()
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "reqs.txt").write_text("toolz\n")
    (tmp_path / "taxiway.toml").write_text(
        'mwaa = "2.11.2"\nrequirements = "requirements/reqs.txt"\n'
    )
    target = _target(tmp_path, None, (None, None, None, None))
    assert target.version == "2.11.2"
    assert target.layout.requirements == (tmp_path / "requirements" / "reqs.txt").resolve()
    assert target.startup_mode == "sandbox"
    flag = tmp_path / "other.txt"
    flag.write_text("")
    given = _target(tmp_path, "3.3.1", (flag, None, None, None), no_startup=True)
    assert (given.version, given.layout.requirements, given.startup_mode) == (
        "3.3.1",
        flag.resolve(),
        "skip",
    )


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "taxiway.cli.app", "local"]
    (tmp_path / "dags").mkdir()
    none = subprocess.run([*cmd, "test", str(tmp_path)], capture_output=True, text=True)
    assert none.returncode == 2
    assert "No target MWAA version: pass `--mwaa VERSION`" in none.stderr
    assert len(none.stderr.strip().splitlines()) == 1
    both = subprocess.run(
        [*cmd, "test", str(tmp_path), "--mwaa", "3.3.1", "--no-startup", "--unsafe-host-startup"],
        capture_output=True,
        text=True,
    )
    assert both.returncode == 2 and "not both" in both.stderr
    (tmp_path / "taxiway.toml").write_text('mwaa = "3.3.1"\nstartup = "startup.sh"\n')
    missing = subprocess.run(
        [*cmd, "run", str(tmp_path), "--", "true"], capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert "taxiway.toml` sets `startup`" in missing.stderr
    (tmp_path / "taxiway.toml").write_text('mwaa = "3.3.1"\n')
    nothing = subprocess.run(
        [*cmd, "run", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "TAXIWAY_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert nothing.returncode == 2
    assert "Nothing to run: pass the command after `--`" in nothing.stderr
    assert not (tmp_path / "cache").exists()  # refused before building anything
