"""A statement is parsed once: sqlglot's fallback warning reaches the user once."""

from __future__ import annotations

import logging

import pytest

from taxiway.sql.transpile import transpile


def test_a_fallback_warning_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sqlglot"):
        assert transpile("SHOW TABLES", "duckdb").upper() == "SHOW TABLES"
    assert [r.getMessage() for r in caplog.records].count(
        "'SHOW TABLES' contains unsupported syntax. Falling back to parsing as a 'Command'."
    ) == 1
