"""spark-submit entry point: curate landing hours on EMR (or locally) with Spark.

::

    spark-submit --py-files taxiway_jobs.zip curate_spark.py \\
        --root s3://my-lake/prod --from 2026-11-23T05 --to 2026-11-23T05 --lookback-days 7

Same layout, rules, counts and manifests as ``taxiway run`` (see ``docs/spark.md``). One
path, the one the EMR step runs: :mod:`taxiway.jobs.native` reads the lines with Spark's
text source (one task per file, so line numbers are exact; a truncated gzip is one
``corrupt-file`` reject) and types the plain ones with Spark SQL, the Python rules decide
only the rest; the shuffles are sized to the input. Writes through the Hadoop FileSystem of ``--root``
(``s3://`` on EMR, ``file://``, or a plain local path). Nothing is published before the
counts add up; each output file is then moved into place in one step (an S3 object appears
whole or not at all; a local rename is atomic).

Imports only the standard library, pyspark and ``taxiway.jobs``: EMR 7 runs Python 3.9.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlparse

from taxiway.errors import UsageError
from taxiway.events.contract import FUTURE_TOLERANCE_HOURS
from taxiway.jobs import event_rules, native, spark_core
from taxiway.lake import contract
from taxiway.lake.lock import describe, lock_for

_UTC = timezone.utc
TMP = spark_core.TMP_DIR
Manifest = dict[str, Any]
#: the local folder store is the contract's (the same one `taxiway run` publishes through)
LocalStore = contract.LocalStore


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

    def exists(self, rel: str) -> bool:
        return bool(self.fs.exists(self._path(self.uri(rel))))

    def read_text(self, rel: str) -> str:
        stream = self.fs.open(self._path(self.uri(rel)))
        try:  # commons-io ships with Spark (and Hadoop): one call instead of a byte loop
            return str(self.jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()

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
    topics_dir: str = contract.LANDING_TOPICS,
    future_hours: int = FUTURE_TOLERANCE_HOURS,
    before_publish: Callable[[], None] | None = None,
    max_line_bytes: int = event_rules.MAX_LINE_BYTES,
) -> Manifest:
    """Curate ``hours`` (naive UTC) under ``store``, publish, write manifests; return the run's.

    The caller holds the lake lock (:func:`main` does). In order: roll forward any publish a
    crashed run committed (its journal), drop what a crashed run staged, classify, dedupe,
    check the counts, stage every output under ``.spark-tmp/<run_id>/``, call
    ``before_publish`` (the lock's ``check``), write the journal (the commit point), then
    make its swaps and write the manifests (:func:`contract.apply_journal`).

    Input is read from ``landing`` (a store; default ``store``) under ``topics_dir``; the
    recorded ``source_file`` is the path relative to the landing root.
    """
    landing = landing or store
    from taxiway.jobs.spark_core import DATE_COL, HOUR_COL

    started = datetime.now(_UTC)
    run_id = run_id or contract.new_run_id(started)
    recovered = contract.recover(store)  # first: a committed publish names files in TMP
    stale = len(store.entries(TMP))
    store.delete(TMP)  # what a run killed before its commit point left
    files: dict[str, tuple[str, datetime]] = {}
    for hour in hours:
        folder = contract.landing_dir(topic, hour, topics_dir)
        for name in names(landing, folder, "*.json*"):
            if name.endswith((".json.gz", ".json")):
                files[landing.uri(f"{folder}/{name}")] = (f"{folder}/{name}", hour)
    # Spark reads the lines and Spark SQL types the plain ones; the Python rules see only
    # the rest (rejects, odd but valid lines); each line is parsed once, then cached
    classified, cached, expected = native.classify_files_native(
        spark, files, lookback_days, future_hours, max_line_bytes
    )
    tmp, committed = f"{TMP}/{run_id}", False
    try:
        run_keys = {contract.format_hour(h) for h in hours}

        def kept(dates: list[Any]) -> list[str]:  # other hours' partitions of these dates
            return [
                store.uri(f"{contract.partition_dir(d)}/{n}")
                for d in dates
                for n in names(store, contract.partition_dir(d), "*.parquet")
                if n[len("landing_hour=") : -len(".parquet")] not in run_keys
            ]

        ranks = spark_core.file_ranks(files.values())
        marked, firsts, _dates = spark_core.mark_new(spark, classified, ranks, kept)
        cached.append(firsts)
        by_hour, groups, lines = spark_core.tally(hours, marked)
        native.check_line_numbers(lines, expected)  # every line read, numbered 1..n
        for hour, c in by_hour.items():
            contract.check_counts(contract.format_hour(hour), c)
        spark_core.write_events(marked, store.uri(f"{tmp}/events"))
        empty = any(c["quarantined"] == 0 for c in by_hour.values())
        spark_core.write_quarantine(spark, classified, run_id, store.uri(f"{tmp}/q"), empty)
        ops = _publish_ops(store, tmp, hours, groups, run_keys, DATE_COL, HOUR_COL)
        per_date: dict[str, int] = {}
        for d, _h, n in groups:
            per_date[d.isoformat()] = per_date.get(d.isoformat(), 0) + n
        manifest = contract.run_manifest(
            run_id,
            "spark",
            started,
            {contract.format_hour(h): c for h, c in by_hour.items()},
            per_date,
            [op["final"] for op in ops if op["op"] == "replace" and "/event_date=" in op["final"]],
            [op["final"] for op in ops if op["op"] == "remove"],
            stale,
            recovered,
        )
        if before_publish is not None:
            before_publish()  # a run that lost the lake lock must not publish
        journal = contract.journal_file(run_id)
        contract.fault_point("before-journal")
        # the commit point: an S3 object appears whole or not at all (a local file is
        # renamed into place); from here on the next holder of the lock rolls it forward
        store.write_text(journal, json.dumps(contract.journal_doc(run_id, ops, manifest)))
        committed = True
        contract.fault_point("after-journal")
        manifest = contract.apply_journal(
            store, journal, contract.journal_doc(run_id, ops, manifest)
        )
        committed = False  # published: the staging folder can go
    finally:
        for frame in cached:
            frame.unpersist()
        if not committed:  # a committed journal still needs its staged files
            store.delete(TMP)
    return manifest


def _publish_ops(
    store: Any,
    tmp: str,
    hours: list[datetime],
    groups: spark_core.Groups,
    run_keys: set[str],
    date_col: str,
    hour_col: str,
) -> list[dict[str, str]]:
    """The journal's swaps (Spark's part files -> the layout's names) and removals.

    Every swap is a ``replace`` of one staged file: an hour without rejects gets its own
    copy of the empty quarantine file first, so the journal has the one format
    ``taxiway run`` writes.
    """
    ops = []
    for d, hour, _n in groups:
        key = contract.format_hour(hour)
        folder = f"{tmp}/events/{date_col}={d.isoformat()}/{hour_col}={key}"
        ops.append(
            contract.replace_op(_single_part(store, folder), contract.partition_file(d, hour))
        )
    written = {op["final"] for op in ops}
    for hour in hours:
        key = contract.format_hour(hour)
        folder = f"{tmp}/q/hours/{hour_col}={key}"
        if store.entries(folder):
            staged = _single_part(store, folder)
        else:
            staged = f"{tmp}/q/empty-{key}.parquet"  # written when some hour has none
            store.copy(_single_part(store, f"{tmp}/q/empty"), staged)
        ops.append(contract.replace_op(staged, contract.quarantine_file(hour)))
    for date_dir in names(store, contract.EVENTS_DIR, "event_date=*", dirs=True):
        existing = set(names(store, f"{contract.EVENTS_DIR}/{date_dir}", "landing_hour=*.parquet"))
        for key in sorted(run_keys):
            rel = f"{contract.EVENTS_DIR}/{date_dir}/landing_hour={key}.parquet"
            if rel.rsplit("/", 1)[1] in existing and rel not in written:
                ops.append(contract.remove_op(rel))  # an earlier run of this hour wrote it
    return ops


def parse_hour(text: str) -> datetime:
    """``2026-11-23T05`` -> naive UTC datetime (the contract's rule; Spark's hours are naive).

    argparse reports the ``ArgumentTypeError`` as bad usage (exit 2) before Spark starts.
    """
    try:
        return contract.parse_hour(text).replace(tzinfo=None)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"`{text}` is not a positive number of bytes")
    return value


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
    ap.add_argument(
        "--max-line-bytes",
        type=_positive,
        default=event_rules.MAX_LINE_BYTES,
        help="a longer landing line is quarantined as `line-too-long` while it is read "
        f"({event_rules.MAX_LINE_BYTES})",
    )
    ap.add_argument("--from", dest="start", required=True, type=parse_hour, help="YYYY-MM-DDTHH")
    ap.add_argument("--to", dest="end", type=parse_hour, help="last hour (default: --from)")
    ap.add_argument("--lookback-days", type=int, default=7, help="late-event lookback (7)")
    ap.add_argument("--topic", default="events", help="Kafka topic folder (events)")
    ap.add_argument("--run-id", help="run id (default: a new timestamped id)")
    ap.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's)")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, take the lake lock, run, print the run's totals as one JSON line.

    The lock (``<root>/.lake.lock``: an S3 object for ``s3://``, a ``flock`` for a path) is
    the one ``taxiway run`` takes, held from reading partitions to the last manifest, so the
    job and any other run on the same lake serialise; a second one waits here.
    """
    ap = build_parser()
    args = ap.parse_args(argv)
    end = args.end or args.start
    if end < args.start:
        ap.error("--to is before --from")
    hours = contract.hour_range(args.start, end)
    run_id = args.run_id or contract.new_run_id()
    lock = lock_for(args.root, run_id=run_id)

    def waiting(holder: dict[str, Any]) -> None:
        print(
            f"waiting: the lake `{args.root}` is being curated by {describe(holder)}; "
            "this run starts when it finishes",
            file=sys.stderr,
            flush=True,
        )

    lock.acquire(on_wait=waiting)
    try:
        spark = spark_core.session(args.master)
        store = store_for(spark, args.root)
        landing = store_for(spark, args.landing_root) if args.landing_root else store
        topics_dir = args.topics_dir or ("topics" if args.landing_root else "landing/topics")
        manifest = run(
            spark,
            store,
            hours,
            args.lookback_days,
            args.topic,
            run_id,
            landing=landing,
            topics_dir=topics_dir.strip("/"),
            future_hours=args.future_tolerance_hours,
            before_publish=lock.check,
            max_line_bytes=args.max_line_bytes,
        )
    finally:
        lock.release()
    print(json.dumps({"run_id": manifest["run_id"], "totals": manifest["totals"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
