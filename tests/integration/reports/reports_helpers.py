"""Fixtures of the report tests: a real in-memory DuckDB with the three input tables, empty.

A uniquely named module imported explicitly, not a conftest.py: other test folders run
``from conftest import ...`` and a conftest here would shadow theirs. The fixtures are
registered under short names (``con``, ``add_event``, ``fetch``); test modules import the
``*_fixture`` functions so the parameter names do not shadow the imports.

The schemas come from the event contract (the same tuples the curate step and the local
catalog use), so a contract change that breaks a report fails here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

try:
    import duckdb
except ImportError as exc:  # pragma: no cover - a hard failure, never a skip
    raise RuntimeError("duckdb is required for the report tests: `uv sync`") from exc

from taxiway.events.contract import CURATED_COLUMNS, QUARANTINE_COLUMNS

HOURLY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("landing_hour", "TIMESTAMP"),
    ("run_id", "VARCHAR"),
    ("input_records", "BIGINT"),
    ("curated_new", "BIGINT"),
    ("duplicates", "BIGINT"),
    ("quarantined", "BIGINT"),
    ("finished_at", "TIMESTAMP"),
)

AddEvent = Callable[..., None]


def _create(con: Any, table: str, columns: tuple[tuple[str, str], ...]) -> None:
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{n} {t}' for n, t in columns)})")


@pytest.fixture(name="con")
def con_fixture() -> Iterator[Any]:
    """In-memory DuckDB with empty ``events``, ``quarantine`` and ``hourly_counts`` tables."""
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    _create(connection, "events", CURATED_COLUMNS)
    _create(connection, "quarantine", QUARANTINE_COLUMNS)
    _create(connection, "hourly_counts", HOURLY_COLUMNS)
    yield connection
    connection.close()


@pytest.fixture(name="add_event")
def add_event_fixture(con: Any) -> AddEvent:
    """Insert one curated event; event_date and landing_hour follow from ``ts``."""

    def add(
        event_id: str,
        event_type: str,
        ts: str,
        anonymous_id: str,
        *,
        user_id: str | None = None,
        campaign_id: str | None = None,
        revenue: str | None = None,
    ) -> None:
        when = datetime.fromisoformat(ts)
        row = {name: None for name, _ in CURATED_COLUMNS}
        row.update(
            event_id=event_id,
            event_type=event_type,
            event_ts=when,
            received_ts=when,
            anonymous_id=anonymous_id,
            user_id=user_id,
            campaign_id=campaign_id,
            revenue=Decimal(revenue) if revenue is not None else None,
            source_file="events+0+0000000000.json.gz",
            landing_hour=when.replace(minute=0, second=0, microsecond=0),
            event_date=when.date(),
        )
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO events VALUES ({marks})", list(row.values()))

    return add


def rows(con: Any, sql: str) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts keyed by column name."""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture(name="fetch")
def fetch_fixture(con: Any) -> Callable[[str], list[dict[str, Any]]]:
    return lambda sql: rows(con, sql)
