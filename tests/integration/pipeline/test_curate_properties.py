"""Property tests: generated batches with every fault kind, curated with DuckDB.

For any mix of faults, duplicates, late events, truncated files and file layouts:
conservation holds and matches the generator's truth, the first occurrence of a duplicated
event wins, and rerunning all or some hours changes nothing.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lake_helpers import START, lake_tables, tiny_options

from taxiway.engines.duckdb import DuckDBEngine
from taxiway.events.generator import GroundTruth, generate
from taxiway.lake.layout import Lake, hour_range
from taxiway.pipeline.curate import curate

rate = st.floats(min_value=0.0, max_value=0.15)
options = st.fixed_dictionaries(
    {
        "seed": st.integers(min_value=0, max_value=2**31),
        "hours": st.integers(min_value=1, max_value=3),
        "events_per_hour": st.integers(min_value=3, max_value=30),
        "partitions": st.integers(min_value=1, max_value=3),
        "files_per_partition": st.integers(min_value=1, max_value=2),
        "compress": st.booleans(),
        "malformed_rate": rate,
        "missing_field_rate": rate,
        "wrong_type_rate": rate,
        "unknown_type_rate": rate,
        "bad_timestamp_rate": rate,
        "duplicate_rate": st.floats(min_value=0.0, max_value=0.4),
        "late_rate": st.floats(min_value=0.0, max_value=0.3),
        "truncated_file_rate": st.floats(min_value=0.0, max_value=0.3),
    }
)


def _first_file(root: Path, truth: GroundTruth) -> dict[str, str]:
    """event_id -> the first readable landing file (curate order) holding it, from the files."""
    corrupt = set(truth.corrupt_files)
    files = sorted(
        (p for p in (root / "landing").rglob("*") if p.is_file() and str(p) not in corrupt),
        key=lambda p: (p.parent, p.name),  # hour folders sort in time order, then by name
    )
    first: dict[str, str] = {}
    for path in files:
        data = path.read_bytes()
        text = gzip.decompress(data).decode() if path.name.endswith(".gz") else data.decode()
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("event_id"), str):
                first.setdefault(record["event_id"], path.relative_to(root).as_posix())
    return first


@settings(max_examples=12, deadline=None, derandomize=True)
@given(opts=options, rerun_from=st.integers(min_value=0, max_value=2))
def test_conservation_first_occurrence_and_idempotent_reruns(
    opts: dict[str, Any], rerun_from: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        truth = generate(root, tiny_options(**opts))
        hours = hour_range(START, START + timedelta(hours=opts["hours"] - 1))
        m = curate(root, hours, DuckDBEngine(threads=1))

        # conservation, per run and per hour, equal to what was injected
        t = m.totals
        assert t["input_records"] == t["curated_new"] + t["duplicates"] + t["quarantined"]
        assert t == {
            "input_records": truth.input_records,
            "curated_new": truth.curated,
            "duplicates": truth.duplicates,
            "quarantined": sum(truth.quarantined.values()),
        }
        reasons: dict[str, int] = {}
        for counts in m.hours.values():
            for reason, n in counts["quarantined_by_reason"].items():
                reasons[reason] = reasons.get(reason, 0) + n
        assert reasons == truth.quarantined

        # first occurrence wins: every kept row comes from the first file that holds its id
        tables = lake_tables(root)
        first = _first_file(root, truth)
        kept = {row[0]: row[18] for row in tables["events"]}  # event_id -> source_file
        assert len(kept) == len(tables["events"]) == truth.curated
        assert {e: first[e] for e in kept} == kept

        # reruns change nothing: all hours again, then a suffix of them
        again = curate(root, hours, DuckDBEngine(threads=1))
        assert again.totals == m.totals and again.hours == m.hours
        curate(root, hours[min(rerun_from, len(hours) - 1) :], DuckDBEngine(threads=1))
        assert lake_tables(root) == tables
        assert not list(Lake(root).journal_dir.glob("*"))
