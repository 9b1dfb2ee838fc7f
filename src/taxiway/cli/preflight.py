"""`taxiway preflight`: check an MWAA environment in AWS (and the project) in one report.

Two sources, one command:

* ``--environment NAME [PROJECT]``: an existing MWAA environment, read from GetEnvironment
  (the toolkit; no settings file). The project's ``taxiway.toml`` (or ``[tool.taxiway]``)
  gives defaults for ``--environment``, ``--region``, ``--profile`` and ``--mwaa``.
* ``--env ENV``: an environment of ``taxiway.yaml`` before it exists (the reference
  platform's names, :mod:`taxiway.platform.preflight`).

Never interactive. Exit 0 (no error finding), 1 (error findings), 2 (could not run). boto3
and the checks are imported inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from taxiway.cli.options import QUIET
from taxiway.cli.render import OutputFormat
from taxiway.errors import UsageError

if TYPE_CHECKING:
    from taxiway.preflight.run import Report


def _project(positional: Path | None, option: Path | None) -> Path:
    if positional is not None and option is not None and positional != option:
        raise UsageError(
            f"Two projects: `{positional}` and --project `{option}`; pass one (PROJECT)."
        )
    return positional or option or Path(".")


def _planned(
    env: str,
    project: Path | None,
    config: Path | None,
    region: str | None,
    profile: str | None,
    mwaa: str | None,
    connectivity: bool,
) -> tuple[Report, str]:
    from taxiway import config as cfg
    from taxiway.platform.preflight import preflight as run_planned

    if region:
        raise UsageError(
            f"`--region` does not go with `--env {env}`: the region comes from taxiway.yaml."
        )
    report = run_planned(
        cfg.load(config),
        env,
        project,
        profile=profile,
        mwaa_version=mwaa,
        connectivity=connectivity,
    )
    return report, f"preflight {env} ({report.region}, account {report.account_id})"


def _existing(
    environment: str | None,
    project: Path,
    doctor: bool,
    region: str | None,
    profile: str | None,
    mwaa: str | None,
    connectivity: bool,
) -> tuple[Report, str]:
    from taxiway import projectfile
    from taxiway.awsclient import client_factory
    from taxiway.preflight.run import preflight_environment

    conf = projectfile.load(project)
    name = environment or conf.environment
    if not name:
        raise UsageError(
            "Which environment? Pass --environment NAME (an existing MWAA environment) or "
            "--env ENV (taxiway.yaml), or set `environment` in the project's taxiway.toml."
        )
    region, profile = region or conf.region, profile or conf.profile
    report = preflight_environment(
        name,
        project if doctor else None,
        client_factory(region, profile=profile),
        probe=client_factory(region, profile=profile, attempts=1),
        mwaa_version=mwaa,
        config=conf,
        connectivity=connectivity,
    )
    return report, f"preflight environment {name} ({report.region}, account {report.account_id})"


def preflight(
    project_arg: Path | None = typer.Argument(
        None,
        metavar="PROJECT",
        help="The Airflow project for the doctor's checks (requirements.txt, dags/, plugins, "
        "startup script; both layouts); default: the current folder.",
    ),
    environment: str | None = typer.Option(
        None,
        "--environment",
        "-E",
        help="An existing MWAA environment's name (default: `environment` in taxiway.toml).",
    ),
    env: str | None = typer.Option(
        None, "--env", "-e", help="An AWS environment of taxiway.yaml, checked before it exists."
    ),
    project_opt: Path | None = typer.Option(None, "--project", "-p", help="Same as PROJECT."),
    region: str | None = typer.Option(None, "--region", help="AWS region (as the AWS CLI)."),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile (as the AWS CLI)."),
    mwaa: str | None = typer.Option(
        None,
        "--mwaa",
        help="MWAA version for the doctor (default: the environment's Airflow version).",
    ),
    no_doctor: bool = typer.Option(False, "--no-doctor", help="Skip the doctor's checks."),
    connectivity: bool = typer.Option(
        False,
        "--connectivity",
        help="Also run AWS's AWSSupport-TroubleshootMWAAEnvironmentCreation runbook (SSM "
        "Automation: billed, needs the MWAA environment) and wait for it.",
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Settings file (taxiway.yaml), with --env."
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.text,
        "--format",
        help="text (table), json, markdown (a key-findings report), junit (CI), github "
        "(workflow annotations).",
    ),
    quiet: bool = QUIET,
) -> None:
    """Check an MWAA environment's network, S3, IAM, KMS, logging and configuration, plus the doctor."""
    from taxiway.extras import need

    need("aws")
    from taxiway.cli.render import info, print_findings, raw
    from taxiway.findings import exit_code
    from taxiway.preflight.report import markdown

    project = _project(project_arg, project_opt)
    if not no_doctor and not project.is_dir():
        # Before any AWS call: a typo in PROJECT should not cost a whole read of the account.
        raise UsageError(
            f"Project folder `{project}` does not exist; pass the Airflow project, or --no-doctor."
        )
    if env and environment:
        raise UsageError(
            "Pass --env (a taxiway.yaml environment, before it exists) or --environment (an "
            "existing MWAA environment), not both."
        )
    if env:
        report, title = _planned(
            env, None if no_doctor else project, config, region, profile, mwaa, connectivity
        )
    else:
        if config is not None:
            raise UsageError("`--config` names taxiway.yaml and goes with `--env`.")
        report, title = _existing(
            environment, project, not no_doctor, region, profile, mwaa, connectivity
        )
    if fmt is OutputFormat.markdown:
        raw(markdown(report, title))
        raise typer.Exit(exit_code(report.findings))
    if fmt is OutputFormat.text:
        info(f"IAM evaluated by: {report.iam_method}; doctor: {report.doctor}")
    raise typer.Exit(print_findings(report.findings, fmt, title, report.extra))


def register(app: typer.Typer) -> None:
    """Add ``preflight`` to the root app."""
    app.command("preflight")(preflight)
