"""Atomic publish: stage a file beside its destination, then ``os.replace`` it.

A partition is a single Parquet file, so a reader globbing ``*/data.parquet`` sees either the
old file or the new one, never half of it (``os.replace`` is atomic on POSIX within one
filesystem). Staged files carry a ``.staged-<run_id>`` suffix that readers never match; a
crashed run leaves them behind and the next run removes them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

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

    def publish(self) -> list[Path]:
        """Swap every staged file into place; return the published paths."""
        done = []
        for staged, final in self.pending:
            if staged == Path(os.devnull):
                final.unlink(missing_ok=True)
            else:
                os.replace(staged, final)
            done.append(final)
        self.pending.clear()
        return done


def remove_stale(folders: Iterable[Path]) -> int:
    """Delete staged files a crashed run left behind; return how many."""
    removed = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob(f"*{STAGED}*"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
