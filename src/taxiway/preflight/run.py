"""Run preflight: AWS snapshot, checks, doctor, one report; for a planned or an existing environment.

Two entry points, one per mode, both plain data in and a :class:`Report` out:

* :func:`preflight_planned` checks an environment *before* it exists, described by
  :class:`~taxiway.preflight.snapshot.Names` (the reference platform builds them from
  ``taxiway.yaml``: ``taxiway.platform.preflight``);
* :func:`preflight_environment` checks an existing MWAA environment, found by name, from
  what GetEnvironment says it uses; no settings file at all.

This package is the toolkit's: it imports nothing of the reference platform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taxiway.findings import Finding, Severity
from taxiway.preflight.snapshot import Names, Snapshot

if TYPE_CHECKING:
    from taxiway.awsclient import ClientFactory
    from taxiway.doctor.project import ProjectLayout
    from taxiway.projectfile import ProjectConfig

# Codes produced by the AWS checks (the doctor's codes come on top); docs/preflight.md
# describes each one.
AWS_CODES = (
    "vpc-not-found",
    "vpc-dns-disabled",
    "subnet-not-found",
    "subnets-single-az",
    "subnet-not-private",
    "no-nat-or-endpoints",
    "nacl-blocks-traffic",
    "sg-not-found",
    "sg-no-self-ingress",
    "sg-open-ingress",
    "sg-egress-blocked",
    "bucket-missing",
    "bucket-versioning-disabled",
    "bucket-public-access",
    "bucket-no-encryption",
    "bucket-not-kms",
    "bucket-no-tls-policy",
    "object-missing",
    "object-version-missing",
    "dags-folder-empty",
    "dags-folder-clutter",
    "kms-key-not-found",
    "kms-policy-missing-service",
    "kms-key-disabled",
    "kms-policy-denies-role",
    "role-not-found",
    "role-trust-missing",
    "role-missing-permission",
    "role-allows-list-all-buckets",
    "role-condition-not-evaluated",
    "secrets-backend-misconfigured",
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
    "mwaa-last-update-failed",
    "mwaa-version-unknown",
    "mwaa-version-end-of-support",
    "mwaa-webserver-public",
    "mwaa-customer-endpoints-missing",
    "airflow-option-overridden",
    "plugins-lazy-load",
    "preflight-cannot-read",
    "connectivity-skipped",
    "connectivity-checked",
    "connectivity-failed",
    "connectivity-timeout",
)


@dataclass(frozen=True)
class Report:
    """What one preflight run found, and how."""

    target: str  # the environment: a taxiway.yaml name, or the MWAA environment's
    region: str
    account_id: str
    findings: list[Finding]
    iam_method: str  # "simulator" | "local"
    doctor: str  # what the doctor checked, or why it did not run
    extra: dict[str, Any] = field(default_factory=dict)
    names: Names | None = None  # the planned environment's names (pre-creation mode)


def cannot_read(notes: tuple[str, ...]) -> list[Finding]:
    """``preflight-cannot-read``: one warning per AWS call that was denied or failed."""
    return [
        Finding(
            "preflight-cannot-read",
            Severity.WARNING,
            note.split("`")[1],
            f"Preflight could not read AWS: {note}; the checks that need it were skipped or "
            "treated the resource as absent.",
            "If denied, grant the caller read access (Describe/Get/List); if the endpoint does "
            "not offer the API (a local twin without MWAA), this is expected.",
        )
        for note in notes
    ]


def aws_findings(snapshot: Snapshot) -> list[Finding]:
    """Every AWS check over a planned environment's snapshot (pure)."""
    from taxiway.preflight.checks_iam import check_key, check_planned_role
    from taxiway.preflight.checks_network import check_network
    from taxiway.preflight.checks_resources import check_analytics, check_bucket, check_mwaa

    out = check_network(snapshot.names.scope, snapshot.network)
    for bucket in snapshot.buckets:
        out += check_bucket(bucket)
    out += check_key(snapshot) + check_planned_role(snapshot) + check_analytics(snapshot)
    out += check_mwaa(snapshot)
    return out + cannot_read(snapshot.notes)


def doctor_findings(
    project: Path | None, mwaa_version: str | None, layout: ProjectLayout | None = None
) -> tuple[list[Finding], str]:
    """The doctor's findings for ``project`` on the environment's MWAA version."""
    from taxiway import mwaa
    from taxiway.doctor.project import check_project, find_layout

    if project is None:
        return [], "skipped (--no-doctor)"
    if not mwaa_version:
        return [], "skipped: the environment has no mwaa_version"
    if mwaa_version not in mwaa.versions():
        return [], f"skipped: no data for MWAA {mwaa_version} (pass --mwaa)"
    layout = layout or find_layout(project)
    if layout.empty:
        return (
            [
                Finding(
                    "doctor-no-project",
                    Severity.INFO,
                    str(project),
                    f"`{project}` has no requirements.txt, dags/, plugins or startup.sh; "
                    "the doctor checked nothing.",
                    "Pass the folder that mirrors your MWAA bucket as PROJECT.",
                )
            ],
            f"{project}: no project found",
        )
    return check_project(project, mwaa_version, layout), f"{project} for MWAA {mwaa_version}"


def _simulator(probe: ClientFactory | None, region: str) -> Callable[..., Any]:
    from taxiway.awsclient import client_factory
    from taxiway.preflight.collect import simulate_role

    # No retries: a missing simulator answers the first call with an error, and retrying
    # only delays the local evaluation.
    iam = (probe or client_factory(region, attempts=1))("iam")
    return lambda arn, pairs: simulate_role(iam, arn, pairs)


def _connectivity(
    clients: ClientFactory,
    name: str,
    region: str,
    exists: bool,
    sleep: Callable[[float], None] | None,
) -> list[Finding]:
    import time

    from taxiway.preflight.connectivity import run_connectivity

    return run_connectivity(clients("ssm"), name, region, exists, sleep=sleep or time.sleep)


def preflight_planned(
    names: Names,
    project: Path | None,
    clients: ClientFactory,
    *,
    probe: ClientFactory | None = None,
    mwaa_version: str | None = None,
    connectivity: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> Report:
    """Check the planned environment ``names`` in AWS and ``project`` with the doctor.

    ``mwaa_version`` (``--mwaa``) overrides the version the names carry for the doctor.
    ``connectivity`` also starts AWS's (billed) MWAA troubleshooting runbook and waits for it.
    """
    from taxiway.preflight.collect import collect

    snapshot = collect(names, clients, simulate=_simulator(probe, names.region))
    findings = aws_findings(snapshot)
    if connectivity:
        findings += _connectivity(
            clients, names.mwaa_environment, names.region, snapshot.mwaa is not None, sleep
        )
    doctor, doctor_note = doctor_findings(project, mwaa_version or names.mwaa_version)
    method = "simulator" if snapshot.simulated is not None else "local"
    return Report(
        target=names.env,
        region=names.region,
        account_id=names.account_id,
        findings=findings + doctor,
        iam_method=method,
        doctor=doctor_note,
        extra={
            "environment": names.env,
            "region": names.region,
            "account_id": names.account_id,
            "iam_evaluation": method,
            "doctor": doctor_note,
            "mwaa_environment": "present" if snapshot.mwaa else "absent",
        },
        names=names,
    )


def preflight_environment(
    name: str,
    project: Path | None,
    clients: ClientFactory,
    *,
    probe: ClientFactory | None = None,
    mwaa_version: str | None = None,
    config: ProjectConfig | None = None,
    connectivity: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> Report:
    """Check the existing MWAA environment ``name`` and ``project`` with the doctor.

    Everything comes from GetEnvironment; the doctor checks ``project`` (None: skipped) on
    ``mwaa_version`` (``--mwaa``), else the environment's own Airflow version. ``config``
    (the project's ``taxiway.toml``) supplies the project's paths.
    """
    from taxiway import projectfile
    from taxiway.awsclient import region_of
    from taxiway.preflight.checks_environment import environment_findings
    from taxiway.preflight.collect_environment import collect_environment

    region = region_of(clients)
    snapshot = collect_environment(name, clients, simulate=_simulator(probe, region))
    env = snapshot.env
    findings = environment_findings(snapshot) + cannot_read(snapshot.notes)
    if connectivity:
        findings += _connectivity(clients, env.name, snapshot.region, True, sleep)
    version = projectfile.mwaa_version(mwaa_version, config, env.airflow_version, env.name)
    layout = None
    if project is not None and config is not None and config.source is not None:
        from taxiway.doctor.project import find_layout

        layout = find_layout(
            project, config.requirements, config.dags, config.plugins, config.startup
        )
    doctor, doctor_note = doctor_findings(project, version, layout)
    method = "simulator" if snapshot.simulated is not None else "local"
    return Report(
        target=env.name,
        region=snapshot.region,
        account_id=snapshot.account_id,
        findings=findings + doctor,
        iam_method=method,
        doctor=doctor_note,
        extra={
            "environment": env.name,
            "region": snapshot.region,
            "account_id": snapshot.account_id,
            "iam_evaluation": method,
            "doctor": doctor_note,
            "status": env.status,
            "airflow_version": env.airflow_version,
            "source_bucket": env.bucket,
            "execution_role": env.execution_role_arn,
            "subnets": list(env.subnet_ids),
            "security_groups": list(env.security_group_ids),
        },
    )
