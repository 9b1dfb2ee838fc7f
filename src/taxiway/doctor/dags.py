"""Static checks of a dags folder: no Airflow import, no code execution.

Every ``.py`` file is parsed with :mod:`ast`. Files Airflow would parse as DAG files (not
matched by ``.airflowignore``) are checked for parse-time work; every file, ignored helper
modules included, for imports the target cannot satisfy (tasks import at run time too).
Airflow 3 removals come from ruff's AIR3 rules (:mod:`taxiway.doctor.airflow3`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from taxiway.doctor.files import python_files
from taxiway.doctor.ignorefile import IgnoreMatcher
from taxiway.doctor.imports import ImportContext, imports_of
from taxiway.doctor.toplevel import ParseTimeAnalysis, local_module_map
from taxiway.findings import Finding, Severity
from taxiway.mwaa import MwaaRelease


@dataclass(frozen=True)
class DagFile:
    """One Python file of the dags folder."""

    path: Path
    display: str  # "dags/etl.py"
    ignored: bool  # matched by .airflowignore
    source: str
    module: str = ""  # "common.config": its name on sys.path (the dags folder is on it)


def might_contain_dag(source: str) -> bool:
    """Airflow's safe-mode test: only files mentioning both words are imported as DAG files."""
    lowered = source.lower()
    return "airflow" in lowered and "dag" in lowered


def ignore_syntax(release: MwaaRelease) -> str:
    """Airflow 3 reads ``.airflowignore`` as globs by default, Airflow 2 as regexps."""
    return "glob" if release.airflow_major >= 3 else "regexp"


def check_dags(
    dags_dir: Path,
    release: MwaaRelease,
    context: ImportContext,
    display_root: Path | None = None,
    airflow3: bool = True,
) -> list[Finding]:
    """Findings for every Python file below ``dags_dir`` (``airflow3``: also run ruff AIR3)."""
    root = display_root or dags_dir.parent
    matcher = IgnoreMatcher(dags_dir, ignore_syntax(release))
    modules = local_module_map(dags_dir)
    analysis = ParseTimeAnalysis(modules, root)
    names = {path: name for name, path in modules.items()}
    out: list[Finding] = []
    for path in python_files(dags_dir):
        display = path.relative_to(root).as_posix()
        source = path.read_text(encoding="utf-8", errors="replace")
        dag_file = DagFile(path, display, matcher.ignored(path), source, names.get(path, ""))
        out.extend(check_dag_file(dag_file, context, analysis))
    if airflow3 and release.airflow_major >= 3:
        from taxiway.doctor.airflow3 import airflow3_findings

        ruff = airflow3_findings(dags_dir, root)
        # ruff names the replacement for a removed module: keep its finding on that line.
        lines = {(f.file, f.line) for f in ruff}
        out = [
            f for f in out if not (f.code == "airflow-module-missing" and (f.file, f.line) in lines)
        ]
        out.extend(ruff)
    # A helper reached from several DAG files is reported once.
    unique = {(f.code, f.subject, f.file, f.line): f for f in reversed(out)}
    return [f for f in reversed(unique.values()) if not suppressed(f, root)]


#: ``# taxiway: ignore[top-level-code] why`` on a line silences those codes there (a bare
#: ``# taxiway: ignore`` silences every code), as linters do with their own comments.
_SUPPRESS = re.compile(r"#\s*taxiway:\s*ignore(?:\[([a-z0-9, -]+)\])?")


def suppressed(finding: Finding, root: Path) -> bool:
    """Whether the finding's own source line carries a ``# taxiway: ignore[...]`` comment."""
    if not finding.file or not finding.line:
        return False
    try:
        lines = (root / finding.file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    if finding.line > len(lines):
        return False
    match = _SUPPRESS.search(lines[finding.line - 1])
    if match is None:
        return False
    codes = match.group(1)
    return codes is None or finding.code in {c.strip() for c in codes.split(",")}


def check_dag_file(
    dag_file: DagFile, context: ImportContext, analysis: ParseTimeAnalysis | None = None
) -> list[Finding]:
    """Findings for one file: parse errors, imports, Livy, parse-time work, non-DAG files."""
    try:
        tree = ast.parse(dag_file.source, filename=dag_file.display)
    except SyntaxError as exc:
        return [
            Finding(
                "parse-error",
                Severity.ERROR,
                dag_file.display,
                f"Python cannot parse `{dag_file.display}`: {exc.msg}.",
                "Fix the syntax; Airflow shows this file as an import error.",
                dag_file.display,
                exc.lineno,
            )
        ]
    out = import_findings(tree, dag_file.display, context)
    out.extend(_livy(tree, dag_file.display))
    if dag_file.ignored or not might_contain_dag(dag_file.source):
        return out
    analysis = analysis or ParseTimeAnalysis({})
    out.extend(analysis.module_findings(tree, dag_file.display, dag_file.module))
    if not defines_dag(tree):
        out.append(
            Finding(
                "not-dag-file",
                Severity.WARNING,
                dag_file.display,
                f"`{dag_file.display}` defines no DAG but mentions `airflow` and `dag`, so "
                "Airflow imports it as a DAG file on every parse loop.",
                "Add it (or its folder) to `.airflowignore`.",
                dag_file.display,
                None,
            )
        )
    return out


def import_findings(
    tree: ast.AST, display: str, context: ImportContext, loaded_by: str = "MWAA parses the file"
) -> list[Finding]:
    """``import-unavailable`` for each import the target cannot satisfy, and
    ``airflow-module-missing``/``airflow-name-missing`` for Airflow and provider modules or
    names that do not exist in the versions MWAA installs."""
    out = []
    for ref in imports_of(tree):
        when = (
            "when a task calling this function runs on MWAA"
            if ref.deferred
            else f"when {loaded_by}, so nothing in it loads"
        )
        severity = Severity.WARNING if ref.deferred else Severity.ERROR
        reason = context.unavailable_reason(ref.module)
        if reason is None:
            problem = context.api_problem(ref)
            if problem is not None:
                code, why = problem
                out.append(
                    Finding(
                        code,
                        severity,
                        ref.module,
                        f"`{ref.module}` import fails {when}: {why}.",
                        "Import it from where the installed version defines it (the "
                        "provider's changelog names the replacement) or pin the provider "
                        "version that still has it.",
                        display,
                        ref.line,
                    )
                )
            continue
        hint = (
            "Add the distribution to requirements.txt, vendor the module into the dags "
            "folder, or guard the import with `try/except ImportError`."
        )
        if not context.requirements_found:
            # Without a requirements file this is a guess: say so instead of accusing.
            severity = Severity.WARNING
            reason += "; no requirements file was found, so only MWAA's built-ins were counted"
            hint = "Pass the project's requirements file with `--requirements PATH`. " + hint
        out.append(
            Finding(
                "import-unavailable",
                severity,
                ref.module,
                f"`import {ref.module}` fails {when} (Python {context.python}): {reason}.",
                hint,
                display,
                ref.line,
            )
        )
    return out


def _livy(tree: ast.AST, display: str) -> list[Finding]:
    out = []
    for node in ast.walk(tree):
        mod = node.module if isinstance(node, ast.ImportFrom) else None
        names = (
            [a.name for a in node.names] if isinstance(node, ast.Import | ast.ImportFrom) else []
        )
        if (mod and "livy" in mod.split(".")) or "LivyOperator" in names:
            out.append(
                Finding(
                    "livy-operator",
                    Severity.WARNING,
                    "LivyOperator",
                    f"`{display}` submits Spark through Livy; MWAA's usual route to EMR is "
                    "an EMR step (EmrAddStepsOperator + EmrStepSensor), no Livy server needed.",
                    "Rewrite the tasks with `taxiway migrate livy`.",
                    display,
                    getattr(node, "lineno", None),
                )
            )
            break
    return out


def _callee(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _callee(node.func)
    return ""


def defines_dag(tree: ast.Module) -> bool:
    """Whether module-level code builds a DAG: ``DAG(...)``, ``@dag``, or a call to a
    ``*dag*`` factory such as ``dag = hourly_dag()``."""
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(_callee(d).lower() == "dag" for d in stmt.decorator_list):
                return True
            continue
        if isinstance(stmt, ast.ClassDef):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and "dag" in _callee(node.func).lower():
                return True
    return False
