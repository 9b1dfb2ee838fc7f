"""Read landing files into Arrow: one row per line, with file name and line number.

Decompression runs in Python (ISA-L or zlib; both release the GIL, so files decompress in
parallel threads), streamed in 1 MiB pieces through :class:`taxiway.jobs.event_rules.LineLimit`
(the EMR job's reader too): a line longer than the limit (``pipeline.max_line_bytes``, 1 MiB)
is cut out while it streams and becomes a ``line-too-long`` reject, so memory stays bounded
however long a line is. Line splitting is a numpy newline scan and the Arrow string array
points into the decompressed buffer without copying. A file that cannot be decompressed or
read becomes a file-level reject instead of failing the run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from taxiway.jobs.event_rules import (
    CHUNK_BYTES,
    LINE_TOO_LONG,
    MAX_LINE_BYTES,
    LineLimit,
    gunzip,
    read_bounded,
    too_long_detail,
)


@dataclass(frozen=True)
class FileReject:
    """What reading rejects before any rule runs: a whole file that could not be read
    (``corrupt-file``, no line number) or one line over the limit (``line-too-long``)."""

    landing_hour: datetime
    source_file: str
    detail: str
    reason: str = "corrupt-file"
    line_number: int | None = None


def decompress(path: Path) -> bytes:
    """The file's bytes, gunzipped (all members) when it ends in ``.gz``; raises ValueError.

    ISA-L (``isal``, ~3x zlib's speed here) decompresses when it is installed; any file it
    does not read cleanly is read again with zlib, so a damaged file fails with zlib's
    message, the same as in the EMR job (which has only the standard library).
    """
    data = path.read_bytes()
    if not path.name.endswith(".gz"):
        return data
    fast = _isal()
    if fast is not None:
        try:
            return gunzip(data, fast)
        except (ValueError, fast.error):
            pass  # the zlib pass below gives the reason
    return gunzip(data)


def read_text(path: Path, limit: int = MAX_LINE_BYTES) -> tuple[bytes, list[tuple[int, int, int]]]:
    """(the file's text, its lines over ``limit`` bytes) as
    :func:`taxiway.jobs.event_rules.read_bounded` gives them: each long line is cut to its
    newline while the file streams. ISA-L first, as in :func:`decompress`; a plain file is
    read in pieces too. Raises ValueError or OSError."""
    if not path.name.endswith(".gz"):
        cut, pieces = LineLimit(limit, count=False), []
        with path.open("rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                pieces.extend(cut.feed(chunk))
        pieces.extend(cut.end())
        text = b"".join(pieces)
        return text, cut.number(text)
    data = path.read_bytes()  # compressed: a 2 GiB line of one byte is a 2 MB file
    fast = _isal()
    if fast is not None:
        try:
            return read_bounded(path.name, data, limit, fast)
        except (ValueError, fast.error):
            pass  # the zlib pass below gives the reason
    return read_bounded(path.name, data, limit)


def _isal() -> Any:
    try:
        from isal import isal_zlib
    except ImportError:  # optional: zlib does the same work, slower
        return None
    return isal_zlib


def _lines(
    hour: datetime, path: Path, name: str, seq: int | None = None, limit: int = MAX_LINE_BYTES
) -> tuple[Any, list[FileReject]]:
    """One file's lines (``seq``: the file is a number, ``file_seq``, not a name) and its
    lines over ``limit`` bytes as rejects (their rows are left out of the table)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    data, long = read_text(path, limit)
    table = _table(hour, name, seq, data)
    if not long:
        return table, []
    cut = pa.array([n for n, _o, _s in long], pa.int64())
    table = table.filter(pc.invert(pc.is_in(table["line_number"], value_set=cut)))
    rejects = [
        FileReject(hour, name, too_long_detail(size, offset, limit), LINE_TOO_LONG, number)
        for number, offset, size in long
    ]
    return table, rejects


def _table(hour: datetime, name: str, seq: int | None, data: bytes) -> Any:
    import numpy as np
    import pyarrow as pa

    n_bytes = len(data)
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    if starts[-1] >= n_bytes:  # the file ends with a newline: no line after it
        starts = starts[:-1]
    n = len(starts)
    offsets = np.append(starts, n_bytes).astype(np.int64)
    # each line keeps its trailing "\n" (JSON whitespace): contiguous slices need no copy
    raw = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    bad_utf8 = pa.repeat(False, n)
    try:
        if not data.isascii():  # ASCII is valid UTF-8; the check runs at memory speed
            raw.validate(full=True)
    except pa.ArrowInvalid:
        texts, flags = [], []
        for i in range(n):
            piece = data[offsets[i] : offsets[i + 1]]
            try:
                texts.append(piece.decode("utf-8"))
                flags.append(False)
            except UnicodeDecodeError:
                texts.append(piece.decode("utf-8", errors="replace"))
                flags.append(True)
        raw = pa.array(texts, type=pa.large_string())
        bad_utf8 = pa.array(flags, type=pa.bool_())
    if seq is not None:  # a repeated 80-byte path per line would cost memory for nothing
        return pa.table(
            {
                "raw": raw,
                "line_number": pa.array(np.arange(1, n + 1, dtype=np.int64)),
                "file_seq": pa.repeat(pa.scalar(seq, pa.int32()), n),
                "landing_hour": pa.repeat(
                    pa.scalar(hour.replace(tzinfo=None), pa.timestamp("us")), n
                ),
                "bad_utf8": bad_utf8,
            }
        )
    return pa.table(
        {
            "raw": raw,
            "line_number": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "source_file": pa.repeat(name, n),
            "landing_hour": pa.repeat(pa.scalar(hour.replace(tzinfo=None), pa.timestamp("us")), n),
            "bad_utf8": bad_utf8,
        }
    )


def read_landing(
    files: dict[datetime, list[Path]],
    root: Path | None = None,
    threads: int = 2,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> tuple[Any, list[FileReject]]:
    """All lines of all files as one Arrow table, plus the files that could not be read and
    the lines over ``max_line_bytes``.

    ``source_file`` is the path relative to ``root`` (the lake root) when given, so that
    lineage reads the same locally and on S3 (``landing/topics/...``).
    """
    import pyarrow as pa

    jobs = [(hour, path) for hour in sorted(files) for path in files[hour]]

    def name(path: Path) -> str:
        return path.relative_to(root).as_posix() if root else str(path)

    def load(job: tuple[datetime, Path]) -> Any:
        try:
            return _lines(job[0], job[1], name(job[1]), None, max_line_bytes)
        except (ValueError, OSError) as exc:
            return FileReject(job[0], name(job[1]), str(exc))

    return _gather(jobs, load, threads, ("source_file", pa.string()))


@dataclass(frozen=True)
class LandingFile:
    """One input file of a run: its number in (hour, name) order, hour, path and name."""

    seq: int
    hour: datetime
    path: Path
    name: str  # as recorded in ``source_file`` (relative to the lake root)


def read_files(
    batch: list[LandingFile], threads: int = 2, max_line_bytes: int = MAX_LINE_BYTES
) -> tuple[Any, list[FileReject]]:
    """Lines of ``batch`` as one Arrow table (raw, line_number, file_seq, landing_hour,
    bad_utf8), plus the files that could not be read and the lines over ``max_line_bytes``.

    ``file_seq`` follows (landing hour, file name) order, so (file_seq, line_number) orders
    lines the way "first occurrence wins" needs, with two integers instead of a path.
    """
    import pyarrow as pa

    def load(f: LandingFile) -> Any:
        try:
            return _lines(f.hour, f.path, f.name, f.seq, max_line_bytes)
        except (ValueError, OSError) as exc:
            return FileReject(f.hour, f.name, str(exc))

    return _gather(batch, load, threads, ("file_seq", pa.int32()))


def _gather(
    jobs: list[Any], load: Any, threads: int, key: tuple[str, Any]
) -> tuple[Any, list[FileReject]]:
    """Read ``jobs`` with ``load`` on ``threads`` threads into one table keyed by ``key``."""
    import pyarrow as pa

    tables, rejects = [], []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for result in pool.map(load, jobs):
            if isinstance(result, FileReject):
                rejects.append(result)
            else:
                tables.append(result[0])
                rejects.extend(result[1])
    schema = pa.schema(
        [
            ("raw", pa.large_string()),
            ("line_number", pa.int64()),
            key,
            ("landing_hour", pa.timestamp("us")),
            ("bad_utf8", pa.bool_()),
        ]
    )
    if not tables:
        return schema.empty_table(), rejects
    return pa.concat_tables([t.cast(schema) for t in tables]), rejects
