"""The `taxiway local` command surface, without building anything."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from taxiway.cli.app import app

runner = CliRunner()


def test_local_lists_its_three_commands() -> None:
    result = runner.invoke(app, ["local", "--help"])
    assert result.exit_code == 0
    for command in ("test", "start", "package-requirements"):
        assert command in result.output


def test_test_command_documents_its_options() -> None:
    result = runner.invoke(app, ["local", "test", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--mwaa", "--format", "--rebuild", "--python", "--cache-dir"):
        assert option in result.output


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
