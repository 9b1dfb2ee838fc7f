"""`taxiway migrate`: codemods that move DAGs onto MWAA (``migrate livy``, ``migrate oracle``).

libcst and sqlglot are imported inside the commands, so ``taxiway --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from taxiway.cli import render
from taxiway.cli.options import QUIET
from taxiway.cli.render import OutputFormat

app = typer.Typer(
    help="Rewrite DAG code for MWAA: Livy Spark submissions -> EMR steps, Oracle SQL -> Athena.",
    no_args_is_help=True,
)


@app.callback()
def _migrate() -> None:
    """Rewrite DAG code for MWAA."""


@app.command("livy")
def livy(
    paths: list[Path] = typer.Argument(
        ..., metavar="PATH", help="DAG files or folders (searched for *.py)."
    ),
    cluster_name: str | None = typer.Option(
        None, "--cluster-name", help="EMR cluster name the steps go to (`job_flow_name`)."
    ),
    cluster_id: str | None = typer.Option(
        None, "--cluster-id", help="EMR cluster id the steps go to (`job_flow_id`), j-..."
    ),
    write: bool = typer.Option(False, "--write", help="Change the files in place (default: diff)."),
    deferrable: bool = typer.Option(
        False, "--deferrable", help="Wait for the steps in the triggerer (`deferrable=True`)."
    ),
    max_wait_minutes: int = typer.Option(
        24 * 60,
        "--max-wait-minutes",
        min=1,
        help="Longest a step may run before the task fails (sets `waiter_max_attempts`).",
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    quiet: bool = QUIET,
) -> None:
    """Rewrite `LivyOperator` tasks into `EmrAddStepsOperator` spark-submit steps.

    Prints a unified diff unless --write is given; reports every argument that could not be
    carried over. Exit 0: done; 1: some Livy use needs a hand rewrite; 2: could not run.
    """
    from taxiway.migrate import EmrTarget, migrate_paths

    target = EmrTarget(
        cluster_name=cluster_name,
        cluster_id=cluster_id,
        deferrable=deferrable,
        max_wait_minutes=max_wait_minutes,
    )
    report = migrate_paths(paths, target, write=write)
    title = "taxiway migrate livy"
    if fmt is OutputFormat.text:
        if not write and report.changed:
            # Raw output, no markup or wrapping: the diff must stay applicable with `git apply`.
            render.raw(report.diff())
        rows = [(t.file, t.line, t.task_id, ", ".join(t.dropped) or "-") for t in report.tasks]
        if rows:
            render.show(
                render.table(
                    f"{len(report.tasks)} Livy task(s) in {len(report.changed)} file(s) "
                    + ("rewritten" if write else "to rewrite (pass --write to apply)"),
                    ("file", "line", "task", "dropped arguments"),
                    rows,
                )
            )
        else:
            render.info(f"No LivyOperator call to rewrite in {len(report.results)} file(s).")
    code = render.print_findings(report.findings, fmt, title, extra=report.to_dict())
    raise typer.Exit(code)


@app.command("oracle")
def oracle(
    project: Path = typer.Argument(
        ..., metavar="PROJECT", help="Airflow project folder (its dags/ is scanned) or a DAG file."
    ),
    connections: list[Path] = typer.Option(
        [],
        "--connections",
        metavar="FILE",
        help="`airflow connections export` output (json, yaml or env); repeatable. "
        "AIRFLOW_CONN_* variables are read too.",
    ),
    database: str | None = typer.Option(
        None, "--database", help="Athena database of the rewritten tasks (needed with --write)."
    ),
    output_location: str | None = typer.Option(
        None, "--output-location", help="s3:// prefix for query results (`output_location`)."
    ),
    workgroup: str | None = typer.Option(
        None, "--workgroup", help="Athena workgroup (default: the operator's, `primary`)."
    ),
    iceberg: bool = typer.Option(
        False,
        "--iceberg",
        help="Target tables are Iceberg: convert MERGE/UPDATE/DELETE (for review) "
        "instead of refusing them.",
    ),
    write: bool = typer.Option(False, "--write", help="Change the files (default: diff)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    quiet: bool = QUIET,
) -> None:
    """Rewrite Oracle SQL tasks into `AthenaOperator` tasks where the meaning is kept.

    Finds OracleOperator tasks, SQL operators on connections of type oracle and OracleHook
    use; converts each statement (sqlglot plus taxiway's rules) or refuses it naming the
    construct and line. Prints a diff unless --write is given. Exit 0: nothing refused;
    1: refusals or errors; 2: could not run.
    """
    import os

    from taxiway.extras import require

    require("sqlglot")
    from taxiway.migrate.oracle.rewrite import AthenaTarget
    from taxiway.migrate.oracle.runner import load_connections, migrate_project

    types = load_connections(connections, os.environ)
    target = AthenaTarget(database, output_location, workgroup)
    report = migrate_project(project, types, target, write=write, iceberg=iceberg)
    title = "taxiway migrate oracle"
    counts = report.counts()
    if fmt is OutputFormat.text:
        if not write and report.changes:
            render.raw(report.diff())
        rows = [
            (
                t.task.task_id,
                t.task.operator,
                t.outcome.value + (" (rewritten)" if t.rewritten and write else ""),
                len(t.task.statements),
                f"{t.task.file}:{t.task.line}",
            )
            for t in report.tasks
        ]
        if rows:
            render.show(
                render.table(
                    f"{counts['tasks']['found']} Oracle task(s) in {report.files_scanned} file(s)",
                    ("task", "operator", "outcome", "statements", "where"),
                    rows,
                )
            )
        s, k = counts["statements"], counts["tasks"]
        render.info(
            f"tasks: {k['found']} found, {k['converted']} converted, {k['review']} review, "
            f"{k['refused']} refused, {k['rewritten']} "
            + ("rewritten" if write else "to rewrite (pass --write to apply)")
            + f"; statements: {s['found']} found, {s['converted']} converted, "
            f"{s['review']} review, {s['refused']} refused; OracleHook uses: "
            f"{counts['hooks']['found']}"
        )
    code = render.print_findings(report.findings, fmt, title, extra=report.to_dict())
    raise typer.Exit(code)
