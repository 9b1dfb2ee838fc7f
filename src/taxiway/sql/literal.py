"""SQL string literals: the one quoting rule for paths and ids spliced into DuckDB/Athena SQL."""

from __future__ import annotations


def literal(value: str) -> str:
    """``value`` as a single-quoted SQL string literal (quotes doubled, as ANSI SQL says)."""
    return "'" + value.replace("'", "''") + "'"
