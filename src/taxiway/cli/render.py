"""The only module that prints: rich tables, progress bars, findings in every format.

Everything printed here that came from a user or from data (requirement lines, paths,
hints, query results) goes to rich as ``Text``, never as a markup string: rich reads
``[celery]`` in ``apache-airflow[celery]==2.10.1`` as a style tag and drops it.
Only the constant styles written in this module are styled.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from taxiway import findings as fmod
from taxiway.findings import Finding, Severity

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


_settings = {"quiet": False}


def set_quiet(on: bool) -> None:
    """``--quiet``: status lines and non-error findings are not printed, nor the totals."""
    _settings["quiet"] = on


def quiet_option(value: bool) -> bool:
    """Callback of a command's own ``--quiet/-q`` (the same switch as ``taxiway -q``)."""
    if value:
        set_quiet(True)
    return value


QUIET_HELP = "Print only errors, no progress or summary (the exit code is unchanged)."


class OutputFormat(StrEnum):
    """``--format`` for commands that produce findings."""

    text = "text"
    json = "json"
    markdown = "markdown"
    junit = "junit"
    github = "github"


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_INDENT = 4


def finding_header(f: Finding) -> Text:
    """``file:line  severity  code  subject``, the one line a finding is known by."""
    parts: list[str | tuple[str, str]] = []
    where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
    if where:
        parts += [(where, "bold"), "  "]
    parts += [(f.severity.value, _STYLE[f.severity]), "  ", (f.code, "magenta"), "  ", f.subject]
    return Text.assemble(*parts)


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters, broken only at spaces.

    A word wider than that (a URL, a path) stays whole on its own line, for copying; each
    line of a multi-line message (a script's output tail) is wrapped on its own.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(
            paragraph, width, break_long_words=False, break_on_hyphens=False
        ) or [""]
    return lines


def finding_body(f: Finding, width: int) -> Text:
    """The message and then the hint of a finding, wrapped at words and indented."""
    pad = " " * _INDENT
    usable = max(width - _INDENT, 30)
    body = Text()
    for line in _wrap(f.message, usable):
        body.append(f"{pad}{line}\n")
    if f.hint:
        for i, line in enumerate(_wrap(f"hint: {f.hint}", usable)):
            body.append(pad)
            if i == 0:
                body.append("hint:", style="dim")
                line = line.removeprefix("hint:")
            body.append(f"{line}\n")
    return body


def print_finding(f: Finding) -> None:
    """One finding the way linters print it: the header, then the message and the hint.

    Printed without rich's wrapping (``soft_wrap``): the header stays on one line so a
    subject or a code is never broken, and the body is wrapped here at words only.
    """
    console.print(finding_header(f), soft_wrap=True)
    console.print(finding_body(f, console.width), soft_wrap=True)


def print_findings(
    findings: Sequence[Finding],
    fmt: OutputFormat,
    title: str,
    extra: dict[str, Any] | None = None,
    summary: bool = False,
) -> int:
    """Print findings in ``fmt``; return the exit code they imply (0 or 1).

    ``summary``: text output ends with the counts by code and, for missing imports, by
    module, before the totals line.
    """
    if fmt is OutputFormat.github:
        sys.stdout.write(fmod.to_github(findings))
    elif fmt is OutputFormat.json:
        sys.stdout.write(fmod.to_json(findings, **(extra or {})))
        sys.stdout.write("\n")
    elif fmt is OutputFormat.markdown:
        sys.stdout.write(fmod.to_markdown(findings, title))
    elif fmt is OutputFormat.junit:
        sys.stdout.write(fmod.to_junit(findings, title))
    elif _settings["quiet"]:
        for f in fmod.sort_findings(findings):
            if f.severity is Severity.ERROR:
                print_finding(f)
    else:
        for f in fmod.sort_findings(findings):
            print_finding(f)
        if summary and findings:
            print_breakdown(findings)
        c = fmod.counts(findings)
        style = "bold red" if c["error"] else ("yellow" if c["warning"] else "green")
        console.print(
            Text(
                f"{title}: {c['error']} error(s), {c['warning']} warning(s), {c['info']} info",
                style=style,
            ),
            soft_wrap=True,
        )
    return fmod.exit_code(findings)


def print_breakdown(findings: Sequence[Finding]) -> None:
    """``by code: ...`` and ``missing imports: ...`` lines (each never broken by rich)."""
    parts = fmod.breakdown(findings)
    codes = ", ".join(f"{code} {n}" for code, n in parts["by_code"].items())
    console.print(Text.assemble(("by code: ", "bold"), codes), soft_wrap=True)
    modules = parts["missing_imports_by_module"]
    if modules:
        listed = ", ".join(f"{name} {n}" for name, n in modules.items())
        console.print(
            Text.assemble(("missing imports by module: ", "bold"), listed), soft_wrap=True
        )


def fail(message: str) -> None:
    """One red line on stderr (the CLI's error path); ``message`` is printed as is."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


def info(*parts: str | tuple[str, str]) -> None:
    """A status line on stderr; plain strings print as is, ``(text, style)`` pairs styled.

    Never broken by rich (``soft_wrap``): a path, URL or password in it stays on one line
    in a log file or a pipe, where rich would wrap at 80 columns. ``--quiet`` drops it.
    """
    if _settings["quiet"]:
        return
    err_console.print(Text.assemble(*parts), soft_wrap=True)


def print_table(t: Table) -> None:
    """Print a table on stdout; in a pipe or a file no cell is cut at 80 columns (rich's
    width there): a key, path or URL arrives whole, as `aws` and `uv` print them."""
    if console.is_terminal:
        console.print(t)
    else:
        Console(highlight=False, width=100_000, file=console.file).print(t)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A plain rich table; numbers are right-aligned and thousands-separated."""
    t = Table(title=Text(title) if title else None, expand=False)
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) for r in rows) for i in range(len(columns))
    ]
    for i, col in enumerate(columns):
        t.add_column(
            Text(col), justify="right" if numeric[i] else "left", no_wrap=numeric[i] or i == 0
        )
    for row in rows:
        t.add_row(*(_cell(v) for v in row))
    return t


def _cell(value: Any) -> Text:
    if value is None:
        return Text("NULL", style="dim")
    if isinstance(value, bool):
        return Text(str(value))
    if isinstance(value, int):
        return Text(f"{value:,}")
    if isinstance(value, float):
        return Text(f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}")
    return Text(str(value))


def show(renderable: Any) -> None:
    """Print a rich renderable; a plain string is printed as is, never read as markup."""
    if isinstance(renderable, Table):
        print_table(renderable)
        return
    console.print(Text(renderable) if isinstance(renderable, str) else renderable)


def rows_as(
    fmt: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str = ""
) -> None:
    """Print query results as a rich table, CSV or JSON lines."""
    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        import json

        sys.stdout.write(
            json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str, indent=2)
            + "\n"
        )
    else:
        print_table(table(title, columns, rows))


_SHORT = {
    "corrupt-file": "file",
    "line-too-long": "long",
    "malformed-json": "json",
    "missing-required-field": "missing",
    "wrong-type": "type",
    "unknown-event-type": "evtype",
    "bad-timestamp": "ts",
    "too-late": "late",
    "future-timestamp": "future",
}


def run_summary(manifest: Any, fmt: str) -> None:
    """Per-hour counts of a curate run (text) or the whole manifest (json).

    Two tables so both fit a 100-column terminal: the counts, then the quarantine broken
    down by reason (one column per reason that occurred, short headers explained below).
    """
    if fmt == "json":
        sys.stdout.write(manifest.to_json() + "\n")
        return
    rows: list[tuple[Any, ...]] = [
        (hour, c["input_records"], c["curated_new"], c["duplicates"], c["quarantined"])
        for hour, c in manifest.hours.items()
    ]
    t = manifest.totals
    rows.append(("total", t["input_records"], t["curated_new"], t["duplicates"], t["quarantined"]))
    counts = table(
        f"run {manifest.run_id} ({manifest.engine})",
        ("landing hour", "input", "curated", "duplicates", "quarantined"),
        rows,
    )
    counts.caption = "input = curated + duplicates + quarantined"
    console.print(counts)
    by_hour = {h: c["quarantined_by_reason"] for h, c in manifest.hours.items()}
    present = [code for code in _SHORT if any(r.get(code) for r in by_hour.values())]
    present += sorted({k for r in by_hour.values() for k, v in r.items() if v} - set(present))
    if not present:
        return
    reason_rows: list[tuple[Any, ...]] = [
        (hour, *(r.get(code, 0) for code in present)) for hour, r in by_hour.items()
    ]
    reason_rows.append(
        ("total", *(sum(r.get(code, 0) for r in by_hour.values()) for code in present))
    )
    console.print(
        table(
            "quarantined by reason",
            ("landing hour", *(_SHORT.get(code, code) for code in present)),
            reason_rows,
        )
    )
    console.print(
        Text("reasons: " + ", ".join(f"{_SHORT.get(code, code)}={code}" for code in present), "dim")
    )


def progress() -> Any:
    """A rich progress bar for long work (on stderr, so stdout stays machine-readable)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=_settings["quiet"],
    )


def raw(text: str) -> None:
    """Write text to stdout exactly as is (diffs, patches)."""
    sys.stdout.write(text)
