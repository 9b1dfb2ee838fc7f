"""Shared fixtures of the doctor's unit tests."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "airflow_projects"


@pytest.fixture
def projects() -> Path:
    """The folder of fixture projects (tests/fixtures/airflow_projects)."""
    return FIXTURES


@dataclass
class Ran:
    """What a CLI run printed and returned (the shape of ``CompletedProcess``)."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def doctor_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``taxiway <args>`` through the CLI's own ``main()`` in this interpreter (its exit
    code and output as a user sees them, without an interpreter's start-up per call)."""
    from taxiway.cli.app import main

    def run(*args: str) -> Ran:
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
