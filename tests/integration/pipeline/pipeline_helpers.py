from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from taxiway.events.generator import GeneratorOptions

START = datetime(2026, 11, 23, 0, tzinfo=UTC)
HOURS = 4


def small_options(**over: object) -> GeneratorOptions:
    """A few thousand events with every fault at a visible rate (truncated files included)."""
    base: dict[str, object] = dict(
        start=START,
        hours=HOURS,
        events_per_hour=2_500,
        seed=11,
        malformed_rate=0.01,
        missing_field_rate=0.01,
        wrong_type_rate=0.01,
        unknown_type_rate=0.01,
        bad_timestamp_rate=0.01,
        duplicate_rate=0.05,
        late_rate=0.05,
        truncated_file_rate=0.12,
    )
    base.update(over)
    return GeneratorOptions(**base)  # type: ignore[arg-type]


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every published file under curated/ and quarantine/."""
    out = {}
    for sub in ("curated", "quarantine"):
        for p in sorted((root / sub).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
