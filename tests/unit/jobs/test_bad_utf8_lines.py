"""Finding the lines with invalid UTF-8 in a decompressed file, as the native read needs."""

from __future__ import annotations

from taxiway.jobs.native import bad_utf8_lines


def _by_line(data: bytes) -> list[int]:
    """The slow reference: decode every line on its own."""
    bad = []
    for i, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(i)
    return bad


def test_valid_text_has_no_bad_lines() -> None:
    assert bad_utf8_lines(b'{"a": "caf\xc3\xa9"}\n{"b": 1}\n') == []
    assert bad_utf8_lines(b"") == []


def test_each_bad_line_is_found_once_wherever_it_is() -> None:
    data = (
        b"\xff first\n"  # 1
        b"ok\r\n"  # 2
        b"two \xc3\x28 errors \xfe in one line\n"  # 3
        b"\n"  # 4
        b"\xc3\n"  # 5: a sequence cut by the newline
        b"\xe2\x82\xac euro\n"  # 6: valid
        b"last \x80 without newline"  # 7
    )
    assert bad_utf8_lines(data) == [1, 3, 5, 7] == _by_line(data)


def test_many_lines_match_the_per_line_reference() -> None:
    lines = [b"x" * (i % 7) + (b"\xff" if i % 13 == 0 else b"") for i in range(1, 500)]
    data = b"\n".join(lines) + b"\n"
    assert bad_utf8_lines(data) == _by_line(data) == list(range(13, 500, 13))


def test_a_file_of_bad_lines_is_read_once_not_once_per_line() -> None:
    """200,000 Latin-1 lines: linear (the old resume-after-each-error loop copied the rest
    of the text per bad line, 200,000 copies of up to 3 MB)."""
    data = b"caf\xe9 au lait\n" * 200_000
    assert bad_utf8_lines(data) == list(range(1, 200_001))
