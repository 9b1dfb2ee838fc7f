"""Airflow 3 removals and moves, from ruff's ``AIR3`` rules (not re-implemented here).

ruff runs as a subprocess on the dags folder with ``--select AIR3 --preview`` and JSON output;
each diagnostic becomes a finding:

=======  ===================================  =====================  ========
rule     ruff name                            finding code           severity
=======  ===================================  =====================  ========
AIR301   airflow3-removal                     ``airflow3-removed``   error
AIR302   airflow3-moved-to-provider           ``airflow3-moved``     error
AIR303   airflow3-incompatible-function-sig.  ``airflow3-removed``   error
AIR304   airflow3-dag-dynamic-value           ``airflow3-removed``   warning
AIR311   airflow3-suggested-update            ``airflow3-moved``     warning
AIR312   airflow3-suggested-to-move-to-prov.  ``airflow3-moved``     warning
AIR32x   airflow31-moved (3.1+ moves)         ``airflow3-moved``     warning
=======  ===================================  =====================  ========

AIR301-303 break the DAG on Airflow 3; AIR311/312 still work through compatibility shims
that Airflow will remove later.

The same ruff run parses every file with the target's grammar (``--target-version``, from
the MWAA version's Python): a PEP 701 f-string is fine for a Python 3.12 target and a syntax
error for a 3.11 one, whatever Python taxiway itself runs on (:class:`RuffReport`).
One finding per cause: the uses of one moved name in one file are one finding that lists
their lines.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from taxiway.errors import ToolchainError
from taxiway.findings import Finding, Severity

RULES: dict[str, tuple[str, Severity]] = {
    "AIR301": ("airflow3-removed", Severity.ERROR),
    "AIR302": ("airflow3-moved", Severity.ERROR),
    "AIR303": ("airflow3-removed", Severity.ERROR),
    "AIR304": ("airflow3-removed", Severity.WARNING),
    "AIR311": ("airflow3-moved", Severity.WARNING),
    "AIR312": ("airflow3-moved", Severity.WARNING),
}


def ruff_binary() -> str:
    """Path of the ``ruff`` executable that ships with the ruff package."""
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError as exc:  # pragma: no cover - ruff is a dependency of taxiway
        raise ToolchainError(
            "`ruff` is not installed; install it with `uv pip install ruff`."
        ) from exc
    return str(find_ruff_bin())


def ruff_target(python: str) -> str:
    """ruff's ``--target-version`` for a Python version: ``"3.12"`` -> ``"py312"``."""
    major, minor = python.split(".")[:2]
    return f"py{major}{minor}"


def run_ruff_air3(paths: list[Path], python: str | None = None) -> list[dict[str, object]]:
    """ruff's JSON diagnostics for the AIR3 rules on ``paths`` (syntax errors included, for
    the grammar of Python ``python`` when given)."""
    if not paths:
        return []
    cmd = [ruff_binary(), "check", "--select", "AIR3", "--preview", "--output-format", "json"]
    if python is not None:
        cmd += ["--target-version", ruff_target(python)]
    cmd += ["--no-cache", "--isolated", "--exit-zero", "--no-fix", *map(str, paths)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolchainError(
            f"`ruff check --select AIR3` failed ({proc.returncode}): {proc.stderr.strip()[:300]}; "
            "run it by hand to see why."
        )
    data = json.loads(proc.stdout or "[]")
    return [d for d in data if isinstance(d, dict)]


def rule_to_finding(diag: dict[str, object], root: Path) -> Finding | None:
    """One ruff diagnostic -> one finding (None for rules outside the table, or syntax errors:
    those are reported as ``parse-error`` by the DAG checks already)."""
    code = str(diag.get("code") or "")
    if code in RULES:
        finding_code, severity = RULES[code]
    elif code.startswith("AIR3"):
        finding_code, severity = "airflow3-moved", Severity.WARNING
    else:
        return None
    message = _plain(str(diag.get("message") or ""), severity)
    fix = diag.get("fix")
    hint = str(fix.get("message") or "") if isinstance(fix, dict) else ""
    if not hint and isinstance(diag.get("url"), str):
        hint = f"See {diag['url']}"
    filename = Path(str(diag.get("filename") or ""))
    try:
        display = filename.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        display = filename.as_posix()
    location = diag.get("location")
    line = location.get("row") if isinstance(location, dict) else None
    subject = message.split("`")[1] if message.count("`") >= 2 else code
    return Finding(
        finding_code,
        severity,
        subject,
        f"{message} (ruff {code})",
        hint or "Update the code for Airflow 3 (see the Airflow 3 upgrade guide).",
        display,
        line if isinstance(line, int) else None,
    )


def _plain(message: str, severity: Severity) -> str:
    """ruff's AIR311/AIR312 text says a name "is removed in Airflow 3.0; It still works in
    Airflow 3.0": say once what is true (it works now, through a shim a later version drops)."""
    head, sep, _ = message.partition("; It still works")
    if not sep or severity is not Severity.WARNING:
        return message
    head = head.replace(" is removed in Airflow 3.0", " is deprecated in Airflow 3.0")
    return f"{head}: it still works, through a compatibility shim a later Airflow removes"


def airflow3_findings(dags_dir: Path, root: Path) -> list[Finding]:
    """``airflow3-removed``/``airflow3-moved`` findings for the Python files in ``dags_dir``."""
    from taxiway.doctor.files import python_files

    return group_uses(ruff_report(list(python_files(dags_dir)), root, None, air3=True).air3)


@dataclass(frozen=True)
class RuffReport:
    """One ruff run over a set of files: syntax errors for the target grammar, AIR3 findings."""

    syntax: dict[Path, tuple[int | None, str]]  # resolved path -> (line, ruff's message)
    air3: list[Finding]


def ruff_report(paths: list[Path], root: Path, python: str | None, air3: bool) -> RuffReport:
    """Run ruff once: the first syntax error of each file and (``air3``) the AIR3 findings,
    one per diagnostic (:func:`group_uses` makes them one per cause)."""
    diags = run_ruff_air3(paths, python)
    syntax: dict[Path, tuple[int | None, str]] = {}
    for diag in diags:
        if diag.get("code"):
            continue
        path = Path(str(diag.get("filename") or "")).resolve()
        location = diag.get("location")
        line = location.get("row") if isinstance(location, dict) else None
        current = syntax.get(path)
        row = line if isinstance(line, int) else None
        if current is None or (row or 0) < (current[0] or 0):
            syntax[path] = (row, str(diag.get("message") or "invalid syntax"))
    findings = [rule_to_finding(d, root) for d in diags] if air3 else []
    return RuffReport(syntax, [f for f in findings if f is not None])


def group_uses(findings: list[Finding]) -> list[Finding]:
    """One finding per (file, code, subject, message): the first line, with every line listed."""
    groups: dict[tuple[str | None, str, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.file, f.code, f.subject, f.message), []).append(f)
    out = []
    for group in groups.values():
        first = min(group, key=lambda f: f.line or 0)
        lines = sorted({f.line for f in group if f.line})
        if len(lines) > 1:
            where = ", ".join(map(str, lines))
            first = replace(first, message=f"{first.message.rstrip('.')}; used on lines {where}.")
        out.append(first)
    return out
