"""The publish journal: a run's swaps become visible all together or, after a crash, later.

A run publishes several files (one per (event_date, landing hour) plus one quarantine file
per hour) and each ``os.replace`` is atomic on its own, but a crash between two of them
would leave one hour new and the next one old. So before the first swap the run writes
``manifests/journal/<run_id>.json``: every swap and removal it is about to make, and the run
manifest it will write. That write (``fsync``-ed, then renamed into place) is the commit
point:

- a crash *before* it leaves only staged files, which readers never match and the next run
  deletes (the run did not happen);
- a crash *after* it is rolled **forward** by whoever takes the lake lock next: the next run,
  and every reader that goes through taxiway (``taxiway query``, the catalog), before they
  read. Every staged file a journal names exists in full before the journal does, and each
  step is idempotent (a swap whose staged file is gone was already made), so rolling forward
  twice, or after a crash during recovery, gives the same lake.

Rolling back is never needed, which is why this is a redo journal rather than an undo one:
the new files are complete before the commit point, the old ones are not kept.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from taxiway.lake import contract
from taxiway.lake import manifest as manifests
from taxiway.lake.layout import Lake

# the journal's format, roll-forward and test seam are the shared contract's: the EMR job
# writes and recovers the same journals on its lake (S3 or a path)
FAULT_ENV = contract.FAULT_ENV
fault_point = contract.fault_point


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def journal_path(lake: Lake, run_id: str) -> Path:
    return lake.journal_dir / f"{run_id}.json"


def commit(
    lake: Lake, run_id: str, ops: list[dict[str, str]], manifest: manifests.RunManifest
) -> Path:
    """Make the staged files durable, then write the journal: the run's commit point."""
    root = lake.root
    for op in ops:
        if op["op"] == "replace":
            _fsync(root / op["staged"])
    doc = contract.journal_doc(run_id, ops, json.loads(manifest.to_json()))
    path = journal_path(lake, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)
    return path


def apply(lake: Lake, path: Path) -> manifests.RunManifest:
    """Make every swap and removal a journal lists, write its manifests, drop the journal."""
    store = contract.LocalStore(lake.root)
    rel = path.relative_to(lake.root).as_posix()
    doc = json.loads(path.read_text(encoding="utf-8"))
    return manifests.RunManifest(**contract.apply_journal(store, rel, doc))


def pending(lake: Lake) -> list[Path]:
    """Journals of publishes that were committed but not finished, oldest run first."""
    return [lake.root / rel for rel in contract.pending_journals(contract.LocalStore(lake.root))]


def recover(lake: Lake) -> list[str]:
    """Roll every pending journal forward (the caller holds the lake lock); return run ids.

    Journals the EMR job left on this lake (a local path) are rolled forward the same way.
    """
    return contract.recover(contract.LocalStore(lake.root))
