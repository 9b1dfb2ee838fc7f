"""Property tests: any well-formed pin parses back to its name, version and line."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from taxiway.doctor.requirements import parse_requirements_text
from taxiway.mwaa import normalize

names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}([-_.][A-Za-z0-9]{1,6}){0,2}", fullmatch=True)
versions = st.lists(st.integers(0, 300), min_size=1, max_size=4).map(
    lambda p: ".".join(map(str, p))
)
comments = st.sampled_from(["", "  # why", "\t# pinned for the tests"])


@given(st.lists(st.tuples(names, versions, comments), min_size=1, max_size=8), st.integers(0, 3))
def test_pins_round_trip(pins: list[tuple[str, str, str]], blank_lines: int) -> None:
    text = "\n" * blank_lines + "".join(f"{n}=={v}{c}\n" for n, v, c in pins)
    parsed = parse_requirements_text(text)
    assert parsed.findings == []
    assert [(r.name, r.pinned, r.line) for r in parsed.requirements] == [
        (normalize(n), v, blank_lines + i + 1) for i, (n, v, _) in enumerate(pins)
    ]
