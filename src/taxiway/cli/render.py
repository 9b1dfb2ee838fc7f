"""The only module that prints: rich tables, progress bars, findings in every format."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from taxiway import findings as fmod
from taxiway.findings import Finding, Severity

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    """``--format`` for commands that produce findings."""

    text = "text"
    json = "json"
    markdown = "markdown"
    junit = "junit"


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def findings_table(findings: Sequence[Finding], title: str) -> Table:
    """A rich table grouped by severity (errors first) with the hint column."""
    table = Table(title=title, show_lines=False, expand=False)
    for col in ("severity", "code", "subject", "where", "message", "hint"):
        table.add_column(col, overflow="fold")
    for f in fmod.sort_findings(findings):
        where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
        table.add_row(
            f"[{_STYLE[f.severity]}]{f.severity.value}[/]",
            f.code,
            f.subject,
            where,
            f.message,
            f.hint,
        )
    return table


def print_findings(
    findings: Sequence[Finding],
    fmt: OutputFormat,
    title: str,
    extra: dict[str, Any] | None = None,
) -> int:
    """Print findings in ``fmt``; return the exit code they imply (0 or 1)."""
    if fmt is OutputFormat.json:
        sys.stdout.write(fmod.to_json(findings, **(extra or {})))
        sys.stdout.write("\n")
    elif fmt is OutputFormat.markdown:
        sys.stdout.write(fmod.to_markdown(findings, title))
    elif fmt is OutputFormat.junit:
        sys.stdout.write(fmod.to_junit(findings, title))
    else:
        if findings:
            console.print(findings_table(findings, title))
        c = fmod.counts(findings)
        style = "bold red" if c["error"] else ("yellow" if c["warning"] else "green")
        console.print(
            f"[{style}]{title}: {c['error']} error(s), {c['warning']} warning(s), "
            f"{c['info']} info[/]"
        )
    return fmod.exit_code(findings)


def fail(message: str) -> None:
    """One red line on stderr (the CLI's error path)."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)


def info(message: str) -> None:
    err_console.print(message)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A plain rich table; numbers are right-aligned and thousands-separated."""
    t = Table(title=title, expand=False)
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) for r in rows) for i in range(len(columns))
    ]
    for i, col in enumerate(columns):
        t.add_column(col, justify="right" if numeric[i] else "left", no_wrap=numeric[i] or i == 0)
    for row in rows:
        t.add_row(*(_cell(v) for v in row))
    return t


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]NULL[/]"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def show(renderable: Any) -> None:
    console.print(renderable)


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
        console.print(table(title, columns, rows))


_SHORT = {
    "corrupt-file": "file",
    "malformed-json": "json",
    "missing-required-field": "missing",
    "wrong-type": "type",
    "unknown-event-type": "evtype",
    "bad-timestamp": "ts",
    "too-late": "late",
    "future-timestamp": "future",
}


def run_summary(manifest: Any, fmt: str) -> None:
    """Per-hour counts of a curate run (text) or the whole manifest (json)."""
    if fmt == "json":
        sys.stdout.write(manifest.to_json() + "\n")
        return
    rows = [
        (
            hour,
            c["input_records"],
            c["curated_new"],
            c["duplicates"],
            c["quarantined"],
            " ".join(
                f"{_SHORT.get(k, k)}:{v}" for k, v in sorted(c["quarantined_by_reason"].items())
            ),
        )
        for hour, c in manifest.hours.items()
    ]
    t = manifest.totals
    rows.append(
        ("total", t["input_records"], t["curated_new"], t["duplicates"], t["quarantined"], "")
    )
    console.print(
        table(
            f"run {manifest.run_id} ({manifest.engine}): input = curated + duplicates + quarantined",
            ("landing hour", "input", "curated", "duplicates", "quarantined", "by reason"),
            rows,
        )
    )
    console.print(
        "[dim]reasons: " + ", ".join(f"{short}={code}" for code, short in _SHORT.items()) + "[/]"
    )


def progress() -> Any:
    """A rich progress bar for long work (on stderr, so stdout stays machine-readable)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    )


def raw(text: str) -> None:
    """Write text to stdout exactly as is (diffs, patches)."""
    sys.stdout.write(text)
