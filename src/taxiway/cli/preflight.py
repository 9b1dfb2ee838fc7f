"""`taxiway preflight --env ENV`: check an AWS environment (and the project) before MWAA runs it.

Never interactive: everything comes from ``taxiway.yaml``, the naming rule and the standard
AWS credential chain (``AWS_ENDPOINT_URL`` respected). Exit 0 (no error finding), 1 (error
findings), 2 (could not run). boto3 and the checks are imported inside the command.
"""

from __future__ import annotations

from pathlib import Path

import typer

from taxiway.cli.render import OutputFormat


def preflight(
    env: str = typer.Option(..., "--env", "-e", help="An AWS environment of taxiway.yaml."),
    project: Path = typer.Option(
        Path("."),
        "--project",
        "-p",
        help="Folder mirroring the MWAA bucket (requirements.txt, dags/, plugins, startup.sh) "
        "for the doctor's checks.",
    ),
    no_doctor: bool = typer.Option(False, "--no-doctor", help="Skip the doctor's checks."),
    connectivity: bool = typer.Option(
        False,
        "--connectivity",
        help="Also run AWS's AWSSupport-TroubleshootMWAAEnvironmentCreation runbook (SSM "
        "Automation: billed, needs the MWAA environment) and wait for it.",
    ),
    config: Path | None = typer.Option(None, "--config", help="Settings file (taxiway.yaml)."),
    fmt: OutputFormat = typer.Option(
        OutputFormat.text,
        "--format",
        help="text (table), json, markdown (a key-findings report), junit (CI).",
    ),
) -> None:
    """Check an environment's network, S3, IAM, KMS, EMR, Athena, Glue and MWAA, plus the doctor."""
    from taxiway import config as cfg
    from taxiway.cli.render import info, print_findings, raw
    from taxiway.preflight.report import markdown
    from taxiway.preflight.run import preflight as run_preflight

    settings = cfg.load(config)
    report = run_preflight(settings, env, None if no_doctor else project, connectivity=connectivity)
    title = f"preflight {env} ({report.names.region}, account {report.names.account_id})"
    if fmt is OutputFormat.markdown:
        raw(markdown(report, title))
        from taxiway.findings import exit_code

        raise typer.Exit(exit_code(report.findings))
    if fmt is OutputFormat.text:
        info(f"IAM evaluated by: {report.iam_method}; doctor: {report.doctor}")
    raise typer.Exit(print_findings(report.findings, fmt, title, report.extra))


def register(app: typer.Typer) -> None:
    """Add ``preflight`` to the root app."""
    app.command("preflight")(preflight)
