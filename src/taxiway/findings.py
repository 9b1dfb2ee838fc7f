"""Findings: the one shape shared by doctor, local, migrate and preflight.

A finding is data, never an exception. Exit codes follow DESIGN.md: 0 when no finding is
an error, 1 when one is, 2 when the tool could not run (raised as a TaxiwayError instead).
This module formats findings as JSON, Markdown, JUnit XML and GitHub workflow annotations;
printing (and the rich table) lives in :mod:`taxiway.cli.render`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from xml.sax.saxutils import escape, quoteattr


class Severity(StrEnum):
    """How bad a finding is; ordered error > warning > info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    """One observation about a project or an environment.

    ``code`` is stable and kebab-case (``builtin-duplicate``); ``subject`` names the thing
    (a requirement, a DAG file, a bucket); ``hint`` says what to do.
    """

    code: str
    severity: Severity
    subject: str
    message: str
    hint: str = ""
    file: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then info; stable within a severity by file and line."""
    return sorted(
        findings, key=lambda f: (f.severity.rank, f.file or "", f.line or 0, f.code, f.subject)
    )


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when no finding is an error, else 1."""
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    result = {s.value: 0 for s in Severity}
    for f in findings:
        result[f.severity.value] += 1
    return result


def breakdown(findings: Iterable[Finding]) -> dict[str, dict[str, int]]:
    """Counts by code, and by top-level module for ``import-unavailable`` (one cause often
    shows up in many files: the module to install is what a reader wants to see)."""
    by_code: dict[str, int] = {}
    by_module: dict[str, int] = {}
    for f in findings:
        by_code[f.code] = by_code.get(f.code, 0) + 1
        if f.code == "import-unavailable":
            # `snowflake.connector` counts as `snowflake`; a provider module as its provider
            parts = f.subject.split(".")
            if parts[:2] == ["airflow", "providers"]:
                top = ".".join(parts[:4])
            else:
                top = f.subject if parts[0] == "airflow" else parts[0]
            by_module[top] = by_module.get(top, 0) + 1
    ordered = sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0]))
    modules = sorted(by_module.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"by_code": dict(ordered), "missing_imports_by_module": dict(modules)}


def to_json(findings: Sequence[Finding], **extra: object) -> str:
    """A JSON document: ``{"findings": [...], "summary": {...}, **extra}``."""
    doc: dict[str, object] = {
        "findings": [f.to_dict() for f in sort_findings(findings)],
        "summary": counts(findings),
    }
    doc.update(extra)
    return json.dumps(doc, indent=2, default=str)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(findings: Sequence[Finding], title: str) -> str:
    """A Markdown review: a summary line, then one table per severity."""
    c = counts(findings)
    lines = [f"# {title}", ""]
    if not findings:
        lines.append("No findings: nothing to fix.")
        return "\n".join(lines) + "\n"
    lines.append(f"**{c['error']} error(s), {c['warning']} warning(s), {c['info']} info.**")
    for severity in Severity:
        group = [f for f in sort_findings(findings) if f.severity is severity]
        if not group:
            continue
        lines += ["", f"## {severity.value.capitalize()}s ({len(group)})", ""]
        lines.append("| code | subject | where | message | hint |")
        lines.append("|---|---|---|---|---|")
        for f in group:
            where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
            lines.append(
                f"| `{f.code}` | {_md_cell(f.subject)} | {_md_cell(where)} | "
                f"{_md_cell(f.message)} | {_md_cell(f.hint)} |"
            )
    return "\n".join(lines) + "\n"


def to_junit(findings: Sequence[Finding], suite: str) -> str:
    """JUnit XML: one test case per finding; errors fail, warnings and info pass with output."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    out.append(
        f'<testsuites><testsuite name={quoteattr(suite)} tests="{max(len(findings), 1)}" '
        f'failures="{len(errors)}" errors="0">'
    )
    if not findings:
        out.append(f'<testcase classname={quoteattr(suite)} name="no-findings"/>')
    for f in sort_findings(findings):
        name = f"{f.code}: {f.subject}"
        where = f" ({f.file}:{f.line})" if f.file and f.line else (f" ({f.file})" if f.file else "")
        out.append(f"<testcase classname={quoteattr(suite + '.' + f.code)} name={quoteattr(name)}>")
        body = escape(f"{f.message}{where}\nhint: {f.hint}")
        if f.severity is Severity.ERROR:
            out.append(f'<failure message={quoteattr(f.message)} type="{f.code}">{body}</failure>')
        else:
            out.append(f"<system-out>{f.severity.value}: {body}</system-out>")
        out.append("</testcase>")
    out.append("</testsuite></testsuites>")
    return "\n".join(out) + "\n"


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands, one per finding:
    ``::error file=dags/etl.py,line=7,title=import-unavailable::message``.

    GitHub turns them into annotations on the lines of the pull request; ``%``, newlines
    and (in properties) ``:`` and ``,`` are escaped as the workflow-command syntax asks.
    """
    out = []
    for f in sort_findings(findings):
        props = []
        if f.file:
            props.append(f"file={_gh_property(f.file)}")
            if f.line:
                props.append(f"line={f.line}")
        props.append(f"title={_gh_property(f'{f.code}: {f.subject}')}")
        text = f.message + (f" hint: {f.hint}" if f.hint else "")
        out.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_gh_data(text)}")
    return "\n".join(out) + ("\n" if out else "")
