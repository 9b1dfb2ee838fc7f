"""The DuckDB engine's spill folders: a killed run's is removed later, a live run's never."""

from __future__ import annotations

import os
import time
from pathlib import Path

from taxiway.engines.duckdb import STALE_SECONDS, _remove_stale


def test_only_stale_spill_folders_are_removed(tmp_path: Path) -> None:
    killed, live = tmp_path / "run-killed", tmp_path / "run-live"
    for run in (killed, live):
        (run / "spill").mkdir(parents=True)
        (run / "spill" / "block.tmp").write_bytes(b"x" * 10)
    old = time.time() - STALE_SECONDS - 60
    os.utime(killed, (old, old))
    _remove_stale(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-live"]
    assert (live / "spill" / "block.tmp").read_bytes() == b"x" * 10
    _remove_stale(tmp_path / "missing")  # no folder yet: nothing to do, no error
