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
import signal
from pathlib import Path
from typing import Any

from taxiway.errors import DataError
from taxiway.lake import manifest as manifests
from taxiway.lake.layout import Lake

#: Test seam: the name of a publish step at which the process SIGKILLs itself.
FAULT_ENV = "TAXIWAY_FAULT_AT"


def fault_point(step: str) -> None:
    """Die here, without cleanup, if ``$TAXIWAY_FAULT_AT`` names this step (tests only).

    Steps: ``before-journal``, ``after-journal``, ``after-swap-<n>`` (1-based),
    ``before-manifest``, ``after-manifest``.
    """
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


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
    doc = {"run_id": run_id, "ops": ops, "manifest": json.loads(manifest.to_json())}
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
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    root = lake.root
    for n, op in enumerate(doc["ops"], start=1):
        final = root / op["final"]
        if op["op"] == "remove":
            final.unlink(missing_ok=True)
        else:
            staged = root / op["staged"]
            if staged.exists():
                os.replace(staged, final)
            elif not final.exists():
                raise DataError(
                    f"Journal `{path}` names `{staged}`, which is gone, and `{final}` does not "
                    "exist either: the lake was changed by hand during a publish. Rerun the "
                    f"journal's hours with `taxiway run`, then delete `{path}`."
                )
        fault_point(f"after-swap-{n}")
    manifest = manifests.RunManifest(**doc["manifest"])
    fault_point("before-manifest")
    manifests.write(lake, manifest)
    fault_point("after-manifest")
    path.unlink()
    return manifest


def pending(lake: Lake) -> list[Path]:
    """Journals of publishes that were committed but not finished, oldest run first."""
    if not lake.journal_dir.is_dir():
        return []
    return sorted(lake.journal_dir.glob("*.json"))


def recover(lake: Lake) -> list[str]:
    """Roll every pending journal forward (the caller holds the lake lock); return run ids."""
    done = []
    for path in pending(lake):
        done.append(apply(lake, path).run_id)
    for tmp in lake.journal_dir.glob("*.json.tmp") if lake.journal_dir.is_dir() else []:
        tmp.unlink()  # a journal that was never committed: its run did not happen
    return done
