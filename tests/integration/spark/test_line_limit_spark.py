"""The line-length limit in the EMR job (issue 25, item 6): with `--max-line-bytes` set as
the DuckDB engine's `max_line_bytes`, a 64 MiB line is quarantined as `line-too-long`
exactly as DuckDB quarantines it (the job never reads it with Hadoop's line reader, which
holds a whole line and fails past 2 GiB; the 2 GiB case, under a memory limit, is
``tests/integration/pipeline/test_line_limit.py``), the rest of its file is curated and
the counts add up. ``test_spark_engine.py`` has a line over the default in its
line-for-line comparison."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spark_helpers import (  # noqa: F401 - fixtures are used by name
    curated,
    quarantine,
    spark_fixture,
)

from taxiway.engines.base import CurateRequest
from taxiway.engines.duckdb import DuckDBEngine
from taxiway.jobs import curate_spark
from taxiway.lake.layout import Lake
from taxiway.lake.publish import Publisher

HOUR = datetime(2026, 11, 23, 5, tzinfo=UTC)
LIMIT = 300_000  # not the default: the job's argument and the engine's setting agree
HUGE = 64 * 1024 * 1024 + 3


def event(i: int, **extra: object) -> bytes:
    doc = {
        "event_id": f"e{i}",
        "event_type": "click",
        "event_ts": "2026-11-23T05:10:00Z",
        "anonymous_id": f"a{i}",
        **extra,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def huge_gzip(before: list[bytes], size: int, after: list[bytes]) -> bytes:
    """``before``, one line of ``size`` bytes, ``after``: gzip members, the long line one
    compressed 1 MiB member repeated (the file stays about 2 MB)."""
    head, tail = b'{"event_id":"huge","blob":"', b'"}'
    block, fill = 1 << 20, size - len(head) - len(tail)
    return b"".join(
        [
            gzip.compress(b"".join(line + b"\n" for line in before) + head),
            gzip.compress(b"x" * block, compresslevel=9) * (fill // block),
            gzip.compress(b"x" * (fill % block) + tail + b"\r\n"),
            gzip.compress(b"".join(line + b"\n" for line in after)),
        ]
    )


#: lines around the long one that take every path: plain (Spark SQL), odd but valid and
#: rejects (the Python rules), invalid UTF-8, a duplicate, CRLF, an empty line
AROUND = [
    event(1),
    event(2, user_id=42),
    b'{"event_id": "e3", "event_type": "hover"}',
    b'{"event_id": "e4", "bad": "\xff\xfe"}',
    event(1),
    event(5, country="FR") + b"\r",
    b"",
    event(6, properties={"k": [1, 2]}),
]


def _lake(root: Path, size: int, edge: int) -> Lake:
    lake = Lake(root)
    big = lake.landing_file(HOUR, 0, 0)
    big.parent.mkdir(parents=True)
    big.write_bytes(huge_gzip(AROUND, size, [event(10 + i) for i in range(len(AROUND))]))
    # a plain file: one line at the limit (kept), one over it as the last line, no newline
    at = event(30, page_url="")
    at = at[:-2] + b"p" * (edge - len(at)) + b'"}'
    over = event(31, page_url="")
    over = over[:-2] + b"p" * (edge + 1 - len(over)) + b'"}'
    lake.landing_file(HOUR, 1, 0, gz=False).write_bytes(at + b"\n" + event(32) + b"\n" + over)
    return lake


def _run(engine: Any, lake: Lake) -> Any:
    files = lake.landing_files(HOUR)
    request = CurateRequest("r1", [HOUR], {HOUR: files}, late_event_lookback_days=7)
    publisher = Publisher("r1")
    result = engine.curate(request, lake, publisher)
    publisher.publish()
    return result


def test_the_job_quarantines_a_64mib_line_with_its_limit_as_duckdb_does(
    spark: Any, tmp_path: Path
) -> None:
    duck, job = _lake(tmp_path / "duckdb", HUGE, LIMIT), _lake(tmp_path / "job", HUGE, LIMIT)
    r_duck = _run(DuckDBEngine(max_line_bytes=LIMIT), duck)
    args = ["--root", str(job.root), "--from", "2026-11-23T05", "--max-line-bytes", str(LIMIT)]
    assert curate_spark.main([*args, "--run-id", "limited"]) == 0
    q = quarantine(job.root)
    assert q == quarantine(duck.root)
    assert curated(job.root) == curated(duck.root)
    counts = json.loads((job.root / "manifests/runs/limited.json").read_text())["hours"]
    assert counts["2026-11-23T05"] == vars(r_duck.hours[HOUR])
    n = len(AROUND)
    counts = r_duck.hours[HOUR]
    assert counts.input_records == 2 * n + 1 + 3
    assert counts.quarantined_by_reason == {
        "line-too-long": 2,
        "malformed-json": 2,  # the empty line and the invalid UTF-8
        "missing-required-field": 1,
    }
    assert (counts.curated_new, counts.duplicates) == (2 * n - 4 + 2, 1)
    assert counts.balanced
    big, plain = (p.relative_to(job.root).as_posix() for p in job.landing_files(HOUR))
    detail = "line is {} bytes, over the {}-byte limit, at byte offset {} of the decompressed file"
    offset = sum(len(line) + 1 for line in AROUND)  # its CR (before the newline) counts
    assert q[(big, n + 1)][2:] == ("line-too-long", detail.format(HUGE + 1, LIMIT, offset))
    offset = LIMIT + 1 + len(event(32)) + 1
    assert q[(plain, 3)][2:] == ("line-too-long", detail.format(LIMIT + 1, LIMIT, offset))
    assert (plain, 1) not in q  # a line of exactly the limit is curated
