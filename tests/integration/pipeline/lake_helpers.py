"""Tiny lakes for the publish, concurrency and property tests (tens of events per hour)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from taxiway.events.generator import GeneratorOptions
from taxiway.lake.layout import Lake, hour_range

START = datetime(2026, 11, 23, 0, tzinfo=UTC)
HOURS = hour_range(START, START + timedelta(hours=3))


def tiny_options(**over: Any) -> GeneratorOptions:
    """Four hours of ~40 events with every fault kind, duplicates across hours, late events."""
    base: dict[str, Any] = dict(
        start=START,
        hours=4,
        events_per_hour=40,
        seed=5,
        malformed_rate=0.03,
        missing_field_rate=0.03,
        wrong_type_rate=0.03,
        unknown_type_rate=0.03,
        bad_timestamp_rate=0.03,
        duplicate_rate=0.15,
        late_rate=0.06,
        truncated_file_rate=0.08,
    )
    base.update(over)
    return GeneratorOptions(**base)


def table_rows(con: Any, relation: str) -> list[tuple[Any, ...]]:
    """Every row of a relation in a stable order (for whole-table equality)."""
    return [tuple(r) for r in con.execute(f"SELECT * FROM {relation} ORDER BY ALL").fetchall()]


def lake_state(con: Any, events: str, quarantine: str) -> dict[str, Any]:
    """What a reader sees: rows and distinct ids per landing hour, quarantine per hour."""
    per_hour = con.execute(
        f"""SELECT strftime(landing_hour, '%Y-%m-%dT%H'), count(*), count(DISTINCT event_id)
        FROM {events} GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    q = con.execute(
        f"SELECT strftime(landing_hour, '%Y-%m-%dT%H'), count(*) FROM {quarantine} "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    total = con.execute(f"SELECT count(*), count(DISTINCT event_id) FROM {events}").fetchone()
    return {"events": per_hour, "quarantine": q, "total": tuple(total or ())}


def lake_tables(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every published events and quarantine row (without run ids), read from the files."""
    con = duckdb.connect()
    try:
        ev = f"read_parquet('{root}/curated/events/*/*.parquet')"
        q = f"(SELECT * EXCLUDE (run_id) FROM read_parquet('{root}/quarantine/*.parquet'))"
        return {"events": table_rows(con, ev), "quarantine": table_rows(con, q)}
    finally:
        con.close()


def raw_state(root: Path) -> dict[str, Any]:
    """The state a reader globbing the files directly sees (no journal recovery)."""
    con = duckdb.connect()
    try:
        return lake_state(
            con,
            f"read_parquet('{root}/curated/events/*/*.parquet')",
            f"read_parquet('{root}/quarantine/*.parquet')",
        )
    finally:
        con.close()


def _curate_and_maybe_die(root: str, hours: list[str], fault_at: str) -> None:
    """Child-process body: a curate run that SIGKILLs itself at publish step ``fault_at``."""
    import os

    from taxiway.engines.duckdb import DuckDBEngine
    from taxiway.lake import journal
    from taxiway.lake.layout import parse_hour
    from taxiway.pipeline.curate import curate

    os.environ[journal.FAULT_ENV] = fault_at
    curate(Path(root), [parse_hour(h) for h in hours], DuckDBEngine(threads=1))


def _settle_and_maybe_die(root: str, hours: list[str], fault_at: str) -> None:
    """Child-process body: a reader rolling a crashed publish forward, dying at ``fault_at``."""
    import os

    from taxiway.lake import journal
    from taxiway.lake.guard import settle

    os.environ[journal.FAULT_ENV] = fault_at
    settle(Lake(Path(root)))


def killed_run(root: Path, hours: list[str], fault_at: str, *, recovery: bool = False) -> int:
    """Run a curate (or, with ``recovery``, a reader's roll-forward) in a child process that
    dies at ``fault_at``; return its exit code.

    The child is forked from a forkserver that imported DuckDB and taxiway once, so each
    run costs milliseconds instead of a fresh interpreter (and forking a pytest process that
    already runs DuckDB threads is not safe).
    """
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["duckdb", "pyarrow", "taxiway.pipeline.curate", "lake_helpers"])
    body = _settle_and_maybe_die if recovery else _curate_and_maybe_die
    proc = ctx.Process(target=body, args=(str(root), hours, fault_at))
    proc.start()
    proc.join(timeout=120)
    return int(proc.exitcode if proc.exitcode is not None else 0)
