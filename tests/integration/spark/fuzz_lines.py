"""Random landing lines for differential tests: valid events, mutated at random.

Nothing the engines are known to read differently (docs/spark.md, "Known differences
from DuckDB"): no number too large for a double (`1e400`), no `UTC+01:00` zone.

Characters are inserted (quotes, commas, brackets, NaN, huge numbers, escapes, odd
timestamps and zones), deleted or copied, so that every line-level reason and many odd
but valid lines come out. Seeded: the same seed gives the same lines.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

from taxiway.events.contract import FIELDS

HOUR = datetime(2026, 11, 23, 5)
TOKENS = (
    '"', ",", ":", "{", "}", "[", "]", " ", "\\", "nan", "-INF", "-", "0", ".",
    "e", "null", "true", "\\u00e9", "\\ud800", "Z", "+01:00", "+0130", "T", "\t", "é",
    "\x00", "\x7f", "24:00:00", "2026-11-23", "1.5e-7", "1e16", '"event_id"', '"revenue"',
    '"properties"', "Europe/Berlin",
)  # fmt: skip
TIMES = (
    "2026-11-23T05:10:00Z", "2026-11-23T05:10:00.5+01:00", "2026-11-23 05:10",
    "2026-11-23T05:10:00 Europe/Berlin", "2026-11-22T24:00:00-0530", "2026-11-01T05:00:00Z",
)  # fmt: skip
VALUES = ("x", 1, 1.5, None, True, {"k": 1}, [1], "12.5", 1e-7, -3, "", "2026-11-23T05:00:00Z")
#: values of a healthy event's optional fields (what the native Spark path types itself)
PLAIN_VALUES = ("x", "cmp-7", None, "caf\u00e9", "2026-11-23T05:00:00Z")
PLAIN_SPECIAL = {"revenue": "12.50", "properties": {"k": 1, "s": "v"}}


def event(rng: random.Random, ids: int = 10, plain: bool = False) -> str:
    doc: dict[str, Any] = {
        "event_id": f"e{rng.randrange(ids)}",
        "event_type": rng.choice(["click", "conversion", "page_view", "Click"]),
        "event_ts": rng.choice(TIMES),
        "anonymous_id": "a1",
    }
    if plain:  # what a healthy producer writes: the native Spark path types these itself
        doc["event_type"] = rng.choice(["click", "conversion", "page_view"])
        doc["event_ts"] = rng.choice(TIMES[:2])
        for field in rng.sample(FIELDS[5:], rng.randint(0, 6)):  # optional fields only
            doc[field] = PLAIN_SPECIAL.get(field, rng.choice(PLAIN_VALUES))
    else:
        for field in rng.sample(FIELDS, rng.randint(0, 5)):
            doc[field] = rng.choice(VALUES)
    separators = rng.choice([(",", ":"), (", ", ": ")])
    return json.dumps(doc, separators=separators, ensure_ascii=not plain)


def mutate(rng: random.Random, line: str) -> str:
    for _ in range(rng.randint(0, 3)):
        i, op = rng.randint(0, len(line)), rng.random()
        if op < 0.4:
            line = line[:i] + rng.choice(TOKENS) + line[i:]
        elif op < 0.7:
            line = line[:i] + line[i + rng.randint(1, 4) :]
        else:
            j = rng.randint(0, len(line))
            line = line[:i] + line[j : j + 5] + line[i:]
    return line


def lines(seed: int, n: int, ids: int = 10, healthy: float = 0.0) -> list[str]:
    """``n`` events with ids drawn from ``ids`` values: a ``healthy`` share of them plain and
    untouched, the others mutated (fewer lines: one that came out with a line break is
    dropped)."""
    rng = random.Random(seed)
    found = [
        event(rng, ids, plain=True)
        if healthy and rng.random() < healthy
        else mutate(rng, event(rng, ids))
        for _ in range(n)
    ]
    return [line for line in found if "\n" not in line and "\r" not in line]
