"""Benchmark: DuckDBEngine vs SparkEngine (local[2]) curating the same >= 1M events.

Generates the input once (cached under benchmarks/out/, git-ignored), measures the
decompress floor (``gzip -dc | wc -l`` per file, one process per core), then curates the
input with each engine into its own root (the landing folder is a symlink to the cached
input) and prints one JSON object with the ratios Spark/DuckDB and Spark/floor. Spark's JVM
start is timed on its own line (``spark_startup_seconds``), apart from the curate run.

Spark's JVM start and a warm-up (one hour through each path, untimed in the ratios) come
first; then Spark runs twice on the same session: the native job (``classify="native"``:
``spark.read.text``, Spark SQL for plain lines, ``jobs/native.py``), then the old job with
the Python rules for every line; ``native_speedup`` = Python-row time / native time. The
ratios to DuckDB and the floor are the native job's. Exits 1 unless all three runs wrote
the same curated and quarantine rows. ``spark_*_jobs`` count the Spark jobs each timed run
triggered (every action, each a pass over cached or re-computed data).

    uv run python benchmarks/curate_engines.py [--events-per-hour 270000] [--hours 4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curate import gzip_floor

from taxiway.engines.duckdb import DuckDBEngine
from taxiway.engines.spark import SparkEngine
from taxiway.events.generator import GeneratorOptions, generate
from taxiway.lake.layout import Lake
from taxiway.pipeline.curate import curate

OUT = Path(__file__).resolve().parent / "out" / "curate_engines"
START = datetime(2026, 11, 23, 0, tzinfo=UTC)


def _input(hours: int, per_hour: int) -> Path:
    """The cached generated input for these options (regenerated when they change)."""
    src = OUT / f"input-{hours}x{per_hour}"
    if not (src / "ground_truth.json").exists():
        shutil.rmtree(src, ignore_errors=True)
        t = time.perf_counter()
        generate(src, GeneratorOptions(start=START, hours=hours, events_per_hour=per_hour))
        print(f"generated input in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    return src


def _root(name: str, src: Path) -> Path:
    root = OUT / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "landing").symlink_to(src / "landing", target_is_directory=True)
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=int, default=4)
    ap.add_argument("--events-per-hour", type=int, default=270_000)
    # the Python-row engine hands all lines to the JVM as Arrow: 1M events need ~4g
    ap.add_argument("--driver-memory", default="4g")
    args = ap.parse_args()
    src = _input(args.hours, args.events_per_hour)
    hours = [START.replace(hour=h) for h in range(args.hours)]
    truth = json.loads((src / "ground_truth.json").read_text())
    files = [p for h in hours for p in Lake(src).landing_files(h)]
    gzip_floor(files)  # warm the page cache
    floor_s, _ = gzip_floor(files)

    t = time.perf_counter()
    duck = curate(_root("duckdb", src), hours, DuckDBEngine(threads=2))
    duck_s = time.perf_counter() - t

    conf = {"spark.driver.memory": args.driver_memory}
    native_engine = SparkEngine("local[2]", conf=conf, classify="native")
    t = time.perf_counter()
    native_engine.spark.range(1).count()  # start the JVM outside the timed runs
    startup_s = time.perf_counter() - t
    engine = SparkEngine("local[2]", conf=conf, classify="python")
    engine._spark = native_engine.spark  # the same JVM
    # one untimed hour through each path first: the JIT warms up for both, not for one
    t = time.perf_counter()
    curate(_root("warm-native", src), hours[:1], native_engine)
    curate(_root("warm-python", src), hours[:1], engine)
    warmup_s = time.perf_counter() - t
    sc = native_engine.spark.sparkContext
    sc.setJobGroup("native", "the native job")
    t = time.perf_counter()
    native_run = curate(_root("spark-native", src), hours, native_engine)
    native_s = time.perf_counter() - t
    sc.setJobGroup("python", "the Python-row job")
    t = time.perf_counter()
    spark = curate(_root("spark", src), hours, engine)
    spark_s = time.perf_counter() - t
    jobs = {g: len(sc.statusTracker().getJobIdsForGroup(g)) for g in ("native", "python")}

    events = duck.totals["input_records"]
    assert events == truth["input_records"] == spark.totals["input_records"]
    assert duck.totals == spark.totals == native_run.totals, (duck.totals, spark.totals)
    same_rows = _rows(OUT / "duckdb") == _rows(OUT / "spark-native") == _rows(OUT / "spark")
    print(
        json.dumps(
            {
                "events": events,
                "floor_seconds": round(floor_s, 2),
                "duckdb_seconds": round(duck_s, 2),
                "spark_startup_seconds": round(startup_s, 2),
                "spark_warmup_seconds": round(warmup_s, 2),
                "spark_native_seconds": round(native_s, 2),
                "spark_python_rows_seconds": round(spark_s, 2),
                "native_speedup": round(spark_s / native_s, 2),
                "spark_native_jobs": jobs["native"],
                "spark_python_rows_jobs": jobs["python"],
                "duckdb_events_per_s": round(events / duck_s),
                "spark_native_events_per_s": round(events / native_s),
                "spark_over_duckdb": round(native_s / duck_s, 1),
                "spark_over_floor": round(native_s / floor_s, 1),
                "duckdb_over_floor": round(duck_s / floor_s, 2),
                "same_totals": duck.totals == spark.totals == native_run.totals,
                "same_rows": same_rows,
            }
        )
    )
    sys.exit(0 if same_rows else 1)


def _rows(root: Path) -> tuple[Any, Any]:
    """A digest of every curated and quarantined row (order-independent), for equality."""
    import duckdb

    con = duckdb.connect()
    curated = con.execute(
        "SELECT count(*), sum(hash(COLUMNS(*))) FROM "
        f"read_parquet('{root}/curated/events/*/*.parquet')"
    ).fetchall()
    quarantine = con.execute(
        "SELECT count(*), sum(hash(source_file, line_number, reason, detail, raw_line)) "
        f"FROM read_parquet('{root}/quarantine/*.parquet')"
    ).fetchall()
    return curated, quarantine


if __name__ == "__main__":
    main()
