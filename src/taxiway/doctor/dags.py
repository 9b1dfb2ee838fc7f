"""Static checks of a dags folder: no Airflow import, no code execution.

Every ``.py`` file is parsed with :mod:`ast`. Files Airflow would parse as DAG files (not
matched by ``.airflowignore``) are checked for parse-time work; every file, ignored helper
modules included, for imports the target cannot satisfy (tasks import at run time too).
Airflow 3 removals come from ruff's AIR3 rules (:mod:`taxiway.doctor.airflow3`).
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.version import Version

from taxiway.doctor.files import python_files
from taxiway.doctor.ignorefile import IgnoreMatcher
from taxiway.doctor.imports import ImportContext, ImportRef, Problem, imports_of
from taxiway.doctor.runtime3 import REMOVED_VARIABLES
from taxiway.doctor.selection import suppressed as suppressed
from taxiway.doctor.selection import without_ignored
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
    """Findings for every Python file below ``dags_dir`` (``airflow3``: also ruff's AIR3)."""
    from taxiway.doctor.airflow3 import ruff_report

    root = display_root or dags_dir.parent
    matcher = IgnoreMatcher(dags_dir, ignore_syntax(release))
    modules = local_module_map(dags_dir)
    analysis = ParseTimeAnalysis(modules, root)
    names = {path: name for name, path in modules.items()}
    paths = list(python_files(dags_dir))
    ruff = ruff_report(paths, root, release.python, air3=airflow3 and release.airflow_major >= 3)
    files = []
    for path in paths:
        display = path.relative_to(root).as_posix()
        source = path.read_text(encoding="utf-8", errors="replace")
        files.append(DagFile(path, display, matcher.ignored(path), source, names.get(path, "")))
    loaded = loaded_by_airflow(files, modules)
    out: list[Finding] = []
    for dag_file in files:
        grammar = Grammar(release.python, ruff.syntax.get(dag_file.path.resolve()))
        script = dag_file.path not in loaded
        out.extend(check_dag_file(dag_file, context, analysis, grammar, script=script))
    out = merge_air3(out, ruff.air3)
    # A helper reached from several DAG files is reported once.
    unique = {(f.code, f.subject, f.file, f.line): f for f in reversed(out)}
    return without_ignored(reversed(unique.values()), root)


def loaded_by_airflow(files: list[DagFile], modules: dict[str, Path]) -> set[Path]:
    """The files Airflow loads: the DAG files it parses and the local modules they import,
    transitively (``import common.io`` loads ``common/__init__.py`` and ``common/io.py``).

    Any other file of the folder only runs when something runs it (a BashOperator's
    ``python dags/jobs/load.py``, a Dataflow job), so its imports fail that task, not the
    DAG files.
    """
    by_path = {f.path: f for f in files}
    names = {path: name for name, path in modules.items()}
    todo = [f.path for f in files if not f.ignored and might_contain_dag(f.source)]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen or path not in by_path:
            continue
        seen.add(path)
        try:
            tree = ast.parse(by_path[path].source)
        except SyntaxError:
            continue
        own = names.get(path, "")
        package = own if path.stem == "__init__" else own.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".") if package else []
                    up = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                    base = ".".join([*up, base] if base else up)
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                parts = target.split(".")
                for n in range(1, len(parts) + 1):
                    found = modules.get(".".join(parts[:n]))
                    if found is not None:
                        todo.append(found)
    return seen


def merge_air3(findings: list[Finding], air3: list[Finding]) -> list[Finding]:
    """Add ruff's AIR3 findings, one per cause.

    On an import's own line ruff's finding replaces ``airflow-module-missing`` (it names the
    replacement). A use elsewhere of a name whose import already fails
    (``from airflow.utils.dates import days_ago``, then ``days_ago(1)`` on ten lines) is
    folded into the import's finding: the import is what breaks the file. The remaining
    uses of one moved name in one file become one finding listing their lines.
    """
    from taxiway.doctor.airflow3 import group_uses

    at_line = {(f.file, f.line) for f in air3}
    out = [
        f
        for f in findings
        if not (f.code == "airflow-module-missing" and (f.file, f.line) in at_line)
    ]
    index = {
        (f.file, f.subject): i
        for i, f in enumerate(out)
        if f.code in ("airflow-module-missing", "airflow-name-missing")
    }
    for i, f in enumerate(out):
        if f.code == "airflow-name-missing":
            # ruff names a removed name bare (`apply_defaults`): the missing names of the
            # import are the cause of its uses too.
            listed = f.message.partition(" is not defined in ")[0].rpartition(": ")[2]
            for name in re.findall(r"`([^`]+)`", listed):
                index.setdefault((f.file, name), i)
    folded: dict[int, list[Finding]] = {}
    rest = []
    for ruff in air3:
        parts = ruff.subject.split(".")
        keys = [(ruff.file, ".".join(parts[:n])) for n in range(len(parts) - 1, 0, -1)]
        if len(parts) == 1:
            keys = [(ruff.file, ruff.subject)]
        hit = next((index[k] for k in keys if k in index), None)
        if hit is None or out[hit].line == ruff.line:
            rest.append(ruff)
        else:
            folded.setdefault(hit, []).append(ruff)
    for i, uses in folded.items():
        lines = ", ".join(str(n) for n in sorted({u.line for u in uses if u.line}))
        base = out[i]
        # ruff's hint names the replacement when it knows one, else only its rule's page
        ruff_hint = uses[0].hint
        hint = f"{base.hint} ({ruff_hint})" if ruff_hint.startswith("See ") else ruff_hint
        out[i] = replace(
            base,
            message=f"{base.message.rstrip('.')}; used on line(s) {lines}.",
            hint=hint or base.hint,
        )
    return out + group_uses(rest)


@dataclass(frozen=True)
class Grammar:
    """The target's Python and what ruff said of one file with that grammar.

    ``syntax``: ruff's first syntax error for the target version, (line, message), or None
    when ruff parsed the file (or did not run: then the host's own parser decides).
    """

    python: str
    syntax: tuple[int | None, str] | None = None
    checked: bool = True  # False: ruff did not run on the file


def parse_source(
    source: str, display: str, grammar: Grammar | None, hint: str
) -> ast.Module | Finding:
    """The file's AST, or the finding that says why there is none.

    ruff (run with the target's ``--target-version``) decides what the target's Python
    accepts; the host's :func:`ast.parse` only builds the tree. When the host is older than
    the target and cannot parse what the target can (a PEP 701 f-string on a 3.11 host
    for a 3.12 target), the file is not a parse error: it is a ``parse-skipped`` info.
    """
    if grammar is not None and grammar.syntax is not None:
        line, message = grammar.syntax
        return Finding(
            "parse-error",
            Severity.ERROR,
            display,
            f"Python {grammar.python} cannot parse `{display}`: {message.rstrip('.')}.",
            hint,
            display,
            line,
        )
    try:
        return ast.parse(source, filename=display)
    except SyntaxError as exc:
        host = f"{sys.version_info.major}.{sys.version_info.minor}"
        if grammar is not None and grammar.checked and Version(host) < Version(grammar.python):
            return Finding(
                "parse-skipped",
                Severity.INFO,
                display,
                f"Python {grammar.python} parses `{display}` (ruff checked it), but taxiway "
                f"runs on Python {host}, whose parser cannot ({exc.msg}); its imports and "
                "parse-time work were not checked.",
                f"Run taxiway on Python {grammar.python} or newer to check the whole file.",
                display,
                exc.lineno,
            )
        python = grammar.python if grammar is not None else host
        return Finding(
            "parse-error",
            Severity.ERROR,
            display,
            f"Python {python} cannot parse `{display}`: {exc.msg}.",
            hint,
            display,
            exc.lineno,
        )


def check_dag_file(
    dag_file: DagFile,
    context: ImportContext,
    analysis: ParseTimeAnalysis | None = None,
    grammar: Grammar | None = None,
    script: bool = False,
) -> list[Finding]:
    """Findings for one file: parse errors, imports, Livy, parse-time work, non-DAG files.

    ``script``: neither a DAG file nor imported by one (:func:`loaded_by_airflow`), so a
    failing import fails only what runs the file: a warning.
    """
    hint = "Fix the syntax; Airflow shows this file as an import error."
    tree = parse_source(dag_file.source, dag_file.display, grammar, hint)
    if isinstance(tree, Finding):
        return [tree]
    parsed_by_airflow = not dag_file.ignored and might_contain_dag(dag_file.source)
    if not parsed_by_airflow:
        # Not a DAG file: it only runs as a script (`python dags/jobs/load.py` from a
        # BashOperator, a Dataflow job), and Python puts a script's own folder first on
        # sys.path, so its sibling modules import.
        from taxiway.doctor.files import local_modules

        siblings = local_modules(dag_file.path.parent)
        context = replace(context, local_modules=context.local_modules | siblings)
    loaded_by = "something runs this file (no DAG file imports it)" if script else None
    out = import_findings(tree, dag_file.display, context, loaded_by or "MWAA parses the file")
    if script:
        out = [
            replace(f, severity=Severity.WARNING) if f.code != "deprecated-import" else f
            for f in out
        ]
    out.extend(_livy(tree, dag_file.display))
    if context.airflow_major >= 3:
        from taxiway.doctor.runtime3 import runtime_findings

        removed = runtime_removals(tree, dag_file.display) + runtime_findings(
            tree, dag_file.display
        )
        if script:
            # Task code of a file Airflow never loads (`.airflowignore`d, imported by no DAG
            # file) fails only if something runs it.
            removed = [replace(f, severity=Severity.WARNING) for f in removed]
        out.extend(removed)
    if not parsed_by_airflow:
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
    """``import-unavailable`` for each import the target cannot satisfy,
    ``airflow-module-missing``/``airflow-name-missing`` for Airflow and provider modules or
    names that do not exist in the versions MWAA installs, and ``deprecated-import`` for a
    1.10 name that Airflow 2 still forwards."""
    out = []
    for ref in imports_of(tree):
        when = (
            "when a task calling this function runs on MWAA"
            if ref.deferred
            else f"when {loaded_by}, so nothing in it loads"
        )
        for problem in context.problems(ref):
            out.append(_import_finding(ref, problem, display, context, when))
    return out


_IMPORT_HINT = (
    "Add the distribution to requirements.txt, vendor the module into the dags "
    "folder, or guard the import with `try/except ImportError`."
)


def _import_finding(
    ref: ImportRef, problem: Problem, display: str, context: ImportContext, when: str
) -> Finding:
    if problem.code == "deprecated-import":
        return Finding(
            "deprecated-import",
            Severity.WARNING,
            ref.module,
            problem.reason + ".",
            problem.hint,
            display,
            ref.line,
        )
    severity = Severity.WARNING if ref.deferred or not problem.verified else Severity.ERROR
    if problem.code != "import-unavailable":
        return Finding(
            problem.code,
            severity,
            ref.module,
            f"`{ref.module}` import fails {when}: {problem.reason}.",
            problem.hint,
            display,
            ref.line,
        )
    reason, hint = problem.reason, problem.hint
    if not hint and problem.provider:
        hint = f"Add `{problem.provider}` to requirements.txt, or guard the import with `try/except ImportError`."
    hint = hint or _IMPORT_HINT
    if not problem.verified:
        hint = (
            "Check it where the requirements are really installed: `taxiway doctor ... "
            "--resolve` or `taxiway local test`. " + hint
        )
    if not context.requirements_found:
        # Without a requirements file this is a guess: say so instead of accusing.
        severity = Severity.WARNING
        reason += "; no requirements file was found, so only MWAA's built-ins were counted"
        hint = "Pass the project's requirements file with `--requirements PATH`. " + hint
    verb = "may fail" if severity is Severity.WARNING and not ref.deferred else "fails"
    return Finding(
        "import-unavailable",
        severity,
        ref.module,
        f"`import {ref.module}` {verb} {when} (Python {context.python}): {reason}.",
        hint,
        display,
        ref.line,
    )


# What a task's TaskInstance and DagRun lost in Airflow 3 (`logical_date` replaces them);
# ruff's AIR301 sees the context keys of a `**context` task, not these attributes.
_RUNTIME_REMOVED = ("execution_date", "next_execution_date", "prev_execution_date")
_RUNTIME_HOLDERS = frozenset({"ti", "task_instance", "dag_run", "dagrun"})


def runtime_removals(tree: ast.AST, display: str) -> list[Finding]:
    """``airflow3-removed`` for ``ti.execution_date``-style reads, one per name and file."""
    uses: dict[str, list[int]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or node.attr not in _RUNTIME_REMOVED:
            continue
        holder = node.value
        if isinstance(holder, ast.Subscript) and isinstance(holder.slice, ast.Constant):
            name = holder.slice.value  # context["ti"].execution_date
        elif isinstance(holder, ast.Name):
            name = holder.id
        else:
            continue
        if isinstance(name, str) and name in _RUNTIME_HOLDERS:
            uses.setdefault(f"{name}.{node.attr}", []).append(node.lineno)
    out = _context_key_removals(tree, display)
    for subject, lines in uses.items():
        where = ", ".join(str(n) for n in sorted(set(lines)))
        out.append(
            Finding(
                "airflow3-removed",
                Severity.ERROR,
                subject,
                f"`{subject}` is removed in Airflow 3.0: a task's TaskInstance and DagRun "
                "have no `execution_date`, so the task fails with AttributeError when it "
                f"runs; used on line(s) {where}.",
                "Use `logical_date` (`ti.logical_date` is `context['logical_date']`; it is "
                "None for a manually triggered run unless one is given).",
                display,
                min(lines),
            )
        )
    return out


# The task context keys Airflow 3 removed (ruff's AIR301 list): the removed template
# variables plus `conf`; ruff sees them in `@task` functions only, not in the `**kwargs`
# of a PythonOperator's callable.
_REMOVED_KEYS = REMOVED_VARIABLES | {"conf"}


def _task_decorator(node: ast.expr) -> bool:
    """``@task``, ``@task()``, ``@task.python(...)``: a TaskFlow function (ruff checks it)."""
    while isinstance(node, ast.Call | ast.Attribute):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id == "task"


def _context_key_removals(tree: ast.AST, display: str) -> list[Finding]:
    """``airflow3-removed`` for ``kwargs["execution_date"]`` / ``kwargs.get("next_ds")`` in a
    plain function taking ``**kwargs`` (a ``@task`` function is ruff's), one per key."""
    uses: dict[str, list[int]] = {}
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or fn.args.kwarg is None:
            continue
        if any(_task_decorator(d) for d in fn.decorator_list):
            continue
        holder = fn.args.kwarg.arg
        for node in ast.walk(fn):
            key = None
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                if node.value.id == holder and isinstance(node.slice, ast.Constant):
                    key = node.slice.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == holder
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                key = node.args[0].value
            if isinstance(key, str) and key in _REMOVED_KEYS:
                uses.setdefault(key, []).append(getattr(node, "lineno", fn.lineno))
    out = []
    for key, lines in uses.items():
        where = ", ".join(str(n) for n in sorted(set(lines)))
        out.append(
            Finding(
                "airflow3-removed",
                Severity.ERROR,
                key,
                f"Context key `{key}` is removed in Airflow 3.0: the task's context has no "
                f"such key, so reading it fails (KeyError) or gives None; used on line(s) "
                f"{where}.",
                "Use `logical_date` / `data_interval_start` / `data_interval_end` (and "
                "`dag_run.conf` for `conf`).",
                display,
                min(lines),
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
