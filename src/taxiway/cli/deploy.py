"""`taxiway deploy`: an Airflow project onto an MWAA environment; `taxiway bundle`.

Two users of one deploy (:mod:`taxiway.deploy`):

* ``taxiway deploy [PROJECT] --environment NAME``: any Airflow project (MWAA's layout or
  aws-mwaa-local-runner's), onto the environment found by name; defaults from the project's
  ``taxiway.toml`` / ``[tool.taxiway]``.
* ``taxiway deploy --env ENV``: taxiway's own pipeline (an environment of ``taxiway.yaml``):
  bundled first, then the same deploy, plus the EMR artifacts.

Exit codes: 0 done or nothing to do; 1 the doctor found errors (nothing uploaded), a bucket
is missing, or MWAA's update failed (it rolled back; the DAGs were left as they were);
2 could not run (bad usage, no credentials, no such environment, access denied).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from taxiway.cli.options import QUIET
from taxiway.errors import UsageError

if TYPE_CHECKING:
    from taxiway.deploy.run import Outcome, Prepared
    from taxiway.findings import Finding
    from taxiway.platform.deploy import PlatformPlan

_ENV_HELP = "An environment of taxiway.yaml (sandbox, test, production): taxiway's own pipeline."
_NAME_HELP = "The MWAA environment's name (default: `environment` in taxiway.toml)."


class _Status:
    """The wait's progress line: printed when the status changes, else every 30 s."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.last: tuple[str, float] | None = None

    def __call__(self, status: str, elapsed: float) -> None:
        from taxiway.cli.render import info

        if self.last and self.last[0] == status and elapsed - self.last[1] < 30:
            return
        self.last = (status, elapsed)
        minutes, seconds = divmod(int(elapsed), 60)
        info(f"`{self.name}`: {status}, {minutes}m{seconds:02d}s elapsed")


def _say(text: str) -> None:
    from taxiway.cli.render import info

    info(text)


def _print_plan(prepared: Prepared, title: str) -> None:
    from taxiway.cli.render import info, print_table, table

    rows = [
        (o.action, o.key, o.local.name if o.local else "", o.reason)
        for o in prepared.plan.objects
        if o.action != "unchanged"
    ]
    if rows:
        # keys, not URIs: the bucket is in the title, and a long URI would be cut short
        print_table(table(title, ["action", "key", "from", "reason"], rows))
    for part, why in prepared.plan.update.items():
        info(f"environment update: {part}: {why}")
    info(prepared.plan.summary())


def _print_doctor(prepared: Prepared) -> None:
    from taxiway.cli.render import fail, info, print_finding

    if prepared.findings is None:
        info("doctor: skipped (--no-doctor)")
        return
    for f in prepared.doctor_errors:
        print_finding(f)
    warnings = sum(f.severity.value == "warning" for f in prepared.findings)
    errors = len(prepared.doctor_errors)
    line = f"doctor: {errors} error(s), {warnings} warning(s) for MWAA {prepared.mwaa_version}"
    if errors:
        fail(f"{line}; nothing was uploaded (fix them, or pass --no-doctor)")
    else:
        info(line + (" (`taxiway doctor project` lists them)" if warnings else ""))


def _print_outcome(prepared: Prepared, outcome: Outcome) -> None:
    from taxiway.cli.render import fail, info

    name = prepared.name or "environment"
    if outcome.failed:
        fail(
            f"MWAA's update of `{name}` failed and was rolled back: {outcome.failed}. The "
            "environment keeps its previous requirements, plugins and startup script; the DAGs "
            f"were not uploaded ({len(outcome.deferred)} change(s) left). Fix the project and "
            "deploy again."
        )
        return
    if outcome.update and outcome.environment is None:
        info(
            f"`{name}` is updating (--no-wait); {len(outcome.deferred)} DAG change(s) wait for "
            "it: deploy again once it is AVAILABLE (or now: the deploy waits for it), and "
            "they follow."
        )
    elif outcome.environment is not None:
        info(f"`{name}` is {outcome.environment.status} with the new versions")
    if prepared.plan.nothing_to_do:
        info("nothing to do: the environment already runs this project")
    else:
        info(f"done: {len(outcome.uploaded)} uploaded, {len(outcome.deleted)} deleted")


_FORMATS = ("text", "json", "markdown", "junit", "github")


def _check_format(fmt: str) -> None:
    if fmt not in _FORMATS:
        raise UsageError(f"Unknown format `{fmt}` for `deploy`; use {', '.join(_FORMATS)}.")


def _as_findings(prepared: Prepared, outcome: Outcome | None) -> list[Finding]:
    """markdown/junit/github: the doctor's findings, then the deploy's result as one."""
    from taxiway.findings import Finding, Severity

    found = list(prepared.findings or [])
    name = prepared.name or "environment"
    if prepared.blocked:
        found.append(
            Finding(
                "deploy-blocked",
                Severity.ERROR,
                name,
                f"The doctor found errors for `{name}`: nothing was uploaded.",
                "Fix the errors above, or pass --no-doctor.",
            )
        )
    elif outcome is not None and outcome.failed:
        found.append(
            Finding(
                "deploy-failed",
                Severity.ERROR,
                name,
                f"MWAA's update of `{name}` failed and was rolled back: {outcome.failed}",
                "Fix the project and deploy again; the DAGs were not uploaded.",
            )
        )
    else:
        changes = len(prepared.plan.objects) - sum(
            o.action == "unchanged" for o in prepared.plan.objects
        )
        found.append(
            Finding(
                "deploy-planned" if outcome is None else "deployed",
                Severity.INFO,
                name,
                f"{changes} change(s) to `{name}`"
                + (" planned (dry run)." if outcome is None else " applied."),
            )
        )
    return found


def _deploy_project(
    project: Path,
    environment: str | None,
    *,
    region: str | None,
    profile: str | None,
    mwaa: str | None,
    paths: dict[str, Path | None],
    no_doctor: bool,
    dry_run: bool,
    no_wait: bool,
    fmt: str,
) -> int:
    from taxiway import projectfile
    from taxiway.awsclient import client_factory
    from taxiway.deploy.aws import Aws
    from taxiway.deploy.run import open_environment, prepare
    from taxiway.runner.project import find_layout

    config = projectfile.load(project)
    name = environment or config.environment
    if not name:
        raise UsageError(
            'No MWAA environment: pass `--environment NAME`, or set `environment = "NAME"` in '
            f"`{project / projectfile.FILE}` (taxiway's own pipeline: `--env sandbox`)."
        )
    layout = find_layout(
        project,
        paths["requirements"] or config.requirements,
        paths["dags"] or config.dags,
        paths["plugins"] or config.plugins,
        paths["startup"] or config.startup,
    )
    aws = Aws(client_factory(region or config.region, profile=profile or config.profile))
    env = open_environment(
        aws, name, settle=not dry_run, on_status=_Status(name), say=_say, no_wait=no_wait
    )
    assert env is not None  # a missing one is an error naming those that exist
    version = projectfile.mwaa_version(mwaa, config, env.airflow_version, name)
    notes: list[str] = []
    if not mwaa and config.mwaa and env.airflow_version and config.mwaa != env.airflow_version:
        notes.append(
            f"`{config.source}` says mwaa = {config.mwaa}, but `{name}` runs Airflow "
            f"{env.airflow_version}: the doctor checks {env.airflow_version}."
        )
    if env.last_update.failed:
        notes.append(f"`{name}`'s last update failed: {env.last_update.error()}")
    prepared = prepare(
        aws,
        layout,
        name=name,
        environment=env,
        target=env.target,
        mwaa_version=version,
        run_doctor=not no_doctor,
        notes=tuple(notes),
    )
    return _run(aws, prepared, fmt=fmt, dry_run=dry_run, no_wait=no_wait, title=name)


def _run(
    aws: Any,
    prepared: Prepared,
    *,
    fmt: str,
    dry_run: bool,
    no_wait: bool,
    title: str,
    before_apply: Callable[[], None] | None = None,
    wrap: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> int:
    """Print the doctor and the plan; apply unless blocked or a dry run; the exit code."""
    from taxiway.cli.render import info
    from taxiway.deploy.report import report as deploy_report
    from taxiway.deploy.run import apply

    if fmt == "text":
        for note in prepared.notes:
            info(note)
        _print_doctor(prepared)
        where = prepared.target.uri("")
        _print_plan(prepared, f"{title} -> {where}" + (" (dry run)" if dry_run else ""))
    outcome = None
    if not (prepared.blocked or dry_run):
        if before_apply is not None:
            before_apply()
        outcome = apply(aws, prepared, wait=not no_wait, say=_say, on_status=_Status(title))
    if fmt == "json":
        report = deploy_report(prepared, outcome, dry_run)
        sys.stdout.write(json.dumps(wrap(report) if wrap else report, indent=2, default=str))
        sys.stdout.write("\n")
    elif fmt != "text":
        from taxiway.cli.render import OutputFormat, print_findings

        print_findings(
            _as_findings(prepared, outcome), OutputFormat(fmt), f"taxiway deploy {title}"
        )
    elif outcome is not None:
        _print_outcome(prepared, outcome)
    return 1 if prepared.blocked or (outcome is not None and outcome.failed) else 0


def _deploy_platform(
    env: str,
    *,
    config: Path | None,
    account_id: str | None,
    region: str | None,
    profile: str | None,
    mwaa: str | None,
    no_doctor: bool,
    dry_run: bool,
    no_wait: bool,
    fmt: str,
) -> int:
    from taxiway import config as cfg
    from taxiway.awsclient import client_factory
    from taxiway.cli.render import fail
    from taxiway.deploy.aws import Aws
    from taxiway.platform import deploy as platform

    settings = cfg.load(config)
    aws = Aws(client_factory(region or settings.env(env).region, profile=profile))
    account = account_id or aws.account_id()
    with tempfile.TemporaryDirectory(prefix="taxiway-bundle-") as tmp:
        the_plan = platform.plan(
            aws,
            settings,
            env,
            account,
            Path(tmp) / "bundle",
            mwaa_version=mwaa,
            run_doctor=not no_doctor,
            settle=not dry_run,
            no_wait=no_wait,
            on_status=_Status(f"{settings.project}-{env}"),
            say=_say,
        )
        uploaded: list[str] = []

        def wrap(mwaa_report: dict[str, Any] | None) -> dict[str, Any]:
            return platform.report(the_plan, mwaa_report, uploaded, dry_run)

        if the_plan.mwaa is None:
            missing = ", ".join(f"`{b}`" for b in the_plan.missing_buckets)
            if fmt == "json":
                sys.stdout.write(json.dumps(wrap(None), indent=2, default=str) + "\n")
            fail(
                f"missing bucket(s) {missing}; create them with Terraform "
                f"(infra/terraform/envs/{env}) first: nothing was uploaded"
            )
            return 1
        if fmt == "text":
            _print_artifacts(the_plan)
        return _run(
            aws,
            the_plan.mwaa,
            fmt=fmt,
            dry_run=dry_run,
            no_wait=no_wait,
            title=the_plan.mwaa.name or env,
            before_apply=lambda: uploaded.extend(platform.upload_artifacts(aws, the_plan)),
            wrap=wrap,
        )


def _print_artifacts(the_plan: PlatformPlan) -> None:
    from taxiway.cli.render import info, print_table, table

    rows = [(o.action, o.key, o.reason) for o in the_plan.artifacts if o.action != "unchanged"]
    if rows:
        title = f"EMR artifacts -> s3://{the_plan.artifacts_bucket}/"
        print_table(table(title, ["action", "key", "reason"], rows))
    info(f"EMR artifacts: {len(rows)} change(s), {len(the_plan.artifacts) - len(rows)} unchanged")


def deploy(
    project: Path | None = typer.Argument(
        None,
        help="The Airflow project: MWAA's layout (requirements.txt, dags/, plugins/, "
        "startup.sh) or aws-mwaa-local-runner's. Default: the current folder.",
        show_default=False,
    ),
    environment: str | None = typer.Option(None, "--environment", "-E", help=_NAME_HELP),
    env: str | None = typer.Option(None, "--env", "-e", help=_ENV_HELP),
    region: str | None = typer.Option(None, "--region", help="AWS region (default: the chain's)."),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile (~/.aws/config)."),
    mwaa: str | None = typer.Option(
        None, "--mwaa", help="Check against this MWAA version (default: the environment's)."
    ),
    no_doctor: bool = typer.Option(False, "--no-doctor", help="Skip the doctor's gate."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    no_wait: bool = typer.Option(
        False,
        "--no-wait",
        help="Return once MWAA accepted an update; the DAG changes follow on the next deploy.",
    ),
    fmt: str = typer.Option(
        "text",
        "--format",
        help="text, json, markdown, junit or github (the doctor and the result).",
    ),
    quiet: bool = QUIET,
    requirements: Path | None = typer.Option(
        None, "--requirements", "-r", help="requirements.txt."
    ),
    dags: Path | None = typer.Option(None, "--dags", help="The DAG folder."),
    plugins: Path | None = typer.Option(None, "--plugins", help="plugins/ folder or plugins.zip."),
    startup: Path | None = typer.Option(None, "--startup", help="The startup script."),
    account_id: str | None = typer.Option(
        None, "--account-id", help="With --env: the AWS account id (default: ask STS)."
    ),
    config: Path | None = typer.Option(None, "--config", help="With --env: taxiway.yaml to use."),
    serverless: bool = typer.Option(
        False, "--serverless", help="To MWAA Serverless: convert, upload, Create/UpdateWorkflow."
    ),
    run: bool = typer.Option(False, "--run", help="With --serverless: run each workflow once."),
    bucket: str | None = typer.Option(None, "--bucket", help="With --serverless: the S3 bucket."),
    role_arn: str | None = typer.Option(
        None, "--role-arn", help="With --serverless: the workflows' execution role."
    ),
    prefix: str = typer.Option("workflows", "--prefix", help="With --serverless: the S3 prefix."),
) -> None:
    """Deploy an Airflow project to an MWAA environment: doctor-gated, only what changed."""
    from taxiway.extras import need

    need("aws")
    _check_format(fmt)
    if serverless:
        from taxiway.cli.convert import deploy_serverless

        code = deploy_serverless(
            (project or Path(".")).resolve(),
            bucket=bucket,
            role_arn=role_arn,
            prefix=prefix,
            run=run,
            region=region,
            profile=profile,
            fmt=fmt,
        )
        raise typer.Exit(code)
    if run:
        raise UsageError("`--run` goes with `--serverless`.")
    if env is not None:
        given = [
            flag
            for flag, value in (
                ("PROJECT", project),
                ("--environment", environment),
                ("--requirements", requirements),
                ("--dags", dags),
                ("--plugins", plugins),
                ("--startup", startup),
            )
            if value is not None
        ]
        if given:
            raise UsageError(
                f"`--env {env}` deploys taxiway's own pipeline (from taxiway.yaml), so "
                f"{', '.join(f'`{g}`' for g in given)} cannot be used with it; to deploy an "
                "Airflow project, pass PROJECT and `--environment NAME` without `--env`."
            )
        code = _deploy_platform(
            env,
            config=config,
            account_id=account_id,
            region=region,
            profile=profile,
            mwaa=mwaa,
            no_doctor=no_doctor,
            dry_run=dry_run,
            no_wait=no_wait,
            fmt=fmt,
        )
        raise typer.Exit(code)
    if account_id is not None or config is not None:
        raise UsageError("`--account-id` and `--config` go with `--env` (taxiway's own pipeline).")
    code = _deploy_project(
        (project or Path(".")).resolve(),
        environment,
        region=region,
        profile=profile,
        mwaa=mwaa,
        paths={"requirements": requirements, "dags": dags, "plugins": plugins, "startup": startup},
        no_doctor=no_doctor,
        dry_run=dry_run,
        no_wait=no_wait,
        fmt=fmt,
    )
    raise typer.Exit(code)


def bundle(
    env: str = typer.Option(..., "--env", "-e", help=_ENV_HELP),
    out: Path = typer.Option(..., "--out", help="Folder to write (replaced if it exists)."),
    account_id: str | None = typer.Option(
        None, "--account-id", help="AWS account id for bucket names (default: ask STS)."
    ),
    config: Path | None = typer.Option(None, "--config", help="taxiway.yaml to use."),
    region: str | None = typer.Option(
        None, "--region", help="AWS region for STS (default: the environment's)."
    ),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile (as the AWS CLI)."),
) -> None:
    """Build taxiway's dags folder, requirements, startup script and EMR job artifacts, offline."""
    from taxiway import config as cfg
    from taxiway.cli.render import info
    from taxiway.platform.bundle import build

    settings = cfg.load(config)
    if account_id is None:  # the one AWS call; with --account-id nothing needs boto3
        from taxiway.extras import need

        need("aws")
        from taxiway.awsclient import client_factory
        from taxiway.deploy.aws import Aws

        aws = Aws(client_factory(region or settings.env(env).region, profile=profile))
        account_id = aws.account_id()
    built = build(settings, env, account_id, out)
    info(f"wrote {len(built.files)} file(s) for `{env}` to {out}")


def register(app: typer.Typer) -> None:
    """Attach `bundle` and `deploy` to the root app."""
    app.command("bundle")(bundle)
    app.command("deploy")(deploy)
