"""The publish journal: committed swaps are rolled forward exactly once, in any state."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from taxiway.errors import DataError
from taxiway.lake import journal
from taxiway.lake.layout import Lake
from taxiway.lake.manifest import RunManifest
from taxiway.lake.publish import Publisher, remove_stale

HOUR = "2026-11-23T05"


def _manifest(run_id: str) -> RunManifest:
    counts = {"input_records": 3, "curated_new": 2, "duplicates": 1, "quarantined": 0}
    return RunManifest(
        run_id=run_id,
        engine="duckdb",
        started_at="2026-11-23T06:00:00+00:00",
        finished_at="2026-11-23T06:00:01+00:00",
        hours={HOUR: dict(counts)},
        totals=dict(counts),
        new_rows_per_date={"2026-11-23": 2},
    )


def _stage_run(lake: Lake, run_id: str) -> tuple[Publisher, list[Path]]:
    """Three live files; the run replaces two and removes the third."""
    finals = [
        lake.events_dir / f"event_date=2026-11-2{i}" / "landing_hour=x.parquet" for i in (1, 2, 3)
    ]
    for f in finals:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("old")
    pub = Publisher(run_id)
    for f in finals[:2]:
        pub.stage(f).write_text("new")
    pub.stage_removal(finals[2])
    return pub, finals


def _commit(lake: Lake, pub: Publisher, run_id: str) -> Path:
    ops: list[dict[str, str]] = []
    for staged, final in pub.pending:
        rel = final.relative_to(lake.root).as_posix()
        if staged == Path(os.devnull):
            ops.append({"op": "remove", "final": rel})
        else:
            ops.append(
                {"op": "replace", "staged": staged.relative_to(lake.root).as_posix(), "final": rel}
            )
    return journal.commit(lake, run_id, ops, _manifest(run_id))


def test_publish_swaps_everything_and_leaves_no_journal(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    pub, finals = _stage_run(lake, "r1")
    pub.publish(lake, _manifest("r1"))
    assert [f.read_text() for f in finals[:2]] == ["new", "new"]
    assert not finals[2].exists()
    assert journal.pending(lake) == []
    assert json.loads((lake.hours_dir / f"{HOUR}.json").read_text())["run_id"] == "r1"
    assert (lake.runs_dir / "r1.json").exists()


def test_a_half_applied_journal_is_rolled_forward_once(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    pub, finals = _stage_run(lake, "r2")
    _commit(lake, pub, "r2")
    os.replace(pub.pending[0][0], finals[0])  # the crash came after the first swap
    assert [f.read_text() for f in finals] == ["new", "old", "old"], "half published"
    assert journal.recover(lake) == ["r2"]
    assert [f.read_text() for f in finals[:2]] == ["new", "new"]
    assert not finals[2].exists()
    assert (lake.runs_dir / "r2.json").exists() and journal.pending(lake) == []
    assert journal.recover(lake) == [], "nothing left to do"
    assert remove_stale([lake.events_dir]) == 0, "every staged file was consumed"


def test_an_uncommitted_journal_is_discarded_and_staged_files_removed(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    pub, finals = _stage_run(lake, "r3")
    path = _commit(lake, pub, "r3")
    os.replace(path, path.with_name(path.name + ".tmp"))  # crash before the rename
    assert journal.recover(lake) == []
    assert not list(lake.journal_dir.iterdir())
    assert remove_stale([lake.events_dir]) == 2
    assert [f.read_text() for f in finals] == ["old", "old", "old"], "the run did not happen"


def test_a_journal_whose_files_vanished_is_a_clear_error(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    pub, finals = _stage_run(lake, "r4")
    _commit(lake, pub, "r4")
    pub.pending[0][0].unlink()
    finals[0].unlink()
    with pytest.raises(DataError, match="changed by hand"):
        journal.recover(lake)
