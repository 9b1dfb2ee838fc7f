"""The curate step: landing hours -> curated partitions + quarantine + a run manifest.

Order of work, chosen so that two runs at once give the tables of the two runs in a row, and
a crash at any point leaves the lake readable and a rerun completes the job:

1. take the lake lock (:mod:`taxiway.lake.guard`): a second run waits here, or fails with
   ``wait=False``; holding it, roll forward a publish a crashed run had committed;
2. remove staged files a crashed run left before its commit point;
3. the engine stages new partition and quarantine files beside the live ones, deduplicating
   against what is published (which, under the lock, nobody else is changing);
4. the counts are checked (input = curated new + duplicates + quarantined, per hour and in
   total); nothing is published if they do not add up;
5. publish: the journal (the commit point), the ``os.replace`` swaps, the manifests, then
   the journal is dropped (:mod:`taxiway.lake.journal`); release the lock.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from taxiway.engines.base import CurateRequest, Engine
from taxiway.engines.duckdb import TMP_DIR as DUCKDB_TMP
from taxiway.lake import contract
from taxiway.lake import manifest as manifests
from taxiway.lake.guard import lake_lock
from taxiway.lake.layout import Lake, format_hour
from taxiway.lake.lock import OnWait
from taxiway.lake.publish import Publisher, remove_stale

#: Test seam: called after staging and checking, right before publishing.
BeforePublish = Callable[[Publisher], None]


#: the run id rule is the shared contract's (the EMR job uses the same)
new_run_id = contract.new_run_id


def curate(
    root: Path,
    hours: list[datetime],
    engine: Engine,
    *,
    topic: str = "events",
    late_event_lookback_days: int = 7,
    before_publish: BeforePublish | None = None,
    wait: bool = True,
    on_wait: OnWait | None = None,
) -> manifests.RunManifest:
    """Curate ``hours`` of landing data under ``root`` and publish atomically.

    ``wait=False`` raises :class:`taxiway.lake.guard.LakeBusyError` instead of queueing
    behind a run that holds the lake lock; ``on_wait`` is told once when queueing starts.
    """
    lake = Lake(root, topic)
    started = datetime.now(UTC)
    run_id = new_run_id(started)
    with lake_lock(lake, run_id, wait=wait, on_wait=on_wait) as recovered:
        # an engine's scratch space that a killed run left behind; only under the lake lock is
        # it certain that no other run is using it
        shutil.rmtree(root / DUCKDB_TMP, ignore_errors=True)
        return _curate_locked(
            lake,
            run_id,
            started,
            hours,
            engine,
            late_event_lookback_days,
            before_publish,
            recovered,
        )


def _curate_locked(
    lake: Lake,
    run_id: str,
    started: datetime,
    hours: list[datetime],
    engine: Engine,
    late_event_lookback_days: int,
    before_publish: BeforePublish | None,
    recovered: list[str],
) -> manifests.RunManifest:
    root = lake.root
    stale = remove_stale([lake.events_dir, lake.quarantine_dir])
    request = CurateRequest(
        run_id=run_id,
        hours=hours,
        files={h: lake.landing_files(h) for h in hours},
        late_event_lookback_days=late_event_lookback_days,
    )
    publisher = Publisher(run_id)
    try:
        result = engine.curate(request, lake, publisher)
        # the shared contract checks every hour's counts (InvariantError) and shapes the
        # manifest exactly as the EMR job does
        doc = contract.run_manifest(
            run_id,
            engine.dialect,
            started,
            {format_hour(h): asdict(c) for h, c in result.hours.items()},
            result.new_rows_per_date,
            [p.relative_to(root).as_posix() for p in result.written],
            [p.relative_to(root).as_posix() for p in result.removed],
            stale,
            recovered,
        )
        if before_publish is not None:
            before_publish(publisher)
    except BaseException:
        remove_stale([lake.events_dir, lake.quarantine_dir])
        raise
    manifest = manifests.RunManifest(**doc)
    publisher.publish(lake, manifest)
    return manifest
