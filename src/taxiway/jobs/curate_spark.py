"""spark-submit entry point: curate landing hours on EMR (or locally) with Spark.

::

    spark-submit --py-files taxiway_jobs.zip curate_spark.py \\
        --root s3://my-lake/prod --from 2026-11-23T05 --to 2026-11-23T05 --lookback-days 7

Same layout, rules, counts and manifests as ``taxiway run`` (see ``docs/spark.md``). Reads
with Spark itself (``binaryFiles``: whole files, so line numbers are exact and a truncated
gzip is one ``corrupt-file`` reject), writes through the Hadoop FileSystem of ``--root``
(``s3://`` on EMR, ``file://``, or a plain local path). Nothing is published before the
counts add up; each output file is then moved into place in one step (an S3 object appears
whole or not at all; a local rename is atomic).

Imports only the standard library, pyspark and ``taxiway.jobs``: EMR 7 runs Python 3.9.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import secrets
import shutil
import sys
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlparse

from taxiway.events.contract import FUTURE_TOLERANCE_HOURS
from taxiway.jobs import native, spark_core

_UTC = timezone.utc
_HOUR = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d)")
TMP = spark_core.TMP_DIR
Manifest = dict[str, Any]


class LocalStore:
    """A local folder: moves are ``os.replace`` (atomic within one filesystem)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def uri(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def entries(self, rel_dir: str) -> list[tuple[str, bool]]:
        """(name, is_dir) of a folder's entries; [] when it does not exist."""
        path = self.uri(rel_dir)
        if not os.path.isdir(path):
            return []
        return [(e.name, e.is_dir()) for e in os.scandir(path)]

    def replace(self, src: str, dst: str) -> None:
        os.makedirs(os.path.dirname(self.uri(dst)), exist_ok=True)
        os.replace(self.uri(src), self.uri(dst))

    def copy(self, src: str, dst: str) -> None:
        os.makedirs(os.path.dirname(self.uri(dst)), exist_ok=True)
        shutil.copyfile(self.uri(src), self.uri(dst))

    def delete(self, rel: str) -> None:
        path = self.uri(rel)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.unlink(path)

    def write_text(self, rel: str, text: str) -> None:
        path = self.uri(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(path + ".tmp", path)


class HadoopStore:
    """Any Hadoop FileSystem URI (``s3://`` on EMR, ``file://``), through Spark's JVM.

    A move is a copy with overwrite, then a delete: on S3 the new object replaces the old
    one in a single PUT, so a reader sees the old file or the new one, never a mix.
    """

    def __init__(self, spark: Any, root: str) -> None:
        self.root = root.rstrip("/")
        self.jvm = spark.sparkContext._jvm
        self.conf = spark.sparkContext._jsc.hadoopConfiguration()
        self.fs = self._path(self.root).getFileSystem(self.conf)

    def _path(self, uri: str) -> Any:
        return self.jvm.org.apache.hadoop.fs.Path(uri)

    def uri(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def entries(self, rel_dir: str) -> list[tuple[str, bool]]:
        path = self._path(self.uri(rel_dir))
        if not self.fs.exists(path):
            return []
        return [(s.getPath().getName(), s.isDirectory()) for s in self.fs.listStatus(path)]

    def _copy(self, src: str, dst: str, delete_source: bool) -> None:
        util = self.jvm.org.apache.hadoop.fs.FileUtil
        src_path, dst_path = self._path(self.uri(src)), self._path(self.uri(dst))
        if not util.copy(self.fs, src_path, self.fs, dst_path, delete_source, True, self.conf):
            raise OSError(f"could not copy `{self.uri(src)}` to `{self.uri(dst)}`")

    def replace(self, src: str, dst: str) -> None:
        self._copy(src, dst, True)

    def copy(self, src: str, dst: str) -> None:
        self._copy(src, dst, False)

    def delete(self, rel: str) -> None:
        self.fs.delete(self._path(self.uri(rel)), True)

    def write_text(self, rel: str, text: str) -> None:
        out = self.fs.create(self._path(self.uri(rel)), True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()


def store_for(spark: Any, root: str) -> Any:
    """A LocalStore for a plain path, a HadoopStore for a URI with a scheme."""
    return HadoopStore(spark, root) if urlparse(root).scheme else LocalStore(root)


def names(store: Any, rel_dir: str, pattern: str, dirs: bool = False) -> list[str]:
    """Sorted entry names in ``rel_dir`` matching a shell ``pattern`` (files, or folders)."""
    return sorted(
        n for n, is_dir in store.entries(rel_dir) if is_dir == dirs and fnmatch.fnmatch(n, pattern)
    )


def landing_dir(topic: str, hour: datetime, topics_dir: str = "landing/topics") -> str:
    """``<topics_dir>/<topic>/year=/month=/day=/hour=`` under the landing root."""
    return f"{topics_dir}/{topic}/year={hour:%Y}/month={hour:%m}/day={hour:%d}/hour={hour:%H}"


def partition_file(event_date: Any, hour: datetime) -> str:
    key = spark_core.hour_key(hour)
    return f"curated/events/event_date={event_date.isoformat()}/landing_hour={key}.parquet"


def quarantine_file(hour: datetime) -> str:
    return f"quarantine/landing_hour={spark_core.hour_key(hour)}.parquet"


def _single_part(store: Any, folder: str) -> str:
    parts = names(store, folder, "part-*.parquet")
    if len(parts) != 1:
        raise RuntimeError(f"Spark wrote {len(parts)} part files into `{folder}`, expected 1")
    return f"{folder}/{parts[0]}"


def run(
    spark: Any,
    store: Any,
    hours: list[datetime],
    lookback_days: int = 7,
    topic: str = "events",
    run_id: str | None = None,
    landing: Any = None,
    topics_dir: str = "landing/topics",
    future_hours: int = FUTURE_TOLERANCE_HOURS,
    classify: str = "python",
) -> Manifest:
    """Curate ``hours`` (naive UTC) under ``store``, publish, write manifests; return the run's.

    Input is read from ``landing`` (a store; default ``store``) under ``topics_dir``; the
    recorded ``source_file`` is the path relative to the landing root.
    """
    landing = landing or store
    from taxiway.jobs.spark_core import DATE_COL, HOUR_COL

    started = datetime.now(_UTC)
    run_id = run_id or f"{started:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    stale = len(store.entries(TMP))
    store.delete(TMP)  # what a killed run left; like the local pipeline, one run at a time
    files: dict[str, tuple[str, datetime]] = {}
    for hour in hours:
        folder = landing_dir(topic, hour, topics_dir)
        for name in names(landing, folder, "*.json*"):
            if name.endswith((".json.gz", ".json")):
                files[landing.uri(f"{folder}/{name}")] = (f"{folder}/{name}", hour)
    cached: list[Any] = []
    if classify == "native":  # Spark reads the lines; Spark SQL types the plain ones
        classified = native.classify_files_native(spark, files, lookback_days, future_hours)
    else:  # the Python rules for every line (measured faster, so the default)
        classified = spark_core.classify_files_frame(spark, files, lookback_days, future_hours)
    classified = classified.persist()
    tmp, rows = f"{TMP}/{run_id}", None
    try:
        run_keys = {spark_core.hour_key(h) for h in hours}
        kept = [
            store.uri(f"curated/events/event_date={d.isoformat()}/{n}")
            for d in spark_core.run_dates(classified)
            for n in names(store, f"curated/events/event_date={d.isoformat()}", "*.parquet")
            if n[len("landing_hour=") : -len(".parquet")] not in run_keys
        ]
        rows = spark_core.new_rows(spark, classified, kept).persist()
        by_hour, groups = spark_core.counts(hours, classified, rows)
        for hour, c in by_hour.items():
            if c["input_records"] != c["curated_new"] + c["duplicates"] + c["quarantined"]:
                raise RuntimeError(
                    f"Counts for landing hour `{spark_core.hour_key(hour)}` do not add up: {c}; "
                    "nothing was published. This is a bug: please report it."
                )
        spark_core.write_events(rows, store.uri(f"{tmp}/events"))
        spark_core.write_quarantine(spark, classified, run_id, store.uri(f"{tmp}/q"))
        written = []
        for d, hour, _n in groups:
            folder = (
                f"{tmp}/events/{DATE_COL}={d.isoformat()}/{HOUR_COL}={spark_core.hour_key(hour)}"
            )
            store.replace(_single_part(store, folder), partition_file(d, hour))
            written.append(partition_file(d, hour))
        empty = _single_part(store, f"{tmp}/q/empty")
        for hour in hours:
            folder = f"{tmp}/q/hours/{HOUR_COL}={spark_core.hour_key(hour)}"
            if store.entries(folder):
                store.replace(_single_part(store, folder), quarantine_file(hour))
            else:
                store.copy(empty, quarantine_file(hour))
        removed = []
        for date_dir in names(store, "curated/events", "event_date=*", dirs=True):
            existing = set(names(store, f"curated/events/{date_dir}", "landing_hour=*.parquet"))
            for key in sorted(run_keys):
                rel = f"curated/events/{date_dir}/landing_hour={key}.parquet"
                if rel.rsplit("/", 1)[1] in existing and rel not in written:
                    store.delete(rel)  # an earlier run of this hour wrote it; now empty
                    removed.append(rel)
    finally:
        classified.unpersist()
        if rows is not None:
            rows.unpersist()
        for frame in cached:
            frame.unpersist()
        store.delete(TMP)
    return _write_manifests(
        store, run_id, started, by_hour, groups, sorted(written), sorted(removed), stale
    )


def _write_manifests(
    store: Any,
    run_id: str,
    started: datetime,
    by_hour: dict[datetime, dict[str, Any]],
    groups: spark_core.Groups,
    written: list[str],
    removed: list[str],
    stale: int,
) -> Manifest:
    """The run manifest and one manifest per hour, shaped like ``taxiway.lake.manifest``."""
    finished = datetime.now(_UTC).isoformat()
    keys = ("input_records", "curated_new", "duplicates", "quarantined")
    per_date: dict[str, int] = {}
    for d, _h, n in groups:
        per_date[d.isoformat()] = per_date.get(d.isoformat(), 0) + n
    hours = {spark_core.hour_key(h): c for h, c in sorted(by_hour.items())}
    manifest: Manifest = {
        "run_id": run_id,
        "engine": "spark",
        "started_at": started.isoformat(),
        "finished_at": finished,
        "hours": hours,
        "totals": {k: sum(c[k] for c in by_hour.values()) for k in keys},
        "new_rows_per_date": dict(sorted(per_date.items())),
        "files_written": written,
        "files_removed": removed,
        "stale_files_removed": stale,
    }
    for key, counts in hours.items():
        doc = {"landing_hour": key, "run_id": run_id, "finished_at": finished, **counts}
        store.write_text(f"manifests/hours/{key}.json", json.dumps(doc, indent=2))
    store.write_text(
        f"manifests/runs/{run_id}.json", json.dumps(manifest, indent=2, sort_keys=True)
    )
    return manifest


def parse_hour(text: str) -> datetime:
    """``2026-11-23T05`` -> naive UTC datetime; argparse reports a ValueError as bad usage."""
    m = _HOUR.fullmatch(text.strip())
    if not m:
        raise ValueError(f"`{text}` is not of the form YYYY-MM-DDTHH")
    y, mo, d, h = (int(g) for g in m.groups())
    return datetime(y, mo, d, h)


def build_parser() -> argparse.ArgumentParser:
    """The job's command line: the contract the DAG's EMR step renders (tests check both)."""
    ap = argparse.ArgumentParser(prog="curate_spark", description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="storage root: s3://bucket/prefix or a path")
    ap.add_argument(
        "--landing-root", help="where the sink writes (s3://landing-bucket); default: --root"
    )
    ap.add_argument(
        "--topics-dir",
        help="the sink's topics.dir under the landing root (default: `topics` with "
        "--landing-root, else `landing/topics`)",
    )
    ap.add_argument(
        "--future-tolerance-hours",
        type=int,
        default=FUTURE_TOLERANCE_HOURS,
        help="event_ts later than the landing hour's end plus this is quarantined (1)",
    )
    ap.add_argument("--from", dest="start", required=True, type=parse_hour, help="YYYY-MM-DDTHH")
    ap.add_argument("--to", dest="end", type=parse_hour, help="last hour (default: --from)")
    ap.add_argument("--lookback-days", type=int, default=7, help="late-event lookback (7)")
    ap.add_argument(
        "--classify",
        choices=("native", "python"),
        default="python",
        help="python: the Python rules for every line (default); native: Spark reads the "
        "lines and types plain ones with Spark SQL, the Python rules see only the rest",
    )
    ap.add_argument("--topic", default="events", help="Kafka topic folder (events)")
    ap.add_argument("--run-id", help="run id (default: a new timestamped id)")
    ap.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's)")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the run manifest's totals as one JSON line."""
    ap = build_parser()
    args = ap.parse_args(argv)
    end = args.end or args.start
    if end < args.start:
        ap.error("--to is before --from")
    hours, h = [], args.start
    while h <= end:
        hours.append(h)
        h += timedelta(hours=1)
    spark = spark_core.session(args.master)
    if spark.sparkContext.master.startswith("local"):  # a laptop or a test: few, small tasks
        spark.conf.set(
            "spark.sql.shuffle.partitions", spark_core.LOCAL_CONF["spark.sql.shuffle.partitions"]
        )
    store = store_for(spark, args.root)
    landing = store_for(spark, args.landing_root) if args.landing_root else store
    topics_dir = args.topics_dir or ("topics" if args.landing_root else "landing/topics")
    manifest = run(
        spark,
        store,
        hours,
        args.lookback_days,
        args.topic,
        args.run_id,
        landing=landing,
        topics_dir=topics_dir.strip("/"),
        future_hours=args.future_tolerance_hours,
        classify=args.classify,
    )
    print(json.dumps({"run_id": manifest["run_id"], "totals": manifest["totals"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
