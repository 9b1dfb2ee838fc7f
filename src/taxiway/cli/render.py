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
