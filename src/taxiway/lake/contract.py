"""The curate contract both runners share: hours, run ids, paths, the counts check,
manifests and the redo journal.

``taxiway run`` (DuckDB or Spark in-process, :mod:`taxiway.pipeline.curate`) and the EMR job
(:mod:`taxiway.jobs.curate_spark`) write the same lake. Everything that must agree between
them lives here once: the layout as paths *relative to the lake root* (a local folder or an
``s3://`` prefix), the hour format, the run id, the rule that the counts of every hour add
up, the manifest documents, and the journal that makes a publish all-or-nothing.

This module imports only the standard library and :mod:`taxiway.errors`, and keeps to
Python 3.9 syntax: it ships in the job's ``--py-files`` zip (EMR 7 runs Python 3.9).
Storage is reached through a *store* (:class:`LocalStore` here, ``HadoopStore`` in the job):
``exists``, ``read_text``, ``write_text``, ``replace``, ``delete``, ``entries`` on relative
paths.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from taxiway.errors import DataError, InvariantError, UsageError

UTC = timezone.utc
_HOUR = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})$")

EVENTS_DIR = "curated/events"
QUARANTINE_DIR = "quarantine"
RUNS_DIR = "manifests/runs"
HOURS_DIR = "manifests/hours"
JOURNAL_DIR = "manifests/journal"
LANDING_TOPICS = "landing/topics"
COUNT_KEYS = ("input_records", "curated_new", "duplicates", "quarantined")

# ---------------------------------------------------------------- hours and run ids


def parse_hour(text: str) -> datetime:
    """``2026-11-23T05`` -> aware UTC datetime at the top of that hour."""
    m = _HOUR.match(text.strip())
    if not m:
        raise UsageError(f"Hour `{text}` is not of the form YYYY-MM-DDTHH (e.g. 2026-11-23T05).")
    y, mo, d, h = (int(g) for g in m.groups())
    try:
        return datetime(y, mo, d, h, tzinfo=UTC)
    except ValueError as exc:
        raise UsageError(f"Hour `{text}` is not a valid date and hour: {exc}.") from exc


def format_hour(hour: datetime) -> str:
    """``YYYY-MM-DDTHH`` of an hour; a naive datetime is taken as UTC (the Spark job's)."""
    if hour.tzinfo is not None:
        hour = hour.astimezone(UTC)
    return hour.strftime("%Y-%m-%dT%H")


def hour_range(start: datetime, end: datetime) -> list[datetime]:
    """Inclusive hourly range; raises when end is before start."""
    if end < start:
        raise UsageError(f"`--to {format_hour(end)}` is before `--from {format_hour(start)}`.")
    hours = []
    h = start
    while h <= end:
        hours.append(h)
        h += timedelta(hours=1)
    return hours


def new_run_id(now: datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSS-xxxxxx``: sortable by start time, unique across runners."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


# ---------------------------------------------------------------- layout (relative paths)


def landing_dir(topic: str, hour: datetime, topics_dir: str = LANDING_TOPICS) -> str:
    """``<topics_dir>/<topic>/year=/month=/day=/hour=`` under the landing root."""
    if hour.tzinfo is not None:
        hour = hour.astimezone(UTC)
    return f"{topics_dir}/{topic}/year={hour:%Y}/month={hour:%m}/day={hour:%d}/hour={hour:%H}"


def partition_dir(event_date: date) -> str:
    return f"{EVENTS_DIR}/event_date={event_date.isoformat()}"


def partition_file(event_date: date, hour: datetime) -> str:
    """Rows of ``event_date`` that arrived in landing hour ``hour``: one file per pair, so a
    rerun of an hour replaces exactly what the previous run of that hour wrote."""
    return f"{partition_dir(event_date)}/landing_hour={format_hour(hour)}.parquet"


def quarantine_file(hour: datetime) -> str:
    return f"{QUARANTINE_DIR}/landing_hour={format_hour(hour)}.parquet"


def hour_manifest(key: str) -> str:
    """The latest run's counts for landing hour ``key`` (``YYYY-MM-DDTHH``)."""
    return f"{HOURS_DIR}/{key}.json"


def run_manifest_file(run_id: str) -> str:
    return f"{RUNS_DIR}/{run_id}.json"


def journal_file(run_id: str) -> str:
    return f"{JOURNAL_DIR}/{run_id}.json"


# ---------------------------------------------------------------- counts and manifests


def check_counts(key: str, counts: Mapping[str, Any]) -> None:
    """Raise :class:`InvariantError` unless input = curated new + duplicates + quarantined."""
    total = counts["curated_new"] + counts["duplicates"] + counts["quarantined"]
    if counts["input_records"] != total:
        raise InvariantError(
            f"Counts for landing hour `{key}` do not add up: input {counts['input_records']} "
            f"!= curated {counts['curated_new']} + duplicates {counts['duplicates']} + "
            f"quarantined {counts['quarantined']}; nothing was published. This is a bug: "
            "please report it with the run's input files."
        )


def run_manifest(
    run_id: str,
    engine: str,
    started: datetime,
    hours: Mapping[str, Mapping[str, Any]],
    new_rows_per_date: Mapping[str, int],
    written: list[str],
    removed: list[str],
    stale: int = 0,
    recovered: list[str] | None = None,
) -> dict[str, Any]:
    """The run manifest document (``manifests/runs/<run_id>.json``); checks every hour."""
    for key, counts in hours.items():
        check_counts(key, counts)
    return {
        "run_id": run_id,
        "engine": engine,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "hours": {k: dict(v) for k, v in sorted(hours.items())},
        "totals": {k: sum(int(c[k]) for c in hours.values()) for k in COUNT_KEYS},
        "new_rows_per_date": dict(sorted(new_rows_per_date.items())),
        "files_written": sorted(written),
        "files_removed": sorted(removed),
        "stale_files_removed": stale,
        "recovered_runs": list(recovered or []),
    }


def write_manifests(store: Any, manifest: Mapping[str, Any]) -> str:
    """Write each hour's manifest, then the run's; return the run manifest's path."""
    for key, counts in manifest["hours"].items():
        doc = {"landing_hour": key, "run_id": manifest["run_id"]}
        doc["finished_at"] = manifest["finished_at"]
        doc.update(counts)
        store.write_text(hour_manifest(key), json.dumps(doc, indent=2))
    path = run_manifest_file(manifest["run_id"])
    store.write_text(path, json.dumps(manifest, indent=2, sort_keys=True))
    return path


# ---------------------------------------------------------------- the redo journal

#: Test seam: the name of a publish step at which the process SIGKILLs itself.
FAULT_ENV = "TAXIWAY_FAULT_AT"


def fault_point(step: str) -> None:
    """Die here, without cleanup, if ``$TAXIWAY_FAULT_AT`` names this step (tests only).

    Steps: ``before-journal``, ``after-journal``, ``after-swap-<n>`` (1-based),
    ``before-manifest``, ``after-manifest``.
    """
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def replace_op(staged: str, final: str) -> dict[str, str]:
    return {"op": "replace", "staged": staged, "final": final}


def remove_op(final: str) -> dict[str, str]:
    return {"op": "remove", "final": final}


def journal_doc(
    run_id: str, ops: list[dict[str, str]], manifest: Mapping[str, Any]
) -> dict[str, Any]:
    """What ``manifests/journal/<run_id>.json`` holds: the swaps, then the manifest to write."""
    return {"run_id": run_id, "ops": list(ops), "manifest": dict(manifest)}


def apply_journal(store: Any, path: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Make every swap and removal a journal lists, write its manifests, drop the journal.

    Idempotent: a swap whose staged file is gone was already made, so rolling forward twice
    (or after a crash during recovery) gives the same lake. Returns the run manifest.
    """
    for n, op in enumerate(doc["ops"], start=1):
        if op["op"] == "remove":
            store.delete(op["final"])
        elif store.exists(op["staged"]):
            store.replace(op["staged"], op["final"])
        elif not store.exists(op["final"]):
            raise DataError(
                f"Journal `{store.uri(path)}` names `{op['staged']}`, which is gone, and "
                f"`{op['final']}` does not exist either: the lake was changed by hand during a "
                f"publish. Rerun the journal's hours, then delete `{store.uri(path)}`."
            )
        fault_point(f"after-swap-{n}")
    manifest = dict(doc["manifest"])
    fault_point("before-manifest")
    write_manifests(store, manifest)
    fault_point("after-manifest")
    store.delete(path)
    return manifest


def pending_journals(store: Any) -> list[str]:
    """Committed but unfinished publishes (relative paths), oldest run first."""
    return sorted(
        f"{JOURNAL_DIR}/{name}"
        for name, is_dir in store.entries(JOURNAL_DIR)
        if not is_dir and name.endswith(".json")
    )


def recover(store: Any) -> list[str]:
    """Roll every pending journal forward (the caller holds the lake lock); return run ids.

    A journal that does not parse was never committed (a local journal is renamed into
    place, an S3 object appears whole): its run did not happen, so it is dropped.
    """
    done = []
    for path in pending_journals(store):
        try:
            doc = json.loads(store.read_text(path))
        except ValueError:
            store.delete(path)
            continue
        done.append(str(apply_journal(store, path, doc)["run_id"]))
    for name, _is_dir in store.entries(JOURNAL_DIR):
        if name.endswith(".json.tmp"):
            store.delete(f"{JOURNAL_DIR}/{name}")  # never committed
    return done


class LocalStore:
    """A local folder as a store: moves are ``os.replace`` (atomic within one filesystem)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.fspath(root))

    def uri(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def entries(self, rel_dir: str) -> list[tuple[str, bool]]:
        """(name, is_dir) of a folder's entries; [] when it does not exist."""
        path = self.uri(rel_dir)
        if not os.path.isdir(path):
            return []
        return [(e.name, e.is_dir()) for e in os.scandir(path)]

    def exists(self, rel: str) -> bool:
        return os.path.exists(self.uri(rel))

    def read_text(self, rel: str) -> str:
        with open(self.uri(rel), encoding="utf-8") as fh:
            return fh.read()

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
        elif os.path.lexists(path):
            os.unlink(path)

    def write_text(self, rel: str, text: str) -> None:
        """Write through a temp file and a rename: a reader sees the old text or the new."""
        path = self.uri(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(path + ".tmp", path)
