"""Shared helpers of the doctor's integration tests: the real CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "airflow_projects"


@pytest.fixture
def projects() -> Path:
    return FIXTURES


@pytest.fixture
def taxiway_cli():  # type: ignore[no-untyped-def]
    """Run ``taxiway <args>`` in a fresh interpreter; returns the CompletedProcess."""

    def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "taxiway.cli.app", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        )

    return run
