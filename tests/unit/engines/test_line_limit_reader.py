"""The bounded line reader both engines share (``event_rules.LineLimit``): the same lines,
numbers and offsets as splitting the whole text, whatever the chunks, the window or the
limit; and the streamed gunzip reads what the whole-file gunzip reads, with its errors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from gzip_cases import BODY, CASES

from taxiway.engines import landing
from taxiway.jobs import event_rules
from taxiway.jobs.event_rules import LineLimit, gunzip, gunzip_chunks


def _whole(data: bytes, limit: int) -> tuple[bytes, list[tuple[int, int, int]], int]:
    """What the streamed reader must give, from the whole text split at once."""
    lines = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        lines.pop()
    out, long, offset = [], [], 0
    for number, line in enumerate(lines, start=1):
        last = number == len(lines) and not data.endswith(b"\n")
        if len(line) > limit:
            long.append((number, offset, len(line)))
            out.append(b"\n")
        else:
            out.append(line + (b"" if last else b"\n"))
        offset += len(line) + 1
    return b"".join(out), long, len(lines)


@pytest.mark.parametrize("seed", range(4))
def test_streamed_lines_equal_the_whole_text_split(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(500):
        limit = rnd.choice([1, 2, 3, 5, 8, 20, 100])
        alphabet = rnd.choice([b"ab\n", b"abcdefgh\n", b"\n\n\r"])
        data = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 300)))
        count = rnd.random() < 0.5
        cut = LineLimit(limit, count=count)
        cut.window = rnd.randint(1, limit)  # any window up to the limit
        pieces, i = [], 0
        while i < len(data):
            k = rnd.randint(1, 40)
            pieces += cut.feed(data[i : i + k])
            i += k
        pieces += cut.end()
        got = b"".join(pieces)
        text, long, lines = _whole(data, limit)
        assert (got, cut.number(got), cut.emitted) == (text, long, len(text)), (data, limit)
        if count:  # counted as they stream
            assert (cut.long, cut.lines) == (long, lines)


def test_a_line_of_exactly_the_limit_is_kept_and_one_byte_more_is_cut() -> None:
    text, long = event_rules.read_bounded("f.json", b"abc\nabcd\nab", limit=3)
    assert (text, long) == (b"abc\n\nab", [(2, 4, 4)])
    text, long = event_rules.read_bounded("f.json", b"abc\nabcd", limit=3)
    assert (text, long) == (b"abc\n\n", [(2, 4, 4)])  # the last line keeps a newline


def _text(read: object) -> bytes | str:
    try:
        return read()  # type: ignore[operator, no-any-return]
    except ValueError as exc:
        return f"error: {exc}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_streamed_gunzip_reads_what_gunzip_reads(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_rules, "_FEED_BYTES", 1000)  # members cross the feed's pieces
    whole = _text(lambda: gunzip(CASES[case]))
    for size in (1, 4096, 1 << 20):
        assert _text(lambda s=size: b"".join(gunzip_chunks(CASES[case], size=s))) == whole


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_duckdb_reader_and_the_job_cut_the_same_lines(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ISA-L (the DuckDB engine's reader) and zlib (the EMR job) give the same text, long
    lines and errors; the plain-file reader the same as the gzip one."""
    path = tmp_path / "part.json.gz"
    path.write_bytes(CASES[case])
    fast = _text(lambda: landing.read_text(path, 100_000))
    job = _text(lambda: event_rules.read_bounded(path.name, CASES[case], 100_000))
    monkeypatch.setattr(landing, "_isal", lambda: None)
    assert fast == job == _text(lambda: landing.read_text(path, 100_000))
    if isinstance(fast, tuple):
        plain = tmp_path / "part.json"
        plain.write_bytes(gunzip(CASES[case]))
        assert landing.read_text(plain, 100_000) == fast
        assert fast[1] == ([(20_001, len(BODY), 900_005)] if case == "many members" else [])
