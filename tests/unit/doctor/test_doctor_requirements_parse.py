"""parse_requirements: pip's requirements syntax, line numbers, parse errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxiway.doctor.requirements import parse_requirements, parse_requirements_text
from taxiway.errors import UsageError


def test_full_syntax_fixture(projects: Path) -> None:
    parsed = parse_requirements(projects / "requirements_syntax" / "requirements.txt")
    by_name = {r.name: r for r in parsed.requirements}
    # -r extra.txt is followed and its lines keep their own file and line number
    assert (by_name["pyyaml"].file, by_name["pyyaml"].line) == ("requirements.txt", 18)
    assert [(r.file, r.line) for r in parsed.requirements if r.file == "extra.txt"] == [
        ("extra.txt", 2)
    ]
    assert by_name["requests"].extras == ("socks",)
    assert by_name["requests"].pinned == "2.34.2"
    assert by_name["pandas"].specifier == ">=2.0"
    assert by_name["pandas"].marker == 'python_version >= "3.11"'
    assert by_name["pandas"].pinned is None
    # a continuation joins the hash onto the requirement; the line is the first physical one
    snow = by_name["apache-airflow-providers-snowflake"]
    assert snow.line == 12 and snow.hashes == ("sha256:" + "0" * 64,)
    assert by_name["mylib"].url == "git+https://github.com/example/mylib.git@v1.2.0"
    assert by_name["otherlib"].url.endswith("#egg=otherlib")  # type: ignore[union-attr]
    assert by_name["fastlib"].raw_name == "fastlib"
    assert [(o.option, o.value) for o in parsed.options] == [
        ("--index-url", "https://pypi.org/simple"),
        ("--extra-index-url", "https://example.com/simple"),
        ("--find-links", "./wheels"),
    ]
    assert [c.line for c in parsed.constraints] == [2]
    assert [i.value for i in parsed.includes] == ["extra.txt"]
    errors = [(f.code, f.line) for f in parsed.findings]
    assert errors == [("parse-error", 19), ("parse-error", 20)]
    assert len(parsed.requirements) == 11


@pytest.mark.parametrize(
    "line",
    [
        "pandas==",
        "==1.0",
        "pkg[extra==1.0",
        "--index-url",
        "pkg==1.0 --hash=md5nohash",
        "pkg==1.0 --frobnicate",
        '-c constraints.txt "extra"',
    ],
)
def test_bad_lines_are_parse_errors(line: str) -> None:
    parsed = parse_requirements_text(f"# header\n{line}\n")
    assert [(f.code, f.line) for f in parsed.findings] == [("parse-error", 2)]
    assert parsed.requirements == []


def test_comments_keep_url_fragments_and_continuations_of_comments() -> None:
    text = "pkg==1.0 # trailing comment\n# a comment ending in a backslash \\\nother==2.0\n"
    parsed = parse_requirements_text(text)
    assert [(r.name, r.line) for r in parsed.requirements] == [("pkg", 1), ("other", 3)]


def test_editable_and_local_paths() -> None:
    parsed = parse_requirements_text("-e ./libs/shared\n./wheels/x-1.0-py3-none-any.whl\n")
    assert [(r.editable, r.url, r.name) for r in parsed.requirements] == [
        (True, "./libs/shared", None),
        (False, "./wheels/x-1.0-py3-none-any.whl", "x"),
    ]


def test_missing_include_is_a_finding(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("-r missing.txt\nrequests==2.0\n")
    parsed = parse_requirements(req)
    assert [(f.code, f.line, f.subject) for f in parsed.findings] == [
        ("parse-error", 1, "-r missing.txt")
    ]
    assert [r.name for r in parsed.requirements] == ["requests"]


def test_include_cycle_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r b.txt\nalpha==1\n")
    (tmp_path / "b.txt").write_text("-r a.txt\nbeta==2\n")
    parsed = parse_requirements(tmp_path / "a.txt")
    assert sorted(r.name for r in parsed.requirements if r.name) == ["alpha", "beta"]


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        parse_requirements(tmp_path / "nope.txt")
