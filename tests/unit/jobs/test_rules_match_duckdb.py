"""The Python rules (Spark's) classify like DuckDB's SQL, line for line, on random lines.

Valid events are mutated at random (characters inserted, deleted, copied: quotes, commas,
brackets, NaN, huge numbers, escapes, odd timestamps); every line goes through the DuckDB
engine's own classification SQL and through :func:`event_rules.classify_lines`, and the
reason, the detail and every typed value must be the same. This is how the parser's
leniencies (trailing commas, ``nan``, ``05:`` as a time, ``+hhmm`` offsets) were found.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from taxiway.engines import curate_sql
from taxiway.events.contract import FIELDS
from taxiway.jobs import event_rules

HOUR = datetime(2026, 11, 23, 5)
TOKENS = (
    '"', ",", ":", "{", "}", "[", "]", " ", "\\", "nan", "-INF", "1e400", "-", "0", ".",
    "e", "null", "true", "\\u00e9", "\\ud800", "Z", "+01:00", "+0130", "T", "\t", "é",
    "\x00", "\x7f", "24:00:00", "2026-11-23", "1.5e-7", "1e16", '"event_id"', '"revenue"',
    '"properties"', "Europe/Berlin", " UTC",
)  # fmt: skip
TIMES = (
    "2026-11-23T05:10:00Z", "2026-11-23T05:10:00.5+01:00", "2026-11-23 05:10",
    "2026-11-23T05:10:00 Europe/Berlin", "2026-11-22T24:00:00-0530", "2026-11-01T05:00:00Z",
)  # fmt: skip
VALUES = ("x", 1, 1.5, None, True, {"k": 1}, [1], "12.5", 1e-7, -3, "", "2026-11-23T05:00:00Z")


def _event(rng: random.Random) -> str:
    doc: dict[str, Any] = {
        "event_id": f"e{rng.randint(0, 9)}",
        "event_type": rng.choice(["click", "conversion", "page_view", "Click"]),
        "event_ts": rng.choice(TIMES),
        "anonymous_id": "a1",
    }
    for field in rng.sample(FIELDS, rng.randint(0, 5)):
        doc[field] = rng.choice(VALUES)
    return json.dumps(doc, separators=rng.choice([(",", ":"), (", ", ": ")]))


def _mutate(rng: random.Random, line: str) -> str:
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


def _duckdb(lines: list[str]) -> list[dict[str, Any]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register(
        "raw_lines",
        pa.table(
            {
                "raw": lines,
                "landing_hour": [HOUR] * len(lines),
                "bad_utf8": [False] * len(lines),
                "n": list(range(len(lines))),
            }
        ),
    )
    detail = curate_sql.detail_sql(7, 1)
    got = con.execute(
        f"""SELECT n, reason, CASE WHEN reason IS NOT NULL THEN {detail} END AS detail,
        {curate_sql.typed_columns()} FROM ({curate_sql.classify_sql(7, "raw_lines", 1)})
        ORDER BY n"""
    )
    names = [d[0] for d in got.description]
    return [dict(zip(names, row, strict=True)) for row in got.fetchall()]


@pytest.mark.parametrize("seed", range(4))
def test_random_lines_get_the_same_reason_detail_and_values(seed: int) -> None:
    rng = random.Random(seed)
    lines = [_mutate(rng, _event(rng)) for _ in range(20_000)]
    lines = [line for line in lines if "\n" not in line and "\r" not in line]
    duck = _duckdb(lines)
    assert len(duck) == len(lines)
    rules = event_rules.classify_lines(((line, 1, "f", HOUR, False) for line in lines), 7, 1)
    mismatches, reasons = [], set()
    for want, row in zip(duck, rules, strict=True):
        got = dict(zip(event_rules.ROW_NAMES, row, strict=True))
        reasons.add(want["reason"])
        same = (got["reason"], got["detail"]) == (want["reason"], want["detail"])
        if same and want["reason"] is None:
            same = all(got[f] == want[f] for f in FIELDS)
        if not same:
            mismatches.append((lines[want["n"]], want, got))
    assert mismatches == []
    # the mutations reach every line-level reason, and plenty of lines stay valid
    assert reasons >= {
        None, "malformed-json", "missing-required-field", "wrong-type",
        "unknown-event-type", "bad-timestamp", "too-late", "future-timestamp",
    }  # fmt: skip
