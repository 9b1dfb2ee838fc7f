"""The curate step: landing hours -> curated partitions + quarantine + a run manifest.

Order of work, chosen so that a crash at any point leaves the previous state readable and a
rerun completes the job: (1) remove staged files a crashed run left, (2) the engine stages
new partition and quarantine files beside the live ones, (3) the counts are checked
(input = curated new + duplicates + quarantined, per hour and in total), (4) staged files
are swapped in with ``os.replace``, (5) manifests are written.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from taxiway.engines.base import CurateRequest, Engine
from taxiway.errors import InvariantError
from taxiway.lake import manifest as manifests
from taxiway.lake.layout import Lake, format_hour
from taxiway.lake.publish import Publisher, remove_stale

#: Test seam: called after staging and checking, right before publishing.
BeforePublish = Callable[[Publisher], None]


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def curate(
    root: Path,
    hours: list[datetime],
    engine: Engine,
    *,
    topic: str = "events",
    late_event_lookback_days: int = 7,
    before_publish: BeforePublish | None = None,
) -> manifests.RunManifest:
    """Curate ``hours`` of landing data under ``root`` and publish atomically."""
    lake = Lake(root, topic)
    started = datetime.now(UTC)
    run_id = new_run_id(started)
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
        totals = {"input_records": 0, "curated_new": 0, "duplicates": 0, "quarantined": 0}
        for hour, counts in result.hours.items():
            if not counts.balanced:
                raise InvariantError(
                    f"Counts for landing hour `{format_hour(hour)}` do not add up: input "
                    f"{counts.input_records} != curated {counts.curated_new} + duplicates "
                    f"{counts.duplicates} + quarantined {counts.quarantined}; nothing was "
                    "published. This is a bug: please report it with the run's input files."
                )
            for key in totals:
                totals[key] += getattr(counts, key)
        if before_publish is not None:
            before_publish(publisher)
    except BaseException:
        remove_stale([lake.events_dir, lake.quarantine_dir])
        raise
    publisher.publish()
    manifest = manifests.RunManifest(
        run_id=run_id,
        engine=engine.dialect,
        started_at=started.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
        hours={format_hour(h): asdict(c) for h, c in sorted(result.hours.items())},
        totals=totals,
        new_rows_per_date=result.new_rows_per_date,
        files_written=[p.relative_to(root).as_posix() for p in result.written],
        files_removed=[p.relative_to(root).as_posix() for p in result.removed],
        stale_files_removed=stale,
    )
    manifests.write(lake, manifest)
    return manifest
