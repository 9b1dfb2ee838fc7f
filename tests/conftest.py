"""Fixtures every test folder may use: the CLI run in this interpreter."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
