"""The Python rules (Spark's) classify like DuckDB's SQL, line for line, on random lines.

Valid events are mutated at random (characters inserted, deleted, copied: quotes, commas,
brackets, NaN, huge numbers, escapes, odd timestamps); every line goes through the DuckDB
engine's own classification SQL and through :func:`event_rules.classify_lines`, and the
reason, the detail and every typed value must be the same. This is how the parser's
leniencies (trailing commas, ``nan``, ``05:`` as a time, ``+hhmm`` offsets) were found.
"""

from __future__ import annotations

from typing import Any

import duckdb
import fuzz_lines
import pyarrow as pa
import pytest
from fuzz_lines import HOUR

from taxiway.engines import curate_sql
from taxiway.events.contract import FIELDS
from taxiway.jobs import event_rules


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
    lines = fuzz_lines.lines(seed, 20_000)
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
