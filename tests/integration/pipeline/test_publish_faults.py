"""SIGKILL the curate process at every publish step; readers never see half a run.

A base lake holds landing hours 00-01 curated. A second run (hours 02-03) is killed at each
step of its publish in turn; then a reader queries through the catalog, then the run is
repeated. The reader must see exactly the base state or exactly the clean end state (never
some of the run's files), and after the rerun every table equals a clean run's.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lake_helpers import HOURS, killed_run, lake_state, raw_state, table_rows, tiny_options

from taxiway.catalog.local import DuckDBCatalog
from taxiway.engines.duckdb import DuckDBEngine
from taxiway.events.generator import generate
from taxiway.lake import journal
from taxiway.lake.layout import Lake, format_hour
from taxiway.lake.publish import Publisher
from taxiway.pipeline.curate import curate

FIRST, SECOND = HOURS[:2], HOURS[2:]
#: The second run's swaps and removals with tiny_options() (seeded, so fixed): 3 event files
#: over 2 event dates and hours 02-03, plus 2 quarantine files. The fixture checks it.
SWAPS = 5


@dataclass
class Reference:
    base: Path  # hours 00-01 curated, warehouse views registered
    before: dict[str, Any]  # what a reader sees in the base lake
    after: dict[str, Any]  # ... and after a clean run of 02-03
    clean_tables: dict[str, list[tuple[Any, ...]]]
    ops: int  # how many swaps/removals the second run publishes


def _sync(root: Path) -> None:
    DuckDBCatalog(Lake(root)).sync()


def _read(root: Path) -> dict[str, Any]:
    """A reader going through the catalog (`taxiway query` does exactly this)."""
    con = DuckDBCatalog(Lake(root)).connect(read_only=True)
    try:
        return lake_state(con, "events", "quarantine")
    finally:
        con.close()


def _tables(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = DuckDBCatalog(Lake(root)).connect(read_only=True)
    try:
        return {
            "events": table_rows(con, "events"),
            "quarantine": table_rows(con, "(SELECT * EXCLUDE (run_id) FROM quarantine)"),
            "hourly_counts": table_rows(
                con,
                "(SELECT landing_hour, input_records, curated_new, duplicates, quarantined, "
                "quarantined_by_reason, event_dates FROM hourly_counts)",
            ),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    base = tmp_path_factory.mktemp("faults") / "base"
    truth = generate(base, tiny_options())
    curate(base, FIRST, DuckDBEngine(threads=1))
    _sync(base)
    before = _read(base)
    clean = base.with_name("clean")
    shutil.copytree(base, clean)
    seen: list[int] = []

    def count_ops(publisher: Publisher) -> None:
        seen.append(len(publisher.pending))

    curate(clean, SECOND, DuckDBEngine(threads=1), before_publish=count_ops)
    _sync(clean)
    after = _read(clean)
    assert after["total"] == (truth.curated, truth.curated)
    assert before != after
    assert seen == [SWAPS], "the kill steps below must cover every swap of the second run"
    yield Reference(base, before, after, _tables(clean), seen[0])


def _steps() -> list[str]:
    return (
        ["before-journal", "after-journal"]
        + [f"after-swap-{n}" for n in range(1, SWAPS + 1)]
        + ["before-manifest", "after-manifest"]
    )


@pytest.mark.parametrize("step", _steps())
def test_kill_at_publish_step(reference: Reference, tmp_path: Path, step: str) -> None:
    root = tmp_path / "lake"
    shutil.copytree(reference.base, root)
    _sync(root)  # the warehouse views name absolute paths: point the copy's at the copy
    code = killed_run(root, [format_hour(h) for h in SECOND], step)
    assert code == -signal.SIGKILL, (step, code)

    committed = step != "before-journal"
    assert bool(journal.pending(Lake(root))) == committed
    raw = raw_state(root)
    half = step.startswith("after-swap-") and int(step.rsplit("-", 1)[1]) < SWAPS
    if half:
        # the detector works: the files alone show a half-published run...
        assert raw not in (reference.before, reference.after), "expected a half state on disk"
    # ...but a reader through the catalog sees the run entirely or not at all
    seen = _read(root)
    assert seen == (reference.after if committed else reference.before)
    assert seen["total"][0] == seen["total"][1], "no duplicated event_id"

    rerun = curate(root, SECOND, DuckDBEngine(threads=1))
    _sync(root)
    assert rerun.recovered_runs == [], "the reader already rolled the journal forward"
    assert _tables(root) == reference.clean_tables
    assert not journal.pending(Lake(root))
    assert not list((root / "curated").rglob("*.staged-*"))


def test_the_next_run_rolls_a_crashed_publish_forward(reference: Reference, tmp_path: Path) -> None:
    """No reader in between: the rerun itself finishes the killed run's publish first."""
    root = tmp_path / "lake"
    shutil.copytree(reference.base, root)
    _sync(root)  # the warehouse views name absolute paths: point the copy's at the copy
    assert killed_run(root, [format_hour(h) for h in SECOND], "after-swap-1") == -signal.SIGKILL
    killed = journal.pending(Lake(root))[0].stem
    rerun = curate(root, SECOND, DuckDBEngine(threads=1))
    assert rerun.recovered_runs == [killed]
    assert (root / "manifests" / "runs" / f"{killed}.json").exists()
    _sync(root)
    assert _tables(root) == reference.clean_tables


def test_a_crash_during_recovery_is_recovered_the_same_way(
    reference: Reference, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    shutil.copytree(reference.base, root)
    _sync(root)
    hours = [format_hour(h) for h in SECOND]
    assert killed_run(root, hours, "after-journal") == -signal.SIGKILL
    # a reader starts rolling the run forward and is itself killed half way
    assert killed_run(root, hours, "after-swap-2", recovery=True) == -signal.SIGKILL
    assert journal.pending(Lake(root)), "the journal survives a crashed recovery"
    assert _read(root) == reference.after
    assert not journal.pending(Lake(root))
    curate(root, SECOND, DuckDBEngine(threads=1))
    _sync(root)
    assert _tables(root) == reference.clean_tables
