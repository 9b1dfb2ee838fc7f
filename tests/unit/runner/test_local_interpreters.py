"""Interpreter discovery: exact minor when present, nearest otherwise, explicit wins."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


def test_uvs_answer_is_remembered_per_path_and_rechecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second lookup runs the remembered interpreter instead of asking uv; a PATH that
    changed, or a remembered interpreter that no longer runs, asks uv again. What the usual
    places give (uv failed, as behind a pyenv shim of a non-global version) is remembered."""
    asked: list[str] = []

    def uv_find(minor: str) -> interpreters.Interpreter | None:
        asked.append(minor)
        return interpreters.probe(sys.executable)

    monkeypatch.setattr(interpreters, "_uv_find", uv_find)
    memo = tmp_path / "cache" / "interpreters.json"
    first, exact = interpreters.find(HERE, memo=memo)
    assert exact and asked == [HERE] and memo.is_file()
    again, exact = interpreters.find(HERE, memo=memo)
    assert (again, exact, asked) == (first, True, [HERE])  # not asked a second time
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    interpreters.find(HERE, memo=memo)
    assert asked == [HERE, HERE]
    known = json.loads(memo.read_text())
    assert len(known) == 2  # one answer per PATH
    memo.write_text(json.dumps({k: "/nonexistent/python3" for k in known}))
    interpreters.find(HERE, memo=memo)
    assert asked == [HERE] * 3
    memo.write_text("not json")
    assert interpreters.find(HERE, memo=memo)[0] == first


def test_an_interpreter_found_without_uv_is_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interpreters, "_uv_find", lambda minor: None)
    pool: list[int] = []
    real = interpreters.available

    def available() -> dict[str, interpreters.Interpreter]:
        pool.append(1)
        return real()

    monkeypatch.setattr(interpreters, "available", available)
    memo = tmp_path / "interpreters.json"
    first, exact = interpreters.find(HERE, memo=memo)
    again, _ = interpreters.find(HERE, memo=memo)
    assert exact and again == first and pool == [1]
