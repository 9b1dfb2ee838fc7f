"""Which findings a user sees: ``--select``/``--ignore`` and ``# taxiway: ignore[code]``.

The habits of the linters users already run (ruff, flake8): codes are selected or ignored
on the command line, and one line is silenced with a comment at its end, in any file that
has ``#`` comments (Python, requirements.txt, startup.sh)::

    pandas==1.5.3  # taxiway: ignore[pin-conflict] pinned for the Q3 report
    CONFIG = Variable.get("config")  # taxiway: ignore[top-level-code]

A bare ``# taxiway: ignore`` silences every code on its line. A code renamed since (one of
:data:`RENAMED`) still works, under its new name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from taxiway.errors import UsageError
from taxiway.findings import Finding

#: Every code the doctor produces (docs/doctor.md describes each one).
CODES = frozenset(
    {
        "parse-error", "parse-skipped", "builtin-duplicate", "pin-conflict",
        "missing-constraint", "constraints-mismatch", "unpinned", "not-builtin",
        "marker-skipped", "duplicate-requirement", "resolve-failed", "resolved",
        "import-unavailable", "airflow-module-missing", "airflow-name-missing",
        "deprecated-import", "airflow3-removed", "airflow3-moved", "livy-operator",
        "top-level-code", "not-dag-file", "plugins-zip-layout", "airflow-plugin",
        "plugin-removable", "plugin-ui-unsupported", "reserved-env-var",
        "wrong-package-manager", "missing-shebang", "layout", "requirements-not-found",
        "requirements-other-version", "airflow3-db-access",
    }
)  # fmt: skip

#: Codes merged into another one: the old name keeps working in --select, --ignore and
#: ignore comments.
RENAMED = {
    "essential-override": "pin-conflict",
    "constraint-conflict": "pin-conflict",
    "builtin-conflict": "pin-conflict",
}

_SUPPRESS = re.compile(r"#\s*taxiway:\s*ignore(?:\[([a-z0-9, -]+)\])?")


def parse_codes(values: Iterable[str] | None, flag: str) -> frozenset[str]:
    """``["pin-conflict,unpinned", "layout"]`` -> the codes; unknown ones are a usage error."""
    out: set[str] = set()
    for value in values or ():
        for raw in value.split(","):
            code = raw.strip()
            if not code:
                continue
            code = RENAMED.get(code, code)
            if code not in CODES:
                raise UsageError(
                    f"Unknown finding code `{raw.strip()}` in `{flag}`; the codes are listed "
                    "in docs/doctor.md (`taxiway doctor ... --format json` shows each one)."
                )
            out.add(code)
    return frozenset(out)


def select(
    findings: Iterable[Finding], chosen: frozenset[str], ignored: frozenset[str]
) -> list[Finding]:
    """Findings whose code is ``chosen`` (all when empty) and not ``ignored``."""
    return [f for f in findings if (not chosen or f.code in chosen) and f.code not in ignored]


def ignore_comment(line: str) -> frozenset[str] | None:
    """The codes a line's ``# taxiway: ignore[...]`` silences; ``{"*"}`` for a bare one."""
    match = _SUPPRESS.search(line)
    if match is None:
        return None
    if match.group(1) is None:
        return frozenset({"*"})
    return frozenset(RENAMED.get(c.strip(), c.strip()) for c in match.group(1).split(","))


def suppressed(finding: Finding, root: Path, cache: dict[Path, list[str]] | None = None) -> bool:
    """Whether the finding's own line (``root / file``) silences its code."""
    if not finding.file or not finding.line:
        return False
    path = root / finding.file
    lines = cache.get(path) if cache is not None else None
    if lines is None:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        if cache is not None:
            cache[path] = lines
    if finding.line > len(lines):
        return False
    codes = ignore_comment(lines[finding.line - 1])
    return codes is not None and ("*" in codes or finding.code in codes)


def without_ignored(findings: Iterable[Finding], root: Path) -> list[Finding]:
    """Findings not silenced by an ignore comment on their line (files read once each)."""
    cache: dict[Path, list[str]] = {}
    return [f for f in findings if not suppressed(f, root, cache)]
