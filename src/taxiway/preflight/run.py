"""Run preflight for one environment: names, AWS snapshot, checks, doctor, one report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway import naming
from taxiway.config import Settings
from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.preflight.snapshot import Names, Snapshot

# Codes produced by the AWS checks (the doctor's codes come on top); docs/preflight.md
# describes each one.
AWS_CODES = (
    "vpc-not-found",
    "subnets-single-az",
    "subnet-not-private",
    "no-nat-or-endpoints",
    "nacl-blocks-traffic",
    "sg-not-found",
    "sg-no-self-ingress",
    "sg-open-ingress",
    "bucket-missing",
    "bucket-versioning-disabled",
    "bucket-public-access",
    "bucket-no-encryption",
    "bucket-not-kms",
    "bucket-no-tls-policy",
    "kms-key-not-found",
    "kms-policy-missing-service",
    "role-not-found",
    "role-trust-missing",
    "role-missing-permission",
    "role-allows-list-all-buckets",
    "role-condition-not-evaluated",
    "emr-cluster-not-found",
    "athena-workgroup-not-found",
    "athena-workgroup-not-enforced",
    "glue-database-missing",
    "mwaa-environment-absent",
    "mwaa-not-available",
    "mwaa-version-mismatch",
    "mwaa-role-mismatch",
    "mwaa-bucket-mismatch",
    "mwaa-subnet-mismatch",
    "mwaa-sg-mismatch",
    "mwaa-logging-disabled",
    "mwaa-log-groups-missing",
    "preflight-cannot-read",
    "connectivity-skipped",
    "connectivity-checked",
    "connectivity-failed",
    "connectivity-timeout",
)


@dataclass(frozen=True)
class Report:
    """What one preflight run found, and how."""

    names: Names
    findings: list[Finding]
    iam_method: str  # "simulator" | "local"
    doctor: str  # what the doctor checked, or why it did not run
    extra: dict[str, Any] = field(default_factory=dict)


def environment_names(settings: Settings, env: str, account_id: str, partition: str) -> Names:
    """Every resource name of ``env``, from :mod:`taxiway.naming`."""
    environment = settings.env(env)
    if environment.target != "aws" or not environment.region:
        raise UsageError(
            f"Environment `{env}` is not an AWS environment; choose one with `target: aws` "
            f"in {settings.source}."
        )
    p = settings.project
    return Names(
        project=p,
        env=env,
        region=environment.region,
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
        athena_workgroup=naming.athena_workgroup(p, env),
        glue_database=naming.glue_database(p, env),
        mwaa_environment=naming.mwaa_environment(p, env),
        mwaa_version=environment.mwaa_version,
    )


def aws_findings(snapshot: Snapshot) -> list[Finding]:
    """Every AWS check over a snapshot (pure)."""
    from taxiway.preflight.checks_iam import check_key, check_role
    from taxiway.preflight.checks_network import check_network
    from taxiway.preflight.checks_resources import check_analytics, check_bucket, check_mwaa

    out = check_network(snapshot.names, snapshot.network)
    for bucket in snapshot.buckets:
        out += check_bucket(bucket)
    out += check_key(snapshot) + check_role(snapshot) + check_analytics(snapshot)
    out += check_mwaa(snapshot)
    out += [
        Finding(
            "preflight-cannot-read",
            Severity.WARNING,
            note.split("`")[1],
            f"Preflight could not read AWS: {note}; the checks that need it were skipped or "
            "treated the resource as absent.",
            "If denied, grant the caller read access (Describe/Get/List); if the endpoint does "
            "not offer the API (a local twin without MWAA), this is expected.",
        )
        for note in snapshot.notes
    ]
    return out


def doctor_findings(project: Path | None, mwaa_version: str | None) -> tuple[list[Finding], str]:
    """The doctor's findings for ``project`` on the environment's MWAA version."""
    from taxiway.doctor.project import check_project, find_layout

    if project is None:
        return [], "skipped (--no-doctor)"
    if not mwaa_version:
        return [], "skipped: the environment has no mwaa_version"
    if find_layout(project).empty:
        return (
            [
                Finding(
                    "doctor-no-project",
                    Severity.INFO,
                    str(project),
                    f"`{project}` has no requirements.txt, dags/, plugins or startup.sh; "
                    "the doctor checked nothing.",
                    "Pass --project with the folder that mirrors your MWAA bucket.",
                )
            ],
            f"{project}: no project found",
        )
    return check_project(project, mwaa_version), f"{project} for MWAA {mwaa_version}"


def preflight(
    settings: Settings,
    env: str,
    project: Path | None,
    clients: Callable[[str], Any] | None = None,
    connectivity: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> Report:
    """Check environment ``env`` in AWS and ``project`` with the doctor; never asks anything.

    ``connectivity`` also starts AWS's (billed) MWAA troubleshooting runbook and waits for it.
    """
    from taxiway.preflight.collect import client_factory, collect, simulate_role, whoami

    environment = settings.env(env)
    if environment.target != "aws" or not environment.region:
        raise UsageError(
            f"Environment `{env}` is not an AWS environment; choose one with `target: aws` "
            f"in {settings.source}."
        )
    make = clients or client_factory(environment.region)
    account_id, partition = whoami(make)
    names = environment_names(settings, env, account_id, partition)
    probe = client_factory(environment.region, attempts=1)("iam")
    snapshot = collect(names, make, simulate=lambda snap: simulate_role(probe, snap))
    findings = aws_findings(snapshot)
    if connectivity:
        import time

        from taxiway.preflight.connectivity import run_connectivity

        findings += run_connectivity(
            make("ssm"),
            names.mwaa_environment,
            names.region,
            snapshot.mwaa is not None,
            sleep=sleep or time.sleep,
        )
    doctor, doctor_note = doctor_findings(project, environment.mwaa_version)
    method = "simulator" if snapshot.simulated is not None else "local"
    return Report(
        names=names,
        findings=findings + doctor,
        iam_method=method,
        doctor=doctor_note,
        extra={
            "environment": env,
            "region": names.region,
            "account_id": account_id,
            "iam_evaluation": method,
            "doctor": doctor_note,
            "mwaa_environment": "present" if snapshot.mwaa else "absent",
        },
    )
