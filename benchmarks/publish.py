"""Benchmark: what the lake lock and the publish journal cost a run.

Publishes N staged files (the size of a day's hourly curate output and more) once through
the journal (fsync of each staged file, the journal, the swaps, the manifests) and once with
bare ``os.replace`` swaps, and times an uncontended lock acquire + release. Prints one JSON
object; exits 1 if the journal adds more than 1 s to a 200-file publish (a day of hours
with a week of late dates would be ~200 files).

    uv run python benchmarks/publish.py [--files 200] [--kb 256]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from taxiway.lake.layout import Lake
from taxiway.lake.lock import FileLock
from taxiway.lake.manifest import RunManifest
from taxiway.lake.publish import Publisher

BUDGET_S = 1.0


def _stage(lake: Lake, run_id: str, files: int, payload: bytes) -> Publisher:
    pub = Publisher(run_id)
    for i in range(files):
        final = (
            lake.events_dir / f"event_date=2026-11-{1 + i % 28:02d}" / f"landing_hour={i}.parquet"
        )
        pub.stage(final).write_bytes(payload)
    return pub


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--kb", type=int, default=256)
    args = parser.parse_args()
    payload = os.urandom(args.kb * 1024)
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as tmp:
        lake = Lake(Path(tmp))
        manifest = RunManifest("r", "duckdb", "", "", {}, {}, {})
        pub = _stage(lake, "plain", args.files, payload)
        t0 = time.perf_counter()
        pub.publish()
        plain_s = time.perf_counter() - t0
        pub = _stage(lake, "journal", args.files, payload)
        t0 = time.perf_counter()
        pub.publish(lake, manifest)
        journal_s = time.perf_counter() - t0
        lock = FileLock(lake.lock_file, run_id="bench")
        t0 = time.perf_counter()
        for _ in range(200):
            lock.acquire(wait=False)
            lock.release()
        lock_ms = (time.perf_counter() - t0) / 200 * 1000
    result = {
        "name": "publish_journal",
        "files": args.files,
        "file_kb": args.kb,
        "plain_swaps_seconds": round(plain_s, 4),
        "journal_publish_seconds": round(journal_s, 4),
        "journal_overhead_seconds": round(journal_s - plain_s, 4),
        "lock_acquire_release_ms": round(lock_ms, 3),
        "budget_seconds": BUDGET_S,
        "meets_target": journal_s - plain_s <= BUDGET_S,
    }
    print(json.dumps(result))
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
