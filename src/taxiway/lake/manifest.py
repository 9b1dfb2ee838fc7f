"""Run manifests: the counts of every run, written atomically as JSON.

``manifests/runs/<run_id>.json`` keeps every run; ``manifests/hours/<hour>.json`` holds the
latest run's counts for that landing hour (what the data-quality report reads).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taxiway.lake import contract

if TYPE_CHECKING:
    from taxiway.lake.layout import Lake


@dataclass
class RunManifest:
    run_id: str
    engine: str
    started_at: str
    finished_at: str
    hours: dict[str, dict[str, Any]]  # "YYYY-MM-DDTHH" -> HourCounts as dict
    totals: dict[str, int]
    new_rows_per_date: dict[str, int]
    files_written: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    stale_files_removed: int = 0
    recovered_runs: list[str] = field(default_factory=list)  # crashed publishes rolled forward

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def write_json_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write(lake: Lake, manifest: RunManifest) -> Path:
    """Write the run manifest and each hour's manifest; return the run manifest's path.

    The documents are the shared contract's (:func:`contract.write_manifests`), the ones the
    EMR job writes too.
    """
    return lake.root / contract.write_manifests(contract.LocalStore(lake.root), asdict(manifest))
