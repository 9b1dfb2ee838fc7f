"""Benchmark: DuckDB curate throughput vs the I/O floor on >= 1M generated events.

The I/O floor is the time to only decompress every landing file and count its lines, the
least any curate must do. Prints one JSON object; exits 1 when the DESIGN.md target
(>= 1M events/s on 2 cores) is missed, so `make bench` tells the truth.

    uv run python benchmarks/curate.py [--events-per-hour 50000] [--hours 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from taxiway.engines.duckdb import DuckDBEngine
from taxiway.engines.landing import decompress
from taxiway.events.generator import GeneratorOptions, generate
from taxiway.lake.layout import Lake, hour_range
from taxiway.pipeline.curate import curate

OUT = Path(__file__).resolve().parent / "out"
TARGET = 1_000_000


def prepare(hours: int, per_hour: int) -> tuple[Path, int]:
    """Generate the input once and cache it (keyed by size) under benchmarks/out/."""
    root = OUT / f"curate-{hours}x{per_hour}"
    truth_file = root / "ground_truth.json"
    if not truth_file.exists():
        shutil.rmtree(root, ignore_errors=True)
        start = datetime(2026, 11, 23, tzinfo=UTC)
        generate(root, GeneratorOptions(start=start, hours=hours, events_per_hour=per_hour))
    return root, json.loads(truth_file.read_text())["input_records"]


def io_floor(files: list[Path]) -> tuple[float, int]:
    t0 = time.perf_counter()

    def count(p: Path) -> int:
        try:
            return decompress(p).count(b"\n")
        except ValueError:
            return 1

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        lines = sum(pool.map(count, files))
    return time.perf_counter() - t0, lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=int, default=20)
    parser.add_argument("--events-per-hour", type=int, default=50_000)
    args = parser.parse_args()
    src, n_input = prepare(args.hours, args.events_per_hour)
    start = datetime(2026, 11, 23, tzinfo=UTC)
    hours = hour_range(start, start + timedelta(hours=args.hours - 1))
    files = [p for h in hours for p in Lake(src).landing_files(h)]
    floor_s, _ = io_floor(files)
    # curate into a fresh copy of the root so every run starts from an empty lake
    for sub in ("curated", "quarantine", "manifests"):
        shutil.rmtree(src / sub, ignore_errors=True)
    t0 = time.perf_counter()
    manifest = curate(src, hours, DuckDBEngine())
    curate_s = time.perf_counter() - t0
    eps = n_input / curate_s
    result = {
        "name": "curate_duckdb",
        "cores": os.cpu_count(),
        "events": n_input,
        "curated": manifest.totals["curated_new"],
        "io_floor_seconds": round(floor_s, 3),
        "io_floor_events_per_s": round(n_input / floor_s),
        "curate_seconds": round(curate_s, 3),
        "curate_events_per_s": round(eps),
        "curate_over_io_floor": round(curate_s / floor_s, 2),
        "target_events_per_s": TARGET,
        "meets_target": eps >= TARGET,
    }
    print(json.dumps(result))
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
