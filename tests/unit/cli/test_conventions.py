"""The CLI's habits, the same in every command (a table over the whole command tree).

Run in-process through ``taxiway.cli.app.main`` (the console script's entry point), so
each case costs milliseconds; nothing here does real work: every case stops at parsing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from taxiway.cli import app as cli
from taxiway.cli import render

FINDING_FORMATS = ["text", "json", "markdown", "junit", "github"]
# commands whose output is findings: the whole format set, and -q
FINDINGS_COMMANDS = {
    "doctor requirements",
    "doctor dags",
    "doctor plugins",
    "doctor startup",
    "doctor project",
    "local test",
    "local package-requirements",
    "preflight",
    "deploy",
    "migrate livy",
    "migrate oracle",
    "convert serverless",
}


def _leaves() -> Iterator[tuple[str, object]]:
    def walk(cmd: object, path: list[str]) -> Iterator[tuple[str, object]]:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), cmd

    yield from walk(cli.cli_command(), [])


LEAVES = dict(_leaves())


def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["taxiway", *args])
    monkeypatch.setenv("COLUMNS", "200")
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        render.set_quiet(False)
    out, err = capsys.readouterr()
    return code, out, err


def _options(cmd: object) -> dict[str, list[str]]:
    """Long option -> all its spellings, for the options of ``cmd``."""
    found = {}
    for param in getattr(cmd, "params", []):
        opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
        longs = [o for o in opts if o.startswith("--")]
        if longs and getattr(param, "param_type_name", "") == "option":
            found[longs[0]] = sorted(opts)
    return found


def test_the_tree_has_the_commands_the_readme_names() -> None:
    for name in ("doctor project", "local test", "local run", "deploy", "preflight", "twin"):
        assert name in LEAVES
    assert set(LEAVES) >= FINDINGS_COMMANDS


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_help_exits_zero_and_shows_flags_as_flags(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _run([*name.split(), "--help"], capsys, monkeypatch)
    assert code == 0, err
    assert "Usage: taxiway " + name in out
    assert "<bool>" not in out
    # help is plain text: rich markup would have eaten a [section] or a [extra]
    for param in getattr(LEAVES[name], "params", []):
        text = getattr(param, "help", None) or ""
        if "[tool.taxiway]" in text.replace("\\[", "["):
            assert "[tool.taxiway]" in out.replace("\n", " ").replace("│", "")


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_an_unknown_option_is_one_line_and_exit_2(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _run([*name.split(), "--no-such-option"], capsys, monkeypatch)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    if name == "local run":  # its arguments are a command to run: `--no-such-option` is one
        assert lines[0].startswith("error: ")
        return
    assert lines[0].startswith("error: No such option: --no-such-option")
    assert f"taxiway {name} --help" in lines[0]


@pytest.mark.parametrize("name", sorted(FINDINGS_COMMANDS))
def test_findings_commands_share_one_format_set_and_quiet(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _options(LEAVES[name])
    assert options.get("--quiet") == ["--quiet", "-q"], name
    assert "--format" in options, name
    code, _out, err = _run([*name.split(), "--format", "yaml"], capsys, monkeypatch)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("error:")
    for fmt in FINDING_FORMATS:
        assert fmt in line, (name, line)


def test_a_flag_is_spelled_the_same_in_every_command() -> None:
    """`-e` is always `--env`, `-E` always `--environment`, and so on, both ways."""
    by_long: dict[str, set[tuple[str, ...]]] = {}
    by_short: dict[str, set[str]] = {}
    for cmd in LEAVES.values():
        for long, spellings in _options(cmd).items():
            by_long.setdefault(long, set()).add(tuple(spellings))
            for short in (s for s in spellings if not s.startswith("--")):
                by_short.setdefault(short, set()).add(long)
    assert {k: v for k, v in by_short.items() if len(v) > 1} == {}
    # a long option that has a short form somewhere has it everywhere
    assert {k: v for k, v in by_long.items() if len(v) > 1} == {}
    assert by_long["--env"] == {("--env", "-e")}
    assert by_long["--environment"] == {("--environment", "-E")}


def test_quiet_keeps_errors_and_drops_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from taxiway.findings import Finding, Severity

    findings = [
        Finding("bad", Severity.ERROR, "x", "broken"),
        Finding("meh", Severity.WARNING, "y", "odd"),
        Finding("fyi", Severity.INFO, "z", "note"),
    ]
    render.set_quiet(True)
    try:
        code = render.print_findings(findings, render.OutputFormat.text, "t")
        render.info("progress line")
    finally:
        render.set_quiet(False)
    out, err = capsys.readouterr()
    assert code == 1
    assert "broken" in out and "odd" not in out and "note" not in out
    assert "error(s)" not in out and err == ""


def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    monkeypatch.setenv("NO_COLOR", "1")
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, highlight=False)
    console.print(
        render.finding_header(
            __import__("taxiway.findings").findings.Finding(
                "bad", __import__("taxiway.findings").findings.Severity.ERROR, "x", "broken"
            )
        )
    )
    assert "\x1b[3" not in buf.getvalue()  # no colour codes (bold may stay)


@pytest.mark.parametrize(
    ("args", "module", "extra"),
    [
        (["demo"], "duckdb", "pipeline"),
        (["run", "--from", "2026-01-01T00"], "duckdb", "pipeline"),
        (["deploy", "--dry-run"], "boto3", "aws"),
        (["preflight", "--no-doctor"], "boto3", "aws"),
        (["twin", "--port", "0"], "moto", "twin"),
        (
            ["ingest", "kafka", "--bootstrap", "127.0.0.1:1", "--topic", "t"],
            "confluent_kafka",
            "kafka",
        ),
    ],
)
def test_a_missing_extra_refuses_before_any_work(
    args: list[str],
    module: str,
    extra: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a)
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TAXIWAY_DATA_DIR", str(tmp_path))
    code, _out, err = _run(args, capsys, monkeypatch)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert f"`{module}` is not installed" in line and f"taxiway[{extra}]" in line
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("name", ["deploy", "preflight", "bundle"])
def test_commands_that_call_aws_take_region_and_profile(name: str) -> None:
    options = _options(LEAVES[name])
    assert options.get("--region") == ["--region"], name
    assert options.get("--profile") == ["--profile"], name
