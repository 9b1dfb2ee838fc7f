"""`taxiway migrate`: codemods that move DAGs onto MWAA (``migrate livy``).

libcst is imported inside the command, so ``taxiway --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from taxiway.cli import render
from taxiway.cli.render import OutputFormat

app = typer.Typer(
    help="Rewrite DAG code for MWAA: Livy Spark submissions -> EMR steps.",
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
