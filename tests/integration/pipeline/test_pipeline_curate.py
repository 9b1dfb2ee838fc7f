"""Curate generated data with DuckDB and compare every count with the generator's truth."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from pipeline_helpers import HOURS, START, small_options, snapshot

from taxiway.engines.duckdb import DuckDBEngine
from taxiway.errors import InvariantError
from taxiway.events.generator import GroundTruth, generate
from taxiway.lake.layout import Lake, format_hour, hour_range
from taxiway.lake.publish import Publisher
from taxiway.pipeline.curate import curate

ALL_HOURS = hour_range(START, START + timedelta(hours=HOURS - 1))


def events(root: Path) -> str:
    """A FROM clause over the published curated files (what any reader globs)."""
    return f"read_parquet('{root}/curated/events/*/*.parquet')"


def q(sql: str) -> list[tuple[object, ...]]:
    return duckdb.connect().execute(sql).fetchall()


def q1(sql: str) -> tuple[object, ...] | None:
    return duckdb.connect().execute(sql).fetchone()


def test_counts_match_ground_truth(lake_root: tuple[Path, GroundTruth]) -> None:
    root, truth = lake_root
    m = curate(root, ALL_HOURS, DuckDBEngine())
    assert m.totals == {
        "input_records": truth.input_records,
        "curated_new": truth.curated,
        "duplicates": truth.duplicates,
        "quarantined": sum(truth.quarantined.values()),
    }
    rel = events(root)
    per_date = dict(q(f"SELECT strftime(event_date, '%Y-%m-%d'), count(*) FROM {rel} GROUP BY 1"))
    assert per_date == truth.curated_per_date
    assert q1(f"SELECT count(DISTINCT event_id) FROM {rel}") == (truth.curated,)
    reasons = q(f"SELECT reason, count(*) FROM '{root}/quarantine/*.parquet' GROUP BY 1")
    assert dict(reasons) == truth.quarantined
    for hour, counts in m.hours.items():
        expected = truth.per_hour[hour]
        assert counts["input_records"] == expected["input"]
        assert counts["curated_new"] == expected.get("curated", 0)
        assert counts["duplicates"] == expected.get("duplicates", 0)
        assert counts["quarantined"] == expected.get("quarantined", 0)


def test_corrupt_file_is_a_file_level_reject(lake_root: tuple[Path, GroundTruth]) -> None:
    root, truth = lake_root
    curate(root, ALL_HOURS, DuckDBEngine())
    rows = q(
        f"""SELECT source_file, line_number, raw_line, detail FROM '{root}/quarantine/*.parquet'
        WHERE reason = 'corrupt-file' ORDER BY 1"""
    )
    assert [str(root / r[0]) for r in rows] == sorted(truth.corrupt_files)
    assert all(r[1] is None and r[2] is None and "truncated" in r[3] for r in rows)


def test_late_events_land_in_their_own_date(lake_root: tuple[Path, GroundTruth]) -> None:
    root, truth = lake_root
    curate(root, ALL_HOURS, DuckDBEngine())
    rel = events(root)
    late = q1(f"SELECT count(*) FROM {rel} WHERE event_date < DATE '{START.date()}'")
    assert late == (truth.late_events,)
    # they arrived in the landing hours of the run, days after their event time
    assert q1(
        f"SELECT min(landing_hour - event_ts) > INTERVAL 20 HOUR FROM {rel} "
        f"WHERE event_date < DATE '{START.date()}'"
    ) == (True,)


def test_hour_by_hour_equals_one_run_and_dedupes_across_hours(
    lake_root: tuple[Path, GroundTruth],
) -> None:
    root, truth = lake_root
    totals = {"input_records": 0, "curated_new": 0, "duplicates": 0, "quarantined": 0}
    for hour in ALL_HOURS:
        m = curate(root, [hour], DuckDBEngine())
        for k in totals:
            totals[k] += m.totals[k]
    assert totals["curated_new"] == truth.curated
    assert totals["duplicates"] == truth.duplicates
    later_hours = [truth.per_hour[format_hour(h)].get("duplicates", 0) for h in ALL_HOURS[1:]]
    assert sum(later_hours) > 0, "the fixture has duplicates of earlier hours"
    rel = events(root)
    assert q1(f"SELECT count(*) - count(DISTINCT event_id) FROM {rel}") == (0,)


def test_rerun_is_idempotent(lake_root: tuple[Path, GroundTruth]) -> None:
    root, _ = lake_root
    first = curate(root, ALL_HOURS, DuckDBEngine())
    before = snapshot(root)
    again = curate(root, ALL_HOURS, DuckDBEngine())
    assert again.totals == first.totals
    assert again.hours == first.hours
    # parquet bytes can differ only by writer metadata; compare the data itself
    assert set(snapshot(root)) == set(before)
    rel = events(root)
    assert q1(f"SELECT count(*), count(DISTINCT event_id) FROM {rel}") == (
        first.totals["curated_new"],
        first.totals["curated_new"],
    )
    # rerun of a single middle hour leaves the totals unchanged too
    curate(root, [ALL_HOURS[1]], DuckDBEngine())
    assert q1(f"SELECT count(*) FROM {rel}") == (first.totals["curated_new"],)


def test_failure_between_write_and_publish_keeps_previous_state(
    lake_root: tuple[Path, GroundTruth],
) -> None:
    root, truth = lake_root
    curate(root, ALL_HOURS[:2], DuckDBEngine())
    before = snapshot(root)
    rows_before = q1(f"SELECT count(*) FROM read_parquet('{root}/curated/events/*/*.parquet')")

    def crash(publisher: Publisher) -> None:
        staged = [s for s, _ in publisher.pending if s.name != "null"]
        assert staged and all(s.exists() for s in staged), "files are written, not yet published"
        raise RuntimeError("injected crash before publish")

    with pytest.raises(RuntimeError, match="injected"):
        curate(root, ALL_HOURS[2:], DuckDBEngine(), before_publish=crash)
    assert snapshot(root) == before, "nothing published, staged files cleaned up"
    assert (
        q1(f"SELECT count(*) FROM read_parquet('{root}/curated/events/*/*.parquet')") == rows_before
    )
    m = curate(root, ALL_HOURS[2:], DuckDBEngine())
    assert m.totals["input_records"] == sum(
        truth.per_hour[format_hour(h)]["input"] for h in ALL_HOURS[2:]
    )
    assert q1(f"SELECT count(*) FROM {events(root)}") == (truth.curated,)


def test_hard_crash_leftovers_are_invisible_and_removed(
    lake_root: tuple[Path, GroundTruth],
) -> None:
    root, truth = lake_root
    curate(root, ALL_HOURS, DuckDBEngine())
    lake = Lake(root)
    live = lake.partition_files()[0]
    leftover = live.with_name(live.name + ".staged-deadbeef")
    leftover.write_bytes(b"half a parquet file")  # what a killed process leaves behind
    rel = events(root)  # readers glob *.parquet and never match staged files
    assert q1(f"SELECT count(*) FROM {rel}") == (truth.curated,)
    m = curate(root, ALL_HOURS[:1], DuckDBEngine())
    assert m.stale_files_removed == 1
    assert not leftover.exists()


def test_unbalanced_counts_fail_loudly_and_publish_nothing(
    lake_root: tuple[Path, GroundTruth],
) -> None:
    root, _ = lake_root

    class LosingEngine(DuckDBEngine):
        def curate(self, request, lake, publisher):  # type: ignore[no-untyped-def]
            result = super().curate(request, lake, publisher)
            next(iter(result.hours.values())).curated_new -= 1  # one record "lost"
            return result

    with pytest.raises(InvariantError, match="do not add up"):
        curate(root, ALL_HOURS, LosingEngine())
    assert not list((root / "curated").rglob("*.parquet"))
    assert not (root / "manifests").exists()


def test_uncompressed_json_files_are_read(tmp_path: Path) -> None:
    truth = generate(tmp_path, small_options(compress=False, hours=1))
    m = curate(tmp_path, ALL_HOURS[:1], DuckDBEngine())
    assert m.totals["curated_new"] == truth.curated
    assert m.totals["input_records"] == truth.input_records
    assert truth.corrupt_files == []
