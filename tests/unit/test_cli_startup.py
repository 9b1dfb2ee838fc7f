"""The CLI starts fast: importing it pulls in no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("duckdb", "pyarrow", "numpy", "pyspark", "airflow", "libcst", "boto3", "sqlglot")


def test_cli_import_pulls_in_no_heavy_module() -> None:
    code = (
        "import sys, json, taxiway.cli.app; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_help_and_version_exit_zero() -> None:
    for args in (["--help"], ["--version"], ["run", "--help"]):
        proc = subprocess.run(
            [sys.executable, "-m", "taxiway.cli.app", *args], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
