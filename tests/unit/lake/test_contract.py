"""The shared curate contract: one hour rule for naive (job) and aware (local) hours, the
counts check, and the journal rolled forward over a store."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from taxiway.errors import InvariantError, UsageError
from taxiway.lake import contract
from taxiway.lake.layout import Lake


def test_naive_and_aware_hours_give_the_same_paths(tmp_path: Path) -> None:
    aware = contract.parse_hour("2026-11-23T05")
    naive = aware.replace(tzinfo=None)  # what the Spark job works with
    assert contract.format_hour(naive) == contract.format_hour(aware) == "2026-11-23T05"
    rel = contract.partition_file(date(2026, 11, 22), naive)
    assert rel == "curated/events/event_date=2026-11-22/landing_hour=2026-11-23T05.parquet"
    lake = Lake(tmp_path)
    assert lake.partition_file(date(2026, 11, 22), aware) == tmp_path / rel
    assert lake.quarantine_file(aware) == tmp_path / contract.quarantine_file(naive)
    assert lake.landing_hour_dir(aware) == tmp_path / contract.landing_dir("events", naive)
    with pytest.raises(UsageError, match="`2026-11-23 05`"):
        contract.parse_hour("2026-11-23 05")
    with pytest.raises(UsageError, match="not a valid date"):
        contract.parse_hour("2026-02-30T01")


def _counts(n: int, curated: int, dup: int, q: int) -> dict[str, object]:
    return {"input_records": n, "curated_new": curated, "duplicates": dup, "quarantined": q}


def test_an_unbalanced_hour_refuses_the_manifest() -> None:
    start = datetime(2026, 11, 23, tzinfo=contract.UTC)
    ok = contract.run_manifest(
        "r", "spark", start, {"2026-11-23T00": _counts(5, 3, 1, 1)}, {}, [], []
    )
    assert ok["totals"] == _counts(5, 3, 1, 1) and ok["recovered_runs"] == []
    with pytest.raises(InvariantError, match="`2026-11-23T01` do not add up: input 5"):
        contract.run_manifest(
            "r", "spark", start, {"2026-11-23T01": _counts(5, 3, 1, 0)}, {}, [], []
        )


def test_a_journal_over_a_store_is_rolled_forward_once_and_a_torn_one_dropped(
    tmp_path: Path,
) -> None:
    store = contract.LocalStore(tmp_path)
    staged = ".spark-tmp/r1/events/part-0.parquet"
    final = contract.partition_file(date(2026, 11, 23), contract.parse_hour("2026-11-23T00"))
    old = "curated/events/event_date=2026-11-22/landing_hour=2026-11-23T00.parquet"
    for rel, body in ((staged, "new"), (final, "old"), (old, "gone-now")):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body)
    start = datetime(2026, 11, 23, tzinfo=contract.UTC)
    manifest = contract.run_manifest(
        "r1", "spark", start, {"2026-11-23T00": _counts(2, 1, 1, 0)}, {}, [final], [old]
    )
    ops = [contract.replace_op(staged, final), contract.remove_op(old)]
    store.write_text(
        contract.journal_file("r1"), json.dumps(contract.journal_doc("r1", ops, manifest))
    )
    store.write_text(
        contract.journal_file("r0"), '{"run_id": "r0", "ops": ['
    )  # torn: never committed
    assert contract.recover(store) == ["r1"]
    assert (tmp_path / final).read_text() == "new"
    assert not (tmp_path / staged).exists() and not (tmp_path / old).exists()
    hour = json.loads((tmp_path / contract.hour_manifest("2026-11-23T00")).read_text())
    assert hour["run_id"] == "r1" and hour["input_records"] == 2
    assert json.loads((tmp_path / contract.run_manifest_file("r1")).read_text()) == manifest
    assert contract.pending_journals(store) == []
    assert contract.recover(store) == [], "nothing left to do"
