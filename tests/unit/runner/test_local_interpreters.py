"""Interpreter discovery: exact minor when present, nearest otherwise, explicit wins."""

from __future__ import annotations

import sys

import pytest

from taxiway.errors import ToolchainError
from taxiway.runner import interpreters

HERE = ".".join(map(str, sys.version_info[:2]))


def test_probe_reads_the_full_version() -> None:
    interp = interpreters.probe(sys.executable)
    assert interp is not None
    assert interp.version == ".".join(map(str, sys.version_info[:3]))
    assert interp.minor == HERE


def test_probe_of_something_that_does_not_run_is_none() -> None:
    assert interpreters.probe("/nonexistent/python3.99") is None


def test_explicit_path_wins_and_reports_whether_it_matches() -> None:
    interp, exact = interpreters.find(HERE, explicit=sys.executable)
    assert exact is True
    interp, exact = interpreters.find("3.1", explicit=sys.executable)
    assert exact is False
    assert interp.minor == HERE


def test_explicit_path_that_does_not_run_is_a_toolchain_error() -> None:
    with pytest.raises(ToolchainError, match="/nonexistent/python"):
        interpreters.find(HERE, explicit="/nonexistent/python")


def test_unavailable_minor_falls_back_to_the_nearest_with_a_flag() -> None:
    pool = interpreters.available()
    assert pool, "no Python interpreter found; install one (pyenv or uv python install)"
    interp, exact = interpreters.find("3.99")
    assert exact is False
    assert interp.minor == max(pool, key=lambda m: tuple(map(int, m.split("."))))


def test_distance_prefers_newer_on_a_tie() -> None:
    assert interpreters._distance("3.13", "3.12") < interpreters._distance("3.11", "3.12")
    assert interpreters._distance("3.12", "3.12") < interpreters._distance("3.13", "3.12")
