"""Atomic publish: stage files beside their destinations, then swap them all in at once.

Engines write each output to :meth:`Publisher.stage` (a ``.staged-<run_id>`` name beside the
final one, which readers globbing ``*.parquet`` never match) and mark partitions that became
empty with :meth:`Publisher.stage_removal`. :meth:`Publisher.publish` then commits the whole
set through the journal (:mod:`taxiway.lake.journal`): each ``os.replace`` is atomic on its
own, and the journal makes the set all-or-nothing across a crash. A run that dies before the
commit point leaves staged files the next run removes (:func:`remove_stale`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from taxiway.lake import journal

if TYPE_CHECKING:
    from taxiway.lake.layout import Lake
    from taxiway.lake.manifest import RunManifest

STAGED = ".staged-"


def staged_path(final: Path, run_id: str) -> Path:
    return final.with_name(f"{final.name}{STAGED}{run_id}")


@dataclass
class Publisher:
    """Collects staged files for one run and swaps them in together at the end."""

    run_id: str
    pending: list[tuple[Path, Path]] = field(default_factory=list)

    def stage(self, final: Path) -> Path:
        """Return the staging path for ``final`` (its folder is created)."""
        final.parent.mkdir(parents=True, exist_ok=True)
        path = staged_path(final, self.run_id)
        self.pending.append((path, final))
        return path

    def stage_removal(self, final: Path) -> None:
        """Mark ``final`` for deletion at publish time (a partition that became empty)."""
        self.pending.append((Path(os.devnull), final))

    def publish(self, lake: Lake | None = None, manifest: RunManifest | None = None) -> list[Path]:
        """Journal, swap every staged file into place, write the manifests; return the paths.

        The caller holds the lake lock. A crash at any point after the journal is written is
        rolled forward by the next holder of the lock (:func:`journal.recover`). Without a
        lake and manifest (engine tests that publish one engine's output by hand) the files
        are swapped without a journal: not all-or-nothing, and no manifest is written.
        """
        if lake is None or manifest is None:
            for staged, final in self.pending:
                if staged == Path(os.devnull):
                    final.unlink(missing_ok=True)
                else:
                    os.replace(staged, final)
            done = [final for _staged, final in self.pending]
            self.pending.clear()
            return done
        root = lake.root
        ops = []
        for staged, final in self.pending:
            if staged == Path(os.devnull):
                ops.append({"op": "remove", "final": final.relative_to(root).as_posix()})
            else:
                ops.append(
                    {
                        "op": "replace",
                        "staged": staged.relative_to(root).as_posix(),
                        "final": final.relative_to(root).as_posix(),
                    }
                )
        journal.fault_point("before-journal")
        path = journal.commit(lake, self.run_id, ops, manifest)
        journal.fault_point("after-journal")
        journal.apply(lake, path)
        done = [final for _staged, final in self.pending]
        self.pending.clear()
        return done


def remove_stale(folders: Iterable[Path]) -> int:
    """Delete staged files a crashed run left behind; return how many.

    Only safe under the lake lock and after :func:`journal.recover`: otherwise it would
    delete the staged files of a run that is still writing, or of a committed journal.
    """
    removed = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob(f"*{STAGED}*"):
            if path.is_dir():  # not ours to write, but it blocks the next run's file
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed
