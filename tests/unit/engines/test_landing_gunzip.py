"""The landing reader's gunzip: ISA-L (when installed) reads exactly what zlib reads, and a
damaged file fails with zlib's own reason, as in the EMR job (standard library only)."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from gzip_cases import BODY, CASES, MEMBERS_TAIL

from taxiway.engines import landing


def _read(tmp_path: Path, data: bytes) -> bytes | str:
    path = tmp_path / "part.json.gz"
    path.write_bytes(data)
    try:
        return landing.decompress(path)
    except ValueError as exc:
        return f"error: {exc}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_isal_reads_what_zlib_reads(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert landing._isal() is not None, "isal is a dependency of the pipeline extra"
    fast = _read(tmp_path, CASES[case])
    monkeypatch.setattr(landing, "_isal", lambda: None)  # the zlib-only path
    slow = _read(tmp_path, CASES[case])
    assert fast == slow
    if case in ("one member", "many members"):
        assert fast == BODY + (MEMBERS_TAIL if case == "many members" else b"")
    if case in ("truncated", "bad crc", "trailing garbage", "not gzip at all"):
        assert isinstance(fast, str) and fast.startswith("error: gzip")


def test_zlib_message_survives_for_corrupt_data(tmp_path: Path) -> None:
    with pytest.raises(zlib.error) as expected:
        zlib.decompressobj(wbits=31).decompress(CASES["not gzip at all"])
    assert (
        _read(tmp_path, CASES["not gzip at all"])
        == f"error: gzip data is corrupt: {expected.value}"
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_emr_job_reads_what_the_landing_reader_reads(case: str, tmp_path: Path) -> None:
    """The job (zlib, standard library only) and the DuckDB engine's reader (ISA-L) give the
    same bytes, or the same reason, for every file."""
    from taxiway.jobs import event_rules

    try:
        job: bytes | str = event_rules.decompress("part.json.gz", CASES[case])
    except ValueError as exc:
        job = f"error: {exc}"
    assert job == _read(tmp_path, CASES[case])
