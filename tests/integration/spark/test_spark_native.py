"""The native read: Spark's text source numbers every line exactly as the Python reader
does, and each corrupt gzip becomes one reject with DuckDB's detail."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from spark_helpers import (  # noqa: F401 - fixtures are used by name
    ALL_HOURS,
    generated_fixture,
    spark_fixture,
)

from taxiway.engines.landing import read_landing
from taxiway.events.generator import GroundTruth
from taxiway.jobs.event_rules import ROW_NAMES
from taxiway.lake.layout import Lake


def _files(root: Path, paths: dict[Any, list[Path]]) -> dict[str, tuple[str, Any]]:
    return {
        str(p): (p.relative_to(root).as_posix(), h.replace(tzinfo=None))
        for h, ps in paths.items()
        for p in ps
    }


def test_spark_text_lines_equal_the_python_reader_line_for_line(
    spark: Any, generated: tuple[Path, GroundTruth], tmp_path: Path
) -> None:
    from taxiway.jobs import native

    root, truth = generated
    paths = {h: Lake(root).landing_files(h) for h in ALL_HOURS}
    # and a file with CRLF endings, a lone CR, an empty line, invalid UTF-8 and no final
    # newline, in an hour folder of its own
    odd = tmp_path / "landing/topics/events/year=2026/month=11/day=24/hour=00/events+0+0.json.gz"
    odd.parent.mkdir(parents=True)
    odd.write_bytes(gzip.compress(b'{"a": 1}\r\n\nx\ry\n\xff\xfe{"b"}\n{"c": "\xc3\xa9"}'))
    hour = ALL_HOURS[0].replace(day=24)
    files = {**_files(root, paths), **_files(tmp_path, {hour: [odd]})}
    inspected = native.inspect_files(spark, files)
    lines, corrupt = native.read_files_native(spark, files, inspected)
    got = sorted(
        (name, n, bytes(raw).decode("utf-8", errors="replace"))
        for name, n, raw in lines.select(
            "source_file", "line_number", lines["raw"].cast("binary")
        ).collect()
    )
    py_root, py_rejects = read_landing(paths, root=root)
    py_odd, _ = read_landing({hour: [odd]}, root=tmp_path)
    want = sorted(
        (name, n, raw.removesuffix("\n"))
        for table in (py_root, py_odd)
        for name, n, raw in zip(
            table["source_file"].to_pylist(),
            table["line_number"].to_pylist(),
            table["raw"].to_pylist(),
            strict=True,
        )
    )
    assert len(got) == len(want) == truth.input_records - len(truth.corrupt_files) + 5
    assert got == want  # every line, its number and its text match
    at = {name: i for i, name in enumerate(ROW_NAMES)}
    assert {r[at["reason"]] for r in corrupt} == {"corrupt-file"}
    assert sorted((r[at["source_file"]], r[at["detail"]]) for r in corrupt) == sorted(
        (r.source_file, r.detail) for r in py_rejects
    )
    assert len(corrupt) == len(truth.corrupt_files) > 0  # one reject per corrupt file


def test_misnumbered_lines_stop_the_run_before_anything_is_published(
    spark: Any, generated: tuple[Path, GroundTruth]
) -> None:
    from taxiway.jobs import native, spark_core

    root, _ = generated
    files = _files(root, {h: Lake(root).landing_files(h) for h in ALL_HOURS[:1]})
    classified, cached, expected = native.classify_files_native(spark, files, 7)
    try:
        ranks = spark_core.file_ranks(files.values())
        marked, firsts, _ = spark_core.mark_new(spark, classified, ranks, lambda _d: [])
        cached.append(firsts)
        hours = sorted({h for _name, h in files.values()})
        _by_hour, _groups, got = spark_core.tally(hours, marked)
    finally:
        for frame in cached:
            frame.unpersist()
    native.check_line_numbers(got, expected)  # as read: every line, numbered 1..n
    name = next(iter(expected))
    wrong = {**expected, name: expected[name] + 1}  # one line more than was read
    with pytest.raises(RuntimeError, match="did not number the lines"):
        native.check_line_numbers(got, wrong)
    gap = {**got, name: (got[name][0] - 1, got[name][1])}  # a line lost, the last one kept
    with pytest.raises(RuntimeError, match="did not number the lines"):
        native.check_line_numbers(gap, expected)
