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
"""

from __future__ import annotations

import json
import subprocess
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


def run_ruff_air3(paths: list[Path]) -> list[dict[str, object]]:
    """ruff's JSON diagnostics for the AIR3 rules on ``paths``."""
    if not paths:
        return []
    cmd = [ruff_binary(), "check", "--select", "AIR3", "--preview", "--output-format", "json"]
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
    message = str(diag.get("message") or "")
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


def airflow3_findings(dags_dir: Path, root: Path) -> list[Finding]:
    """``airflow3-removed``/``airflow3-moved`` findings for the Python files in ``dags_dir``."""
    from taxiway.doctor.files import python_files

    diags = run_ruff_air3(list(python_files(dags_dir)))
    out = [rule_to_finding(d, root) for d in diags]
    return [f for f in out if f is not None]
