"""DuckDB curates in hour batches: one hour per batch gives exactly what one batch gives,
and engine failures become errors that name the hours or the file."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from pipeline_helpers import HOURS, START, snapshot

from taxiway.engines.base import EngineError
from taxiway.engines.duckdb import DuckDBEngine
from taxiway.events.generator import GroundTruth
from taxiway.lake.layout import Lake, hour_range
from taxiway.lake.publish import Publisher
from taxiway.pipeline.curate import curate

ALL_HOURS = hour_range(START, START + timedelta(hours=HOURS - 1))


def _rows(root: Path) -> list[tuple[object, ...]]:
    glob = f"{root}/curated/events/*/*.parquet"
    return duckdb.sql(f"SELECT * FROM read_parquet('{glob}') ORDER BY ALL").fetchall()


def _quarantine(root: Path) -> list[tuple[object, ...]]:
    glob = f"{root}/quarantine/*.parquet"
    return duckdb.sql(
        f"SELECT * EXCLUDE (run_id) FROM read_parquet('{glob}') ORDER BY ALL"
    ).fetchall()


def test_one_hour_per_batch_equals_one_batch(
    lake_root: tuple[Path, GroundTruth], tmp_path: Path
) -> None:
    root, truth = lake_root
    other = tmp_path / "batched"
    shutil.copytree(root, other)
    whole = curate(root, ALL_HOURS, DuckDBEngine(threads=1))
    batched = curate(other, ALL_HOURS, DuckDBEngine(threads=1, batch_bytes=1))
    assert batched.hours == whole.hours
    assert batched.totals["duplicates"] == truth.duplicates > 0  # across hours, so batches
    assert _rows(other) == _rows(root)
    assert _quarantine(other) == _quarantine(root)
    assert sorted(snapshot(other)) == sorted(snapshot(root))  # the same files published
    # every row is written in (file, line) order: byte-identical on a rerun
    before = snapshot(other)
    curate(other, ALL_HOURS, DuckDBEngine(threads=2, batch_bytes=1))
    assert {k: v for k, v in snapshot(other).items() if "quarantine" not in k} == {
        k: v for k, v in before.items() if "quarantine" not in k
    }


def test_a_corrupt_published_partition_names_the_hours(
    lake_root: tuple[Path, GroundTruth],
) -> None:
    root, _ = lake_root
    curate(root, ALL_HOURS[:1], DuckDBEngine())
    lake = Lake(root)
    victim = lake.hour_files(ALL_HOURS[0])[0]
    victim.write_bytes(b"not parquet at all")
    with pytest.raises(EngineError) as err:
        curate(root, ALL_HOURS[1:2], DuckDBEngine())  # dedupes against hour 0's files
    message = str(err.value)
    assert "`2026-11-23T01`" in message and victim.name in message
    assert not list(root.rglob("*.staged-*")), "nothing staged is left behind"


def test_an_unwritable_output_folder_names_the_path(
    lake_root: tuple[Path, GroundTruth],
) -> None:
    root, _ = lake_root
    (root / "quarantine").write_text("a file where the quarantine folder should be")
    with pytest.raises(EngineError) as err:
        curate(root, ALL_HOURS[:1], DuckDBEngine())
    assert "quarantine" in str(err.value) and "`2026-11-23T00`" in str(err.value)


def test_a_curated_file_that_cannot_be_written_names_it_and_its_hours(
    lake_root: tuple[Path, GroundTruth], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyarrow writes the curated files in background threads: a failure there still stops
    the run with the file and the batch's hours, and nothing is published."""
    root, _ = lake_root
    lake_copy = tmp_path / "lake"
    shutil.copytree(root / "landing", lake_copy / "landing")
    hour = ALL_HOURS[1]
    target = Lake(lake_copy).partition_file(hour.date(), hour)  # hour 1's events of its day
    stage = Publisher.stage

    def blocked(self: Publisher, final: Path) -> Path:
        path = stage(self, final)
        if final == target:
            path.mkdir()  # a folder where the staged file must go: the write really fails
        return path

    monkeypatch.setattr(Publisher, "stage", blocked)
    with pytest.raises(EngineError) as err:
        curate(lake_copy, ALL_HOURS, DuckDBEngine(batch_bytes=1))
    message = str(err.value)
    assert target.name in message and "`2026-11-23T01`" in message, message
    assert not list((lake_copy / "curated").rglob("*.parquet")), "nothing is published"


def test_an_id_dropped_against_published_data_still_makes_later_copies_duplicates(
    tmp_path: Path,
) -> None:
    """X curated by hour 0 (date D); hour 1 repeats X on D (dropped: published) and hour 2
    repeats X on another date: still the same event, so a duplicate, whatever the batches."""
    lake = Lake(tmp_path / "one")

    def line(ts: str) -> str:
        return json.dumps(
            {"event_id": "X", "event_type": "click", "event_ts": ts, "anonymous_id": "a"}
        )

    days = {0: "2026-11-23T00:10:00Z", 1: "2026-11-23T00:20:00Z", 2: "2026-11-22T23:00:00Z"}
    for h, ts in days.items():
        path = lake.landing_file(ALL_HOURS[h], 0, 0, gz=False)
        path.parent.mkdir(parents=True)
        path.write_text(line(ts) + "\n")
    shutil.copytree(lake.root, tmp_path / "two")
    results = []
    for root, batch in ((lake.root, 1 << 30), (tmp_path / "two", 1)):
        curate(root, ALL_HOURS[:1], DuckDBEngine(threads=1))
        m = curate(root, ALL_HOURS[1:3], DuckDBEngine(threads=1, batch_bytes=batch))
        results.append(m.totals)
        assert len(_rows(root)) == 1
    assert (
        results[0]
        == results[1]
        == {
            "input_records": 2,
            "curated_new": 0,
            "duplicates": 2,
            "quarantined": 0,
        }
    )
