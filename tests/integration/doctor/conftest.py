"""Shared helpers of the doctor's integration tests: the real CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass
class Ran:
    """What a CLI run printed and returned (the shape of ``CompletedProcess``)."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def doctor_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``taxiway <args>`` in this interpreter through the CLI's own ``main()`` (exit
    codes, the one-line errors), a second each faster than a fresh interpreter."""
    from taxiway.cli.app import main

    def run(*args: str, cwd: Path = REPO) -> Ran:
        monkeypatch.chdir(cwd)
        monkeypatch.setenv("COLUMNS", "200")
        monkeypatch.setattr(sys, "argv", ["taxiway", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return run
