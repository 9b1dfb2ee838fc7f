"""Checks of the environment's buckets, EMR cluster, Athena workgroup, Glue database and MWAA."""

from __future__ import annotations

from taxiway.findings import Finding, Severity
from taxiway.preflight.policy import evaluate
from taxiway.preflight.snapshot import Bucket, MwaaEnvironment, Snapshot

_STORAGE = "infra/terraform/modules/storage"
PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _tls_enforced(bucket: Bucket) -> bool:
    """A Deny of s3:* for every principal when aws:SecureTransport is false."""
    if not bucket.policy:
        return False
    for stmt in bucket.policy.get("Statement") or []:
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Deny":
            continue
        bool_cond = (stmt.get("Condition") or {}).get("Bool") or {}
        if str(bool_cond.get("aws:SecureTransport", "")).lower() != "false":
            continue
        one = {**stmt, "Condition": None, "Effect": "Deny"}
        decision = evaluate(
            [{"Statement": [one]}],
            "s3:GetObject",
            f"arn:aws:s3:::{bucket.name}/any",
            principal=("AWS", "*"),
        )
        if decision.decision == "explicitDeny":
            return True
    return False


def check_versioning(bucket: Bucket) -> list[Finding]:
    """``bucket-versioning-disabled``: MWAA installs requirements, plugins and startup by version."""
    if bucket.versioning == "Enabled":
        return []
    name = bucket.name
    return [
        Finding(
            "bucket-versioning-disabled",
            Severity.ERROR,
            name,
            f"Versioning is {bucket.versioning or 'off'} on `{name}`; MWAA requires it on its "
            "bucket (it installs requirements, plugins and the startup script by object "
            "version) and the lake relies on it against deletes.",
            f"aws s3api put-bucket-versioning --bucket {name} "
            "--versioning-configuration Status=Enabled",
        )
    ]


def check_public_access(
    bucket: Bucket, account_block: dict[str, bool] | None = None
) -> list[Finding]:
    """``bucket-public-access``: each of the four settings on, on the bucket or the account."""
    pab = bucket.public_access_block or {}
    account = account_block or {}
    open_keys = [k for k in PAB_KEYS if not (pab.get(k) or account.get(k))]
    if not open_keys:
        return []
    return [
        Finding(
            "bucket-public-access",
            Severity.ERROR,
            bucket.name,
            f"Public access is not fully blocked on `{bucket.name}` ({', '.join(open_keys)} off "
            "on the bucket and the account); MWAA refuses a bucket that may be public.",
            "Turn on all four settings of the bucket's public access block: "
            f"aws s3api put-public-access-block --bucket {bucket.name} "
            "--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
            "BlockPublicPolicy=true,RestrictPublicBuckets=true",
        )
    ]


def check_encryption(bucket: Bucket) -> list[Finding]:
    """``bucket-no-encryption`` and ``bucket-not-kms`` (the reference platform's standard)."""
    name = bucket.name
    if bucket.encryption is None:
        return [
            Finding(
                "bucket-no-encryption",
                Severity.ERROR,
                name,
                f"`{name}` has no default encryption configuration.",
                "Set SSE-KMS with the environment key (SSE-S3 for the logs bucket).",
            )
        ]
    if bucket.role != "logs" and not bucket.encryption.startswith("aws:kms"):
        # Every bucket has SSE-S3 by default since 2023; the data buckets are meant to use
        # the environment key, so revoking the key revokes the data (storage/main.tf).
        return [
            Finding(
                "bucket-not-kms",
                Severity.WARNING,
                name,
                f"`{name}` is encrypted with {bucket.encryption}, not the environment's KMS key.",
                "Set SSE-KMS with the environment key and enable S3 Bucket Keys.",
            )
        ]
    return []


def check_tls(bucket: Bucket, severity: Severity = Severity.ERROR) -> list[Finding]:
    """``bucket-no-tls-policy``: the bucket policy denies requests without TLS."""
    if _tls_enforced(bucket):
        return []
    return [
        Finding(
            "bucket-no-tls-policy",
            severity,
            bucket.name,
            f"The policy of `{bucket.name}` does not deny requests without TLS.",
            'Add a Deny of s3:* for Principal "*" when aws:SecureTransport is false.',
        )
    ]


def check_bucket(bucket: Bucket) -> list[Finding]:
    """``bucket-missing`` or the bucket's versioning, public access, encryption and TLS checks."""
    name = bucket.name
    if not bucket.exists:
        return [
            Finding(
                "bucket-missing",
                Severity.ERROR,
                name,
                f"The {bucket.role} bucket `{name}` does not exist (or is not this account's).",
                f"Create it ({_STORAGE}); bucket names end in the account id.",
            )
        ]
    return (
        check_versioning(bucket)
        + check_public_access(bucket)
        + check_encryption(bucket)
        + check_tls(bucket)
    )


def check_analytics(snapshot: Snapshot) -> list[Finding]:
    """``emr-cluster-not-found``, ``athena-workgroup-*`` and ``glue-database-missing``."""
    names = snapshot.names
    out = []
    if snapshot.emr_cluster_id is None:
        # the DAG owns the cluster (docs/deploy.md): none alive between runs is the design
        out.append(
            Finding(
                "emr-cluster-not-found",
                Severity.INFO,
                names.emr_cluster,
                f"No running or waiting EMR cluster is named `{names.emr_cluster}`: the curate "
                "task creates it from the DAG's spec at its next run, and EMR ends it when idle.",
                "Nothing to do; the role's EMR permissions are checked for the cluster the DAG "
                "creates.",
            )
        )
    wg = snapshot.workgroup
    if wg is None:
        out.append(
            Finding(
                "athena-workgroup-not-found",
                Severity.ERROR,
                names.athena_workgroup,
                f"No Athena workgroup `{names.athena_workgroup}`.",
                "Create it (infra/terraform/modules/analytics).",
            )
        )
    elif not wg.enforced or not wg.output_location or not wg.encryption:
        gaps = [
            text
            for bad, text in (
                (not wg.enforced, "settings are not enforced"),
                (not wg.output_location, "no result location"),
                (not wg.encryption, "results are not encrypted"),
            )
            if bad
        ]
        out.append(
            Finding(
                "athena-workgroup-not-enforced",
                Severity.ERROR,
                names.athena_workgroup,
                f"Athena workgroup `{names.athena_workgroup}`: {', '.join(gaps)}; clients can "
                "write unencrypted results anywhere.",
                "Enforce the workgroup configuration with an encrypted result location.",
            )
        )
    if not snapshot.glue_database:
        out.append(
            Finding(
                "glue-database-missing",
                Severity.ERROR,
                names.glue_database,
                f"The Glue database `{names.glue_database}` does not exist.",
                "Create it (infra/terraform/modules/analytics).",
            )
        )
    return out


def check_mwaa(snapshot: Snapshot) -> list[Finding]:
    """MWAA status and configuration; an info finding when the environment does not exist yet."""
    names, env = snapshot.names, snapshot.mwaa
    if env is None:
        if any(note.startswith("`mwaa:") for note in snapshot.notes):
            return []  # unknown, not absent: preflight-cannot-read says why
        return [
            Finding(
                "mwaa-environment-absent",
                Severity.INFO,
                names.mwaa_environment,
                f"MWAA environment `{names.mwaa_environment}` does not exist yet; checked what it "
                "will need.",
                "Create it once preflight reports no errors.",
            )
        ]
    return mwaa_status(env) + _mwaa_config(snapshot, env)


def mwaa_status(env: MwaaEnvironment) -> list[Finding]:
    """``mwaa-not-available``: failed or unavailable (error), or still changing (warning)."""
    if env.status == "AVAILABLE":
        return []
    failed = env.status.endswith("FAILED") or env.status == "UNAVAILABLE"
    return [
        Finding(
            "mwaa-not-available",
            Severity.ERROR if failed else Severity.WARNING,
            env.name,
            f"MWAA environment `{env.name}` is {env.status}"
            + (f": {env.last_error}" if env.last_error else "."),
            "Read the environment's last update error and its CloudWatch logs."
            if failed
            else "Wait for the change to finish, then run preflight again.",
        )
    ]


def _mwaa_config(snapshot: Snapshot, env: MwaaEnvironment) -> list[Finding]:
    names = snapshot.names
    out = []

    def bad(code: str, message: str, hint: str, severity: Severity = Severity.ERROR) -> None:
        out.append(Finding(code, severity, env.name, message, hint))

    if names.mwaa_version and env.airflow_version != names.mwaa_version:
        bad(
            "mwaa-version-mismatch",
            f"MWAA runs Airflow {env.airflow_version}; taxiway.yaml says {names.mwaa_version}.",
            "Upgrade the environment or change mwaa_version; the doctor checked the latter.",
        )
    role_arn = snapshot.role.arn if snapshot.role else names.execution_role
    if not env.execution_role_arn.endswith(f"role/{names.execution_role}"):
        bad(
            "mwaa-role-mismatch",
            f"MWAA uses execution role `{env.execution_role_arn}`, not `{role_arn}`.",
            "Point the environment at the environment's execution role.",
        )
    if env.source_bucket_arn != f"arn:{names.partition}:s3:::{names.buckets['mwaa']}":
        bad(
            "mwaa-bucket-mismatch",
            f"MWAA reads `{env.source_bucket_arn}`, not the mwaa bucket `{names.buckets['mwaa']}`.",
            "Point the environment at the mwaa bucket.",
        )
    tagged = {s.id for s in snapshot.network.subnets}
    if tagged and set(env.subnet_ids) != tagged:
        bad(
            "mwaa-subnet-mismatch",
            f"MWAA runs in {', '.join(env.subnet_ids)}; the checked private subnets are "
            f"{', '.join(sorted(tagged))}.",
            "Tag MWAA's subnets Tier=private so preflight checks the subnets MWAA uses.",
        )
    sg = snapshot.network.security_group
    if sg is not None and sg.id not in env.security_group_ids:
        bad(
            "mwaa-sg-mismatch",
            f"MWAA does not use the checked security group `{names.security_group}` ({sg.id}).",
            "Attach the environment's security group.",
        )
    out += check_logging(env)
    return out


# GetEnvironment's LoggingConfiguration key -> the suffix of the log group MWAA creates.
LOG_GROUP_SUFFIX = {
    "DagProcessing": "DAGProcessing",
    "Scheduler": "Scheduler",
    "Task": "Task",
    "Webserver": "WebServer",
    "Worker": "Worker",
}


def check_logging(env: MwaaEnvironment) -> list[Finding]:
    """``mwaa-log-groups-missing`` and ``mwaa-logging-disabled``.

    Task logs off is an error: on MWAA the Airflow UI reads task logs from CloudWatch only,
    so there are none anywhere. Any other type off is a warning.
    """
    out = []

    def group(kind: str) -> str:
        return (
            env.log_group_names.get(kind)
            or f"airflow-{env.name}-{LOG_GROUP_SUFFIX.get(kind, kind)}"
        )

    lost = [
        group(kind)
        for kind, enabled in sorted(env.logging.items())
        if enabled and group(kind) not in env.log_groups
    ]
    # While the environment is being created its log groups may not exist yet.
    if lost and (env.status == "AVAILABLE" or env.status.endswith("FAILED")):
        out.append(
            Finding(
                "mwaa-log-groups-missing",
                Severity.ERROR,
                env.name,
                f"Logging is on but the log group(s) {', '.join(f'`{g}`' for g in lost)} do "
                "not exist: MWAA could not create them (often the key policy or the role's "
                "logs permissions).",
                "Check kms-policy-missing-service and the role's logs:CreateLogGroup, then "
                "update the environment.",
            )
        )
    off = sorted(k for k, enabled in env.logging.items() if not enabled)
    if off:
        tasks_off = "Task" in off
        out.append(
            Finding(
                "mwaa-logging-disabled",
                Severity.ERROR if tasks_off else Severity.WARNING,
                env.name,
                f"MWAA logging is off for {', '.join(off)}; failures there leave no trace"
                + (
                    " (and the Airflow UI shows no task logs: MWAA keeps them in CloudWatch only)."
                    if tasks_off
                    else "."
                ),
                "Enable every log type at INFO or above (UpdateEnvironment LoggingConfiguration).",
            )
        )
    return out
