"""`taxiway bundle` and `taxiway deploy`: build what MWAA and EMR receive, gate it, upload it.

Exit codes: 0 done (or nothing to do), 1 the doctor found errors in the bundle or a bucket
is missing (nothing uploaded), 2 could not run (bad usage, no credentials).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import typer

from taxiway.errors import UsageError

_ENV_HELP = "Environment of taxiway.yaml (sandbox, test, production)."


def _settings(config: Path | None) -> Any:
    from taxiway import config as cfg

    return cfg.load(config)


def _account(region: str | None, given: str | None) -> str:
    if given:
        return given
    from taxiway.deploy import upload

    return upload.account_id(upload.client("sts", region))


def bundle(
    env: str = typer.Option(..., "--env", help=_ENV_HELP),
    out: Path = typer.Option(..., "--out", help="Folder to write (replaced if it exists)."),
    account_id: str | None = typer.Option(
        None, "--account-id", help="AWS account id for bucket names (default: ask STS)."
    ),
    config: Path | None = typer.Option(None, "--config", help="taxiway.yaml to use."),
) -> None:
    """Build the dags folder, requirements, startup script and EMR job artifacts, offline."""
    from taxiway.cli.render import info
    from taxiway.deploy.bundle import build

    settings = _settings(config)
    region = settings.env(env).region
    built = build(settings, env, _account(region, account_id), out)
    info(f"wrote {len(built.files)} file(s) for `{env}` to {out}")


def _plan_rows(the_plan: Any) -> list[dict[str, Any]]:
    return [
        {"destination": a.uri, "action": a.action, "changes": a.action != "unchanged"}
        for a in the_plan.actions
    ]


def deploy(
    env: str = typer.Option(..., "--env", help=_ENV_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    update_environment: bool = typer.Option(
        False,
        "--update-environment",
        help="Point the MWAA environment at the new requirements/startup object versions.",
    ),
    account_id: str | None = typer.Option(
        None, "--account-id", help="AWS account id (default: ask STS)."
    ),
    config: Path | None = typer.Option(None, "--config", help="taxiway.yaml to use."),
) -> None:
    """Bundle, run the doctor on it, and upload only what changed to the environment's buckets."""
    from taxiway.cli.render import console, fail, info, table
    from taxiway.deploy import bundle as bmod
    from taxiway.deploy import upload
    from taxiway.findings import Severity

    if fmt not in ("text", "json"):
        raise UsageError(f"Unknown format `{fmt}` for `deploy`; use text or json.")
    settings = _settings(config)
    region = settings.env(env).region
    account = _account(region, account_id)
    with tempfile.TemporaryDirectory(prefix="taxiway-bundle-") as tmp:
        built = bmod.build(settings, env, account, Path(tmp) / "bundle")
        findings = bmod.doctor_findings(built)
        errors = [f for f in findings if f.severity is Severity.ERROR]
        s3 = upload.client("s3", region)
        the_plan = upload.plan(s3, built, settings.project)
        report: dict[str, Any] = {
            "env": env,
            "account_id": account,
            "dry_run": dry_run,
            "doctor_errors": [f"{f.code}: {f.message}" for f in errors],
            "missing_buckets": the_plan.missing_buckets,
            "destinations": _plan_rows(the_plan),
            "applied": False,
            "environment_update": None,
        }
        blocked = bool(errors or the_plan.missing_buckets)
        if not dry_run and not blocked:
            upload.apply(s3, the_plan)
            report["applied"] = True
            if update_environment:
                report["environment_update"] = (
                    upload.update_environment(
                        upload.client("mwaa", region), s3, the_plan, settings.project
                    )
                    or "no MWAA environment"
                )
    if fmt == "json":
        sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
    else:
        rows = [(a.action, a.uri) for a in the_plan.actions if a.action != "unchanged"]
        unchanged = len(the_plan.actions) - len(rows)
        if rows:
            console.print(
                table(
                    f"deploy {env} ({'plan' if dry_run else 'done'})",
                    ["action", "destination"],
                    rows,
                )
            )
        info(f"{len(rows)} change(s), {unchanged} unchanged")
        for e in report["doctor_errors"]:
            fail(f"doctor: {e}")
        if the_plan.missing_buckets:
            fail(
                "missing bucket(s): "
                + ", ".join(f"`{b}`" for b in the_plan.missing_buckets)
                + f"; create them with Terraform (infra/terraform/envs/{env}) first."
            )
        if blocked and not dry_run:
            fail("nothing was uploaded")
        if report["environment_update"] is not None:
            info(f"MWAA environment update: {report['environment_update']}")
    raise typer.Exit(1 if blocked else 0)


def register(app: typer.Typer) -> None:
    """Attach `bundle` and `deploy` to the root app."""
    app.command("bundle")(bundle)
    app.command("deploy")(deploy)
