"""`taxiway convert serverless PROJECT`: DAGs -> MWAA Serverless workflow definitions.

Writes one dag-factory YAML per DAG that converts, the code package (``code.zip``) and
``convert-report.json`` (every change: dropped, rewritten, kept; every refusal with why),
after loading the YAML back with dag-factory in the local runner's Airflow and comparing
each workflow's tasks and dependencies with its Python DAG. Exit codes: 0 every DAG
converted and loads the same; 1 a DAG was refused, did not import, or loads differently;
2 could not run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from taxiway.cli.options import QUIET
from taxiway.cli.render import OutputFormat
from taxiway.errors import UsageError

if TYPE_CHECKING:
    from taxiway.findings import Finding

app = typer.Typer(help="Convert an Airflow project for another target.", no_args_is_help=True)


@app.callback()
def _convert() -> None:
    """Convert an Airflow project for another target."""


@app.command("serverless")
def serverless(
    project: Path = typer.Argument(Path("."), help="The Airflow project (its dags/ folder)."),
    output: Path = typer.Option(
        Path("serverless-workflows"), "--output", "-o", help="Folder for the YAML and code.zip."
    ),
    dags: Path | None = typer.Option(None, "--dags", help="The dags folder, when not `dags/`."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    quiet: bool = QUIET,
) -> None:
    """Convert every DAG to an MWAA Serverless workflow YAML, saying what changes."""
    from taxiway.cli import render
    from taxiway.serverless.project import convert_project

    if not project.is_dir():
        raise UsageError(f"Project folder `{project}` does not exist; pass an Airflow project.")
    progress = render.info if fmt is OutputFormat.text else (lambda _: None)
    report = convert_project(project.resolve(), output.resolve(), progress=progress, dags=dags)
    if fmt is OutputFormat.text:
        rows = []
        for r in report.results:
            v = report.validation.get(r.dag_id)
            valid = v is not None and v.loaded and v.same_graph
            state = "refused" if not r.ok else ("loads the same" if valid else "INVALID")
            rows.append((r.dag_id, r.file, state, len(r.changes)))
        if rows:
            render.show(
                render.table("convert serverless", ["dag", "file", "result", "changes"], rows)
            )
        render.info(
            f"{len(report.converted)} of {len(report.results)} DAG(s) converted to "
            f"{report.output} ({', '.join(report.files) or 'nothing written'}); "
            "every change is in convert-report.json"
        )
    title = f"taxiway convert serverless {project}"
    raise typer.Exit(render.print_findings(report.findings(), fmt, title, extra=report.to_dict()))


def deploy_serverless(
    project: Path,
    *,
    bucket: str | None,
    role_arn: str | None,
    prefix: str,
    run: bool,
    region: str | None,
    profile: str | None,
    fmt: str,
) -> int:
    """``taxiway deploy PROJECT --serverless``: the exit code (0 deployed and any run
    succeeded; 1 a DAG refused or a run failed). PROJECT may be a ``convert serverless``
    output folder: what was reviewed is deployed (edited definitions are checked again)."""
    from taxiway.awsclient import client_factory
    from taxiway.cli.render import fail, info, print_table, table
    from taxiway.serverless.deploy import deploy
    from taxiway.serverless.project import REPORT

    if not bucket or not role_arn:
        raise UsageError("`--serverless` needs `--bucket NAME` and `--role-arn ARN`.")
    say = info if fmt == "text" else (lambda _: None)
    converted = project if (project / REPORT).is_file() else None
    done = deploy(
        client_factory(region, profile=profile),
        None if converted else project,
        converted=converted,
        bucket=bucket,
        role_arn=role_arn,
        prefix=prefix,
        run=run,
        progress=say,
    )
    refused = done.not_deployed
    if fmt == "json":
        sys.stdout.write(json.dumps(done.to_dict(), indent=2, default=str) + "\n")
    elif fmt != "text":
        from taxiway.cli.render import print_findings

        title = f"deploy --serverless {bucket}"
        print_findings(_deploy_findings(done), OutputFormat(fmt), title)
    else:
        rows = [
            (w.name, w.action, w.version, (w.run or {}).get("RunState", "")) for w in done.workflows
        ]
        print_table(
            table(
                f"MWAA Serverless <- s3://{bucket}/{prefix}",
                ["workflow", "action", "version", "run"],
                rows,
            )
        )
        for w in done.workflows:
            for warning in w.warnings:
                info(f"{w.name}: {warning}")
            for t in w.tasks:
                if t.get("ErrorMessage"):
                    fail(f"{w.name}: task {t['TaskInstanceId']} failed: {t['ErrorMessage']}")
        for d in refused:
            why = d["refused"] or [(d.get("validation") or {}).get("error") or "loads differently"]
            fail(f"{d['dag_id']} not deployed: {'; '.join(str(x) for x in why)}")
        info(f"{len(done.uploaded)} object(s) uploaded, {len(done.workflows)} workflow(s)")
    return 1 if refused or done.report["import_errors"] or done.failed_runs else 0


def _deploy_findings(done: object) -> list[Finding]:
    """A serverless deploy as findings: a DAG not deployed or a failed task is an error."""
    from taxiway.findings import Finding, Severity
    from taxiway.serverless.deploy import ServerlessDeploy

    assert isinstance(done, ServerlessDeploy)
    out: list[Finding] = []
    for d in done.not_deployed:
        why = d["refused"] or [(d.get("validation") or {}).get("error") or "loads differently"]
        out.append(
            Finding(
                "serverless-not-deployed",
                Severity.ERROR,
                d["dag_id"],
                f"`{d['dag_id']}` was not deployed: {'; '.join(str(x) for x in why)}",
                "`taxiway convert serverless` reports every refusal.",
                d.get("file"),
            )
        )
    for w in done.workflows:
        for t in w.tasks:
            if t.get("Status") == "FAILED":
                out.append(
                    Finding(
                        "serverless-task-failed",
                        Severity.ERROR,
                        f"{w.name}:{t['TaskInstanceId']}",
                        f"Task `{t['TaskInstanceId']}` of `{w.name}` failed: "
                        f"{t.get('ErrorMessage')}",
                        "GetTaskInstance has the attempt and the error.",
                    )
                )
    return out
