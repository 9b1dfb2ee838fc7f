"""Checks of an existing MWAA environment, over what GetEnvironment and its resources said.

Pure functions over an :class:`~taxiway.preflight.snapshot.EnvironmentSnapshot`. The
network, bucket, role and key rules are the ones the pre-creation mode uses
(``checks_network``, ``checks_resources``, ``checks_iam``); this module adds what only an
existing environment has: its configured object versions, its DAG folder, its key, and the
execution role's needs that follow from its configuration. The checks of its own fields
(Airflow options, secrets backend, web server access, status, version) are in
:mod:`taxiway.preflight.checks_configuration`; :func:`environment_findings` runs them all.

A check whose input could not be read (a note in ``snapshot.notes``) is skipped rather than
failed: ``preflight-cannot-read`` reports the call instead.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from taxiway.findings import Finding, Severity
from taxiway.preflight.checks_configuration import (
    PARAMETER_STORE,
    SECRET_PREFIXES,
    SECRETS_MANAGER,
    backend_kwargs,
    check_options,
    check_status,
    check_version,
    check_web_access,
)
from taxiway.preflight.checks_iam import (
    Need,
    check_logs_can_use_key,
    check_role,
    mwaa_permissions,
)
from taxiway.preflight.checks_network import check_network
from taxiway.preflight.checks_resources import (
    check_logging,
    check_public_access,
    check_tls,
    check_versioning,
)
from taxiway.preflight.policy import evaluate
from taxiway.preflight.snapshot import EnvironmentSnapshot

# Folders users sync into the DAG folder by mistake (AWS's verify_env looks for the same).
CLUTTER = (".git", ".ipynb_checkpoints", "__pycache__")
_VERSION_FLAG = {
    "requirements": "--requirements-s3-object-version",
    "plugins": "--plugins-s3-object-version",
    "startup script": "--startup-script-s3-object-version",
}


def _unread(s: EnvironmentSnapshot, *calls: str) -> bool:
    """Whether one of ``calls`` (``service:operation``) was denied or failed."""
    return any(note.startswith(tuple(f"`{c}`" for c in calls)) for note in s.notes)


# --------------------------------------------------------------------------- IAM needs


def _secret_needs(s: EnvironmentSnapshot) -> list[Need]:
    backend = s.env.options.get("secrets.backend")
    if backend not in (SECRETS_MANAGER, PARAMETER_STORE):
        return []
    kwargs = backend_kwargs(s)
    if kwargs is None:
        return []
    p, r, a = s.partition, s.region, s.account_id
    out = []
    for key, default in SECRET_PREFIXES.items():
        prefix = kwargs.get(key, default)
        if not prefix:
            continue
        prefix = str(prefix).strip("/")
        if backend == SECRETS_MANAGER:
            out.append(
                Need(
                    "secretsmanager:GetSecretValue",
                    f"arn:{p}:secretsmanager:{r}:{a}:secret:{prefix}/example",
                    f"the Secrets Manager backend reads `{prefix}/*`",
                )
            )
        else:
            out.append(
                Need(
                    "ssm:GetParameter",
                    f"arn:{p}:ssm:{r}:{a}:parameter/{prefix}/example",
                    f"the Parameter Store backend reads `/{prefix}/*`",
                )
            )
    return out


def environment_needs(s: EnvironmentSnapshot) -> list[Need]:
    """Every ``(action, resource)`` this environment's configuration needs of its role."""
    env = s.env
    dag = next((k for k in s.dags.keys if k.endswith(".py")), f"{s.dags.prefix}example.py")
    needs = mwaa_permissions(
        partition=s.partition,
        region=s.region,
        account_id=s.account_id,
        environment=env.name,
        bucket=env.bucket,
        reads=(dag, *(key for _, key, version in env.objects() if not version)),
        versioned_reads=tuple(key for _, key, version in env.objects() if version),
        key_arn=env.kms_key,
    )
    if s.bucket.kms_key and s.bucket.kms_key != env.kms_key:
        needs.append(
            Need(
                "kms:Decrypt",
                s.bucket.kms_key,
                f"the objects of `{env.bucket}` are encrypted with this key (SSE-KMS)",
            )
        )
    return needs + _secret_needs(s)


# --------------------------------------------------------------------------- checks


def check_source_bucket(s: EnvironmentSnapshot) -> list[Finding]:
    """``bucket-missing``, ``bucket-versioning-disabled``, ``bucket-public-access`` (bucket or
    account), and ``bucket-no-tls-policy`` as a warning (MWAA does not require it)."""
    bucket, env = s.bucket, s.env
    if _unread(s, "s3:head_bucket"):
        return []
    if not bucket.exists:
        return [
            Finding(
                "bucket-missing",
                Severity.ERROR,
                bucket.name,
                f"The source bucket `{bucket.name}` of environment `{env.name}` does not exist "
                "(or is not this account's): MWAA has no DAGs, requirements or plugins.",
                "Create the bucket (versioned, public access blocked) and upload the project "
                f"(`taxiway deploy --environment {env.name}`).",
            )
        ]
    out = [] if _unread(s, "s3:get_bucket_versioning") else check_versioning(bucket)
    if not _unread(s, "s3:get_public_access_block", "s3control:get_public_access_block"):
        out += check_public_access(bucket, s.account_public_access_block)
    if not _unread(s, "s3:get_bucket_policy"):
        out += check_tls(bucket, Severity.WARNING)
    return out


def check_objects(s: EnvironmentSnapshot) -> list[Finding]:
    """``object-version-missing`` and ``object-missing``: what MWAA would install is there."""
    out = []
    bucket, env = s.env.bucket, s.env
    for obj in s.objects:
        if obj.exists is not False:
            continue
        uri = f"s3://{bucket}/{obj.key}"
        if obj.version:
            have = (
                f"its versions are {', '.join(f'`{v}`' for v in obj.versions[:3])} (newest first)"
                if obj.versions
                else "the key has no version at all"
            )
            out.append(
                Finding(
                    "object-version-missing",
                    Severity.ERROR,
                    obj.key,
                    f"Environment `{env.name}` installs its {obj.what} from `{uri}` at version "
                    f"`{obj.version}`, which is not in the bucket; {have}. The next update "
                    "(or the environment's next start) fails.",
                    f"aws mwaa update-environment --name {env.name} {_VERSION_FLAG[obj.what]} "
                    "VERSION with an existing version, or upload it again "
                    f"(`taxiway deploy --environment {env.name}`).",
                )
            )
        else:
            out.append(
                Finding(
                    "object-missing",
                    Severity.ERROR,
                    obj.key,
                    f"Environment `{env.name}` is configured with the {obj.what} `{uri}`, which "
                    "does not exist.",
                    f"Upload it (`taxiway deploy --environment {env.name}`) or remove the path "
                    "from the environment.",
                )
            )
    return out


def _clutter(key: str, prefix: str) -> str | None:
    parts = PurePosixPath(key.removeprefix(prefix)).parts
    return next((p for p in parts if p in CLUTTER), None)


def check_dag_folder(s: EnvironmentSnapshot) -> list[Finding]:
    """``dags-folder-empty`` and ``dags-folder-clutter`` (verify_env's ``.airflowignore`` check)."""
    dags, env = s.dags, s.env
    if not s.bucket.exists or _unread(s, "s3:list_objects_v2"):
        return []
    uri = f"s3://{env.bucket}/{dags.prefix}"
    if not any(k != dags.prefix for k in dags.keys):
        return [
            Finding(
                "dags-folder-empty",
                Severity.WARNING,
                dags.prefix or "/",
                f"The DAG folder `{uri}` of environment `{env.name}` is empty: Airflow has "
                "nothing to schedule.",
                f"Upload the DAGs (`taxiway deploy --environment {env.name}`).",
            )
        ]
    found: dict[str, list[str]] = {}
    for key in dags.keys:
        name = _clutter(key, dags.prefix)
        if name:
            found.setdefault(name, []).append(key)
    ignore = dags.airflowignore
    unlisted = sorted(n for n in found if ignore is None or n not in ignore)
    if not unlisted:
        return []
    examples = "; ".join(
        f"`{found[n][0]}`" + (f" (+{len(found[n]) - 1})" if len(found[n]) > 1 else "")
        for n in unlisted
    )
    where = "has no `.airflowignore`" if ignore is None else "has an `.airflowignore` without them"
    return [
        Finding(
            "dags-folder-clutter",
            Severity.WARNING,
            dags.prefix or "/",
            f"The DAG folder `{uri}` holds {', '.join(f'`{n}`' for n in unlisted)} and "
            f"{where}: {examples}. MWAA syncs every object to each worker and the scheduler "
            "walks them all.",
            "Remove them from the bucket (`taxiway deploy` uploads only the project's DAGs) "
            "or list them in `.airflowignore`.",
        )
    ]


def check_key(s: EnvironmentSnapshot) -> list[Finding]:
    """The customer managed key: ``kms-key-not-found``, ``kms-key-disabled``,
    ``kms-policy-missing-service`` and ``kms-policy-denies-role``."""
    env = s.env
    if not env.kms_key or _unread(s, "kms:describe_key"):
        return []
    if s.key is None:
        return [
            Finding(
                "kms-key-not-found",
                Severity.ERROR,
                env.kms_key,
                f"Environment `{env.name}` is encrypted with the KMS key `{env.kms_key}`, which "
                "does not exist (or the caller cannot see it).",
                "A deleted key cannot be replaced: create a new environment with an existing key.",
            )
        ]
    out = []
    if s.key.state and s.key.state != "Enabled":
        out.append(
            Finding(
                "kms-key-disabled",
                Severity.ERROR,
                s.key.arn,
                f"The KMS key of `{env.name}` is {s.key.state}: MWAA cannot read its own data.",
                f"aws kms enable-key --key-id {s.key.arn} (or cancel-key-deletion first).",
            )
        )
    if _unread(s, "kms:get_key_policy"):
        return out
    out += check_logs_can_use_key(env.kms_key, s.key, s.region)
    principals = (
        env.execution_role_arn,
        f"arn:{s.partition}:iam::{s.account_id}:root",
        s.account_id,
    )
    # The key policy must let the role use the key, by name or by delegating to the
    # account's IAM policies (the root principal); the role's own policy is checked too.
    if not any(
        all(
            evaluate([s.key.policy], f"kms:{action}", "*", principal=("AWS", who)).allowed
            for action in ("Decrypt", "GenerateDataKey")
        )
        for who in principals
    ):
        out.append(
            Finding(
                "kms-policy-denies-role",
                Severity.ERROR,
                s.key.arn,
                f"The key policy of `{env.kms_key}` lets neither the execution role "
                f"`{env.role_name}` nor the account's IAM policies use it: MWAA cannot decrypt.",
                "Allow the account root (delegating to IAM) or the role kms:Decrypt and "
                "kms:GenerateDataKey* in the key policy.",
            )
        )
    return out


def check_execution_role(s: EnvironmentSnapshot) -> list[Finding]:
    """Trust and every need of :func:`environment_needs` (``role-*``)."""
    if s.role is None and _unread(s, "iam:get_role"):
        return []
    fix = f"IAM role `{s.env.role_name}`"
    return check_role(s.role, s.env.role_name, environment_needs(s), s.simulated, fix)


def environment_findings(s: EnvironmentSnapshot) -> list[Finding]:
    """Every check of an existing environment (pure)."""
    net = s.network
    network = (
        []
        if net.vpc_id is None and not net.missing_subnets  # unread: cannot-read says so
        else check_network(s.scope, net)
    )
    if _unread(s, "ec2:describe_security_groups"):
        network = [f for f in network if not f.code.startswith("sg-")]
    logging = check_logging(s.env)
    if _unread(s, "logs:describe_log_groups"):
        logging = [f for f in logging if f.code != "mwaa-log-groups-missing"]
    return (
        check_status(s)
        + check_version(s)
        + network
        + check_source_bucket(s)
        + check_objects(s)
        + check_dag_folder(s)
        + check_key(s)
        + check_execution_role(s)
        + logging
        + check_web_access(s)
        + check_options(s)
    )
