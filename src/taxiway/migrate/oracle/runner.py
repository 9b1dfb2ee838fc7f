"""A project in, a report (and, with ``write``, rewritten files) out: ``taxiway migrate oracle``.

Order of work: read the connection types; scan every DAG file for Oracle tasks and hook use;
convert each task's statements (each ``.sql`` file once); decide per task (converted, review,
refused); plan the rewrites of the tasks that are rewritable; render the new files; write them
only with ``write``. A task is rewritten only when every statement it runs converted, it runs
exactly one statement (``AthenaOperator`` runs one) and nothing in its call blocks it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.migrate.oracle.connections import ConnectionTypes
from taxiway.migrate.oracle.convert import convert_text
from taxiway.migrate.oracle.discovery import FileScan, FoundTask, scan_source
from taxiway.migrate.oracle.notes import Outcome, StatementResult
from taxiway.migrate.oracle.rewrite import DROPPED, AthenaTarget, CallPlan, python_string
from taxiway.migrate.runner import display_path, python_files

ATHENA_SUFFIX = ".athena.sql"
_HOOK_HINT = (
    "Move the query into an `AthenaOperator` task (run `taxiway migrate oracle` on it), or call "
    "`AthenaHook(aws_conn_id=...).run_query(...)` / `AthenaSQLHook` from the callable."
)
_KIND_REFUSAL = {
    "procedure": (
        "runs an Oracle stored procedure: its PL/SQL lives in the database, which Athena "
        "cannot run",
        "Rewrite the procedure's statements as SQL tasks, then run this command on them.",
    ),
    "transfer": (
        "moves data out of Oracle with an Oracle transfer operator",
        "Land the table in the lake once (export, DMS or a CDC job), then read it with Athena.",
    ),
}


@dataclass
class TaskReport:
    task: FoundTask
    outcome: Outcome
    rewritten: bool = False
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        t = self.task
        return {
            "file": t.file,
            "line": t.line,
            "task_id": t.task_id,
            "operator": t.operator,
            "conn_id": t.conn_id,
            "outcome": self.outcome.value,
            "rewritten": self.rewritten,
            "reasons": self.reasons,
            "sql_files": [s.file for s in t.sources if s.reference],
            "statements": [s.to_dict() for s in t.statements],
        }


@dataclass
class FileChange:
    path: Path
    shown: str
    before: str
    after: str


@dataclass
class OracleReport:
    """Every Oracle task found, what happened to it, and the file changes."""

    tasks: list[TaskReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    files_scanned: int = 0
    hooks: int = 0
    written: bool = False

    def counts(self) -> dict[str, dict[str, int]]:
        tasks = {o.value: 0 for o in Outcome}
        statements = {o.value: 0 for o in Outcome}
        for report in self.tasks:
            tasks[report.outcome.value] += 1
            for s in report.task.statements:
                statements[s.outcome.value] += 1
        return {
            "tasks": {"found": len(self.tasks), **tasks,
                      "rewritten": sum(t.rewritten for t in self.tasks)},
            "statements": {"found": sum(statements.values()), **statements},
            "hooks": {"found": self.hooks},
        }  # fmt: skip

    def diff(self) -> str:
        return "".join(_diff(c) for c in self.changes)

    def to_dict(self) -> dict[str, object]:
        return {
            "files_scanned": self.files_scanned,
            "counts": self.counts(),
            "tasks": [t.to_dict() for t in self.tasks],
            "files_changed": [c.shown for c in self.changes if c.before],
            "files_created": [c.shown for c in self.changes if not c.before],
            "written": self.written,
            "diff": self.diff(),
        }


def _diff(change: FileChange) -> str:
    new = not change.before
    name = change.shown.lstrip("/")
    lines = difflib.unified_diff(
        change.before.splitlines(keepends=True),
        change.after.splitlines(keepends=True),
        fromfile="/dev/null" if new else f"a/{name}",
        tofile=f"b/{name}",
    )
    out = [
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    ]
    return "".join(out)


def dags_folder(project: Path) -> Path:
    """The DAG folder: the project config's ``dags``, else ``PROJECT/dags``, else PROJECT."""
    if project.is_file():
        return project
    if not project.is_dir():
        raise UsageError(f"`{project}` does not exist; pass an Airflow project folder.")
    from taxiway import projectfile

    configured = projectfile.load(project).dags
    if configured is not None and configured.is_dir():
        return configured
    return project / "dags" if (project / "dags").is_dir() else project


def load_connections(files: list[Path], environ: Mapping[str, str]) -> ConnectionTypes:
    """Connection types from the export files given plus ``AIRFLOW_CONN_*`` (files win)."""
    from taxiway.migrate.oracle.connections import from_environment, read_export

    types = from_environment(environ)
    for path in files:
        types.update(read_export(path))
    return ConnectionTypes(types)


def migrate_project(
    project: Path,
    connections: ConnectionTypes,
    target: AthenaTarget,
    write: bool = False,
    iceberg: bool = False,
) -> OracleReport:
    """Find, convert and (with ``write``) rewrite the Oracle tasks of ``project``."""
    if write and not target.database:
        raise UsageError(
            "`--write` needs `--database NAME`: the Athena database the rewritten queries run in."
        )
    folder = dags_folder(project)
    root = project if project.is_dir() else project.parent
    report = OracleReport(written=write)
    converted: dict[tuple[Path | str, int], list[StatementResult]] = {}
    new_files: dict[Path, str] = {}
    for path in python_files([folder]):
        report.files_scanned += 1
        shown = display_path(path)
        try:
            source = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.findings.append(
                Finding("unreadable-file", Severity.ERROR, shown,
                        f"`{shown}` could not be read as UTF-8 Python: {exc}.",
                        "Check the file's permissions and encoding.", shown)
            )  # fmt: skip
            continue
        scan = scan_source(source, path, shown, root, connections)
        _scan_findings(scan, report)
        plans: dict[int, CallPlan] = {}
        for task in scan.tasks:
            task_report = _decide(task, converted, iceberg)
            report.tasks.append(task_report)
            plan = (
                _plan(task_report, target, new_files)
                if task_report.outcome is not Outcome.REFUSED
                else None
            )
            if plan is not None:
                plans[id(task.node)] = plan
            _task_findings(task_report, report.findings, write, plan is not None)
        if plans and scan.wrapper is not None:
            from taxiway.migrate.oracle.rewrite import rewrite_module

            new, count = rewrite_module(scan.wrapper.module, plans, target)
            if count:
                report.changes.append(FileChange(path, shown, source, new.code))
                for t in report.tasks:
                    if id(t.task.node) in plans:
                        t.rewritten = True
    for sql_path, text in new_files.items():
        before = sql_path.read_text(encoding="utf-8") if sql_path.is_file() else ""
        if before != text:
            report.changes.append(FileChange(sql_path, display_path(sql_path), before, text))
    if write:
        for change in report.changes:
            # Bytes, not text mode: no newline translation, so CRLF files stay CRLF.
            change.path.write_bytes(change.after.encode("utf-8"))
    return report


def _scan_findings(scan: FileScan, report: OracleReport) -> None:
    add = report.findings.append
    if scan.parse_error is not None:
        message, line = scan.parse_error
        add(Finding("parse-error", Severity.ERROR, scan.shown,
                    f"`{scan.shown}` is not valid Python: {message}.",
                    "Fix the syntax error and run again.", scan.shown, line))  # fmt: skip
    for hook in scan.hooks:
        report.hooks += 1
        add(Finding("oracle-hook", Severity.WARNING, f"{hook.name} at line {hook.line}",
                    f"`{hook.name}` runs SQL on Oracle from Python code; it was not rewritten.",
                    _HOOK_HINT, hook.file, hook.line))  # fmt: skip
    for conn_id, line in scan.unknown_conns.items():
        add(Finding("oracle-connection-unknown", Severity.INFO, f"connection {conn_id}",
                    f"SQL tasks use connection `{conn_id}`, whose type is not known: they are "
                    "Oracle tasks only if it is an Oracle connection.",
                    "Pass `--connections FILE` (from `airflow connections export FILE`) or set "
                    f"`AIRFLOW_CONN_{conn_id.upper()}`; names are not guessed.",
                    scan.shown, line))  # fmt: skip


def _decide(
    task: FoundTask, cache: dict[tuple[Path | str, int], list[StatementResult]], iceberg: bool
) -> TaskReport:
    reasons: list[str] = []
    for source in task.sources:
        if source.text is None:
            reasons.append(f"SQL not readable: {source.problem}")
            continue
        key: tuple[Path | str, int] = (source.path or source.file, source.line)
        if source.path is None or key not in cache:
            cache[key] = convert_text(source.text, source.line, iceberg=iceberg)
        task.statements += cache[key]
    if task.kind in _KIND_REFUSAL:
        reasons.insert(0, _KIND_REFUSAL[task.kind][0])
    if task.sql_arg is None and task.kind in ("query", "check"):
        reasons.append("no `sql=` argument found in the call")
    if any(s.outcome is Outcome.REFUSED for s in task.statements) or reasons:
        return TaskReport(task, Outcome.REFUSED, reasons=reasons)
    if task.kind == "check":
        reasons.append(
            f"`{task.operator}` stays a common-sql operator: point its `conn_id` at an Athena "
            "connection (conn type `aws`, read by AthenaSQLHook) and use the converted SQL"
        )
    effective = [s for s in task.statements if s.athena]
    if task.kind == "query" and len(effective) != 1:
        reasons.append(f"runs {len(effective)} statements; AthenaOperator runs one: split the task")
    reasons += task.blockers
    review = any(s.outcome is Outcome.REVIEW for s in task.statements)
    return TaskReport(
        task, Outcome.REVIEW if review or reasons else Outcome.CONVERTED, reasons=reasons
    )


def _plan(report: TaskReport, target: AthenaTarget, new_files: dict[Path, str]) -> CallPlan | None:
    task = report.task
    if task.kind != "query" or report.reasons or task.sql_arg is None:
        return None
    statement = next(s for s in task.statements if s.athena)
    assert statement.athena is not None
    source = task.sources[0]
    if source.reference is not None and source.path is not None:
        ref = source.reference
        stem = ref[: -len(".sql")] if ref.lower().endswith(".sql") else ref
        new_path = source.path.with_name(source.path.name[: -len(".sql")] + ATHENA_SUFFIX)
        new_files[new_path] = statement.athena.rstrip() + "\n"
        query = python_string(stem + ATHENA_SUFFIX, "")
    else:
        query = python_string(statement.athena, task.sql_indent)
    return CallPlan(query, task.sql_arg, task.qualified)


def _task_findings(report: TaskReport, out: list[Finding], write: bool, planned: bool) -> None:
    task = report.task
    subject = f"task {task.task_id}"
    for s in task.statements:
        for n in s.notes:
            severity = {
                Outcome.REFUSED: Severity.ERROR,
                Outcome.REVIEW: Severity.WARNING,
                Outcome.CONVERTED: Severity.INFO,
            }[n.outcome]
            code = {
                Outcome.REFUSED: "oracle-refused",
                Outcome.REVIEW: "oracle-review",
                Outcome.CONVERTED: "oracle-converted",
            }[n.outcome]
            where = _source_file(task, s)
            out.append(Finding(code, severity, f"{subject}: {n.construct}", n.message,
                               _HINTS.get(n.outcome, ""), where, n.line))  # fmt: skip
    n_total = len(task.statements)
    counts = f"{sum(s.outcome is not Outcome.REFUSED for s in task.statements)}/{n_total} statement(s) converted"
    if report.outcome is Outcome.REFUSED:
        why = "; ".join(report.reasons) or "a statement was refused (see the findings above)"
        hint = _KIND_REFUSAL.get(
            task.kind, ("", "Fix or rewrite the refused statements by hand, then run again.")
        )[1]
        out.append(Finding("oracle-task-refused", Severity.ERROR, subject,
                           f"`{task.operator}` task left on Oracle ({counts}): {why}.",
                           hint, task.file, task.line))  # fmt: skip
    elif not planned:
        out.append(Finding("oracle-task-not-rewritten", Severity.WARNING, subject,
                           f"`{task.operator}` task not rewritten ({counts}): "
                           + ("; ".join(report.reasons) or "see the review findings") + ".",
                           "The converted SQL is in the JSON report (`--format json`).",
                           task.file, task.line))  # fmt: skip
    else:
        done = "rewritten" if write else "rewritable (pass --write)"
        dropped = [a.keyword.value for a in task.node.args
                   if a.keyword is not None and a.keyword.value in DROPPED and a.keyword.value != task.sql_arg]  # fmt: skip
        extra = f"; dropped {', '.join(f'`{d}`' for d in dropped)}" if dropped else ""
        severity = Severity.WARNING if report.outcome is Outcome.REVIEW else Severity.INFO
        out.append(Finding("oracle-task-converted", severity, subject,
                           f"`{task.operator}` -> `AthenaOperator` {done} ({counts}){extra}.",
                           "Check the review findings of this task." if severity is Severity.WARNING else "",
                           task.file, task.line))  # fmt: skip


_HINTS = {
    Outcome.REFUSED: "Rewrite this construct by hand (docs/migrate.md, Oracle section), then run again.",
    Outcome.REVIEW: "Converted; check that this construct means what the job needs on Athena.",
}


def _source_file(task: FoundTask, statement: StatementResult) -> str:
    for source in task.sources:
        if (
            source.text is not None
            and source.text.strip()
            and statement.oracle.strip() in source.text
        ):
            return source.file
    return task.file
