"""One enormous line (issue 25, item 6): a 2 MB gzip file holding a 2 GiB line is curated by
`taxiway run` with its data segment limited to 1 GiB (``RLIMIT_DATA``: heap and private
memory, not the address space DuckDB's threads reserve but never touch). The line is quarantined as
`line-too-long` with its size and byte offset, the lines around it are curated, and the
counts still add up. Before the limit existed DuckDB ran out of memory on this file."""

from __future__ import annotations

import gzip
import json
import resource
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from taxiway.lake.layout import Lake

HOUR = "2026-11-23T05"
LIMIT = 1 << 20  # the default of pipeline.max_line_bytes
HUGE = 2 * 1024 * 1024 * 1024 + 7  # past 2 GiB: no Java array or Arrow string holds it
MEMORY = 1024 * 1024 * 1024  # half the line
REPO = Path(__file__).resolve().parents[3]


def event(i: int, **extra: str) -> bytes:
    doc = {
        "event_id": f"e{i}",
        "event_type": "click",
        "event_ts": "2026-11-23T05:10:00Z",
        "anonymous_id": f"a{i}",
        **extra,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def sized(i: int, size: int) -> bytes:
    """A valid event line of exactly ``size`` bytes (newline not counted)."""
    line = event(i, page_url="")
    return line[:-2] + b"p" * (size - len(line)) + b'"}'


def huge_gzip(before: list[bytes], size: int, after: list[bytes]) -> bytes:
    """``before``, one line of ``size`` bytes, ``after``, as gzip members: the long line is
    one compressed 1 MiB member repeated, so the file stays about 2 MB."""
    head, tail = b'{"event_id":"huge","blob":"', b'"}'
    block = 1 << 20
    fill = size - len(head) - len(tail)
    member = gzip.compress(b"x" * block, compresslevel=9)
    return b"".join(
        [
            gzip.compress(b"".join(line + b"\n" for line in before) + head),
            member * (fill // block),
            gzip.compress(b"x" * (fill % block) + tail + b"\n"),
            gzip.compress(b"".join(line + b"\n" for line in after)),
        ]
    )


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY, MEMORY))


def test_a_2gib_line_is_quarantined_and_the_rest_curated_in_bounded_memory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    lake = Lake(data)
    h = datetime(2026, 11, 23, 5, tzinfo=UTC)
    big = lake.landing_file(h, 0, 0)
    big.parent.mkdir(parents=True)
    before = [event(i) for i in range(300)]
    after = [event(i) for i in range(300, 500)]
    big.write_bytes(huge_gzip(before, HUGE, after))
    assert big.stat().st_size < 4 * 1024 * 1024, "a small file that inflates to 2 GiB"
    # a second file: lines of exactly the limit (kept) and one byte over it (cut), and the
    # line over the limit is the last one, without a newline
    edge = lake.landing_file(h, 1, 0)
    edge_lines = [
        sized(900, LIMIT),
        event(901),
        sized(902, LIMIT + 1),
        event(903),
        sized(904, LIMIT + 5),
    ]
    edge.write_bytes(gzip.compress(b"\n".join(edge_lines)))

    cli = [sys.executable, "-m", "taxiway.cli.app", "run", "--from", HOUR, "--skip-reports"]
    done = subprocess.run(
        [*cli, "--format", "json", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        cwd=REPO,
        preexec_fn=_limited,
        env={"PATH": "/usr/bin:/bin", "MALLOC_ARENA_MAX": "2", "OPENBLAS_NUM_THREADS": "1"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads(done.stdout)
    counts = manifest["hours"][HOUR]
    assert counts == {
        "input_records": 500 + 1 + 5,
        "curated_new": 500 + 3,
        "duplicates": 0,
        "quarantined": 3,
        "quarantined_by_reason": {"line-too-long": 3},
        "event_dates": ["2026-11-23"],
    }
    assert (
        counts["input_records"]
        == counts["curated_new"] + counts["duplicates"] + counts["quarantined"]
    )
    con = duckdb.connect()
    q = con.execute(
        f"""SELECT source_file, line_number, raw_line, reason, detail
        FROM read_parquet('{data}/quarantine/*.parquet') ORDER BY ALL"""
    ).fetchall()
    offset = sum(len(line) + 1 for line in before)
    big_name, edge_name = (p.relative_to(data).as_posix() for p in (big, edge))
    edge_at = [sum(len(line) + 1 for line in edge_lines[:i]) for i in (2, 4)]
    assert q == [
        (big_name, 301, None, "line-too-long", _detail(HUGE, offset)),
        (edge_name, 3, None, "line-too-long", _detail(LIMIT + 1, edge_at[0])),
        (edge_name, 5, None, "line-too-long", _detail(LIMIT + 5, edge_at[1])),
    ]
    ids = con.execute(
        f"SELECT event_id, length(page_url) FROM read_parquet('{data}/curated/events/*/*.parquet')"
    ).fetchall()
    assert sorted(i for i, _ in ids) == sorted(
        [f"e{i}" for i in range(500)] + ["e900", "e901", "e903"]
    )
    assert dict(ids)["e900"] == LIMIT - len(event(900, page_url=""))  # kept whole


def _detail(size: int, offset: int) -> str:
    return (
        f"line is {size} bytes, over the {LIMIT}-byte limit, "
        f"at byte offset {offset} of the decompressed file"
    )


def test_the_limit_is_taxiway_yamls_and_the_report_counts_it(tmp_path: Path) -> None:
    """`pipeline.max_line_bytes` from the settings file reaches the engine `taxiway run` uses,
    and `data_quality_hourly` has a column for the reason."""
    config = tmp_path / "taxiway.yaml"
    text = (REPO / "taxiway.yaml").read_text()
    assert "max_line_bytes: 1048576" in text
    config.write_text(text.replace("max_line_bytes: 1048576", "max_line_bytes: 200"))
    data = tmp_path / "data"
    path = Lake(data).landing_file(datetime(2026, 11, 23, 5, tzinfo=UTC), 0, 0)
    path.parent.mkdir(parents=True)
    lines = [event(1), sized(2, 200), sized(3, 201), event(4)]
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))

    cli = [sys.executable, "-m", "taxiway.cli.app", "run", "--from", HOUR, "--format", "json"]
    done = subprocess.run(
        [*cli, "--data-dir", str(data), "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(done.stdout)["hours"][HOUR]
    assert (counts["curated_new"], counts["quarantined_by_reason"]) == (3, {"line-too-long": 1})
    con = duckdb.connect()
    ((detail,),) = con.execute(
        f"SELECT detail FROM read_parquet('{data}/quarantine/*.parquet')"
    ).fetchall()
    assert detail.startswith("line is 201 bytes, over the 200-byte limit, at byte offset ")
    report = f"{data}/reports/data_quality_hourly/data.parquet"
    row = con.execute(
        f"SELECT received, quarantined, quarantined_line_too_long FROM read_parquet('{report}')"
    ).fetchall()
    assert row == [(4, 1, 1)]
