"""Benchmark: peak RSS of one DuckDB curate run over 24 hours, 3 days and 7 days.

Memory must stay flat as the number of hours grows (the engine works in hour batches and
keeps only the run's event ids, in temporary tables that spill to disk), not grow with it.
Each run is a child process, so each peak RSS is that run's own. A run that fits in one
batch has no read-ahead (the next batch read while this one is classified), so with small
hours the 24-hour figure sits lower; from two batches on the peak is that of two batches in
memory at once. Prints one JSON object; exits 1 when the 7-day peak exceeds 1.25x the
3-day peak (growth with hours) or 1 GiB.

    uv run python benchmarks/curate_week.py [--events-per-hour 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from curate import RSS_LIMIT_MB, prepare, run_child

FLAT = 1.25  # the 7-day peak may exceed the 3-day peak by this factor at most


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events-per-hour", type=int, default=10_000)
    args = parser.parse_args()
    # one generated week; the day is its first 24 hours (the same data, fewer hours)
    week_root, _ = prepare(168, args.events_per_hour)
    day = run_child(week_root, 24)
    days3 = run_child(week_root, 72)
    week = run_child(week_root, 168)
    growth = week["peak_rss_mb"] / days3["peak_rss_mb"]
    result = {
        "name": "curate_week_rss",
        "cores": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "events_per_hour": args.events_per_hour,
        "day_events": day["input_records"],
        "week_events": week["input_records"],
        "day_seconds": round(day["seconds"], 2),
        "days3_seconds": round(days3["seconds"], 2),
        "week_seconds": round(week["seconds"], 2),
        "day_peak_rss_mb": round(day["peak_rss_mb"]),
        "days3_peak_rss_mb": round(days3["peak_rss_mb"]),
        "week_peak_rss_mb": round(week["peak_rss_mb"]),
        "week_over_days3_rss": round(growth, 2),
        "week_over_day_rss": round(week["peak_rss_mb"] / day["peak_rss_mb"], 2),
        "events_ratio": round(week["input_records"] / day["input_records"], 2),
        "flat_limit": FLAT,
        "rss_limit_mb": RSS_LIMIT_MB,
    }
    result["flat"] = growth <= FLAT and week["peak_rss_mb"] <= RSS_LIMIT_MB
    print(json.dumps(result))
    return 0 if result["flat"] else 1


if __name__ == "__main__":
    sys.exit(main())
