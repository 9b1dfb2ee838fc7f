"""``taxiway preflight --env ENV``: the reference platform's planned environment, checked by the toolkit.

The platform knows what its environment *will* be called: ``taxiway.yaml`` gives the
project, region and MWAA version, :mod:`taxiway.naming` every resource name (the account id
comes from STS). It turns that into the toolkit's plain target description
(:class:`~taxiway.preflight.snapshot.Names`) and hands it to
:func:`taxiway.preflight.run.preflight_planned`; the toolkit never reads ``taxiway.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from taxiway import naming
from taxiway.awsclient import ClientFactory
from taxiway.config import Settings
from taxiway.errors import UsageError
from taxiway.preflight.run import Report, preflight_planned
from taxiway.preflight.snapshot import Names


def _aws_region(settings: Settings, env: str) -> str:
    environment = settings.env(env)
    if environment.target != "aws" or not environment.region:
        raise UsageError(
            f"Environment `{env}` is not an AWS environment; choose one with `target: aws` "
            f"in {settings.source}."
        )
    return environment.region


def environment_names(settings: Settings, env: str, account_id: str, partition: str) -> Names:
    """Every resource name of ``env``, from :mod:`taxiway.naming`."""
    region = _aws_region(settings, env)
    p = settings.project
    return Names(
        project=p,
        env=env,
        region=region,
        account_id=account_id,
        partition=partition,
        buckets={
            role: naming.bucket(p, env, role, account_id) for role in (*naming.BUCKET_ROLES, "logs")
        },
        vpc=naming.vpc_name(p, env),
        security_group=naming.mwaa_security_group(p, env),
        execution_role=naming.mwaa_execution_role(p, env),
        kms_alias=naming.kms_alias(p, env),
        emr_cluster=naming.emr_cluster(p, env),
        emr_service_role=naming.emr_service_role(p, env),
        emr_instance_profile=naming.emr_instance_profile(p, env),
        athena_workgroup=naming.athena_workgroup(p, env),
        glue_database=naming.glue_database(p, env),
        mwaa_environment=naming.mwaa_environment(p, env),
        mwaa_version=settings.env(env).mwaa_version,
    )


def preflight(
    settings: Settings,
    env: str,
    project: Path | None,
    clients: ClientFactory | None = None,
    *,
    profile: str | None = None,
    mwaa_version: str | None = None,
    connectivity: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> Report:
    """Check ``taxiway.yaml``'s environment ``env`` before (and after) MWAA runs it."""
    from taxiway.awsclient import client_factory
    from taxiway.preflight.collect import whoami

    region = _aws_region(settings, env)
    make = clients or client_factory(region, profile=profile)
    account_id, partition = whoami(make)
    return preflight_planned(
        environment_names(settings, env, account_id, partition),
        project,
        make,
        probe=client_factory(region, profile=profile, attempts=1),
        mwaa_version=mwaa_version,
        connectivity=connectivity,
        sleep=sleep,
    )
