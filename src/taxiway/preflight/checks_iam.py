"""IAM and KMS checks: the execution role's trust, its permissions, and the key policy.

What MWAA itself needs of the role is listed once, in :func:`mwaa_permissions` (its bucket
and configured objects, log groups, metrics, Celery queues, the key); an existing
environment adds what its configuration implies (``checks_environment``), the planned
reference environment adds its DAGs' calls (:func:`required_permissions`: EMR steps on its
cluster, Athena in its workgroup, Glue partitions, S3 in the lake buckets). Each entry is an
``(action, resource)`` pair with a concrete resource ARN, so the same list feeds IAM's
simulator and the local evaluator in :mod:`taxiway.preflight.policy`.
"""

from __future__ import annotations

from dataclasses import dataclass

from taxiway.findings import Finding, Severity
from taxiway.preflight.policy import evaluate, principal_matches, statements
from taxiway.preflight.snapshot import Key, Names, Role, Simulated, Snapshot

TRUSTED_SERVICES = ("airflow.amazonaws.com", "airflow-env.amazonaws.com")
_IAM_TF = "infra/terraform/modules/mwaa/iam.tf"
# MWAA's Celery queues live in an AWS-owned account, never the environment's own.
_CELERY_ACCOUNT = "000000000000"


#: a request's condition context: ``(key, value)`` pairs, e.g. ``aws:RequestTag/...``
Context = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    why: str
    #: what the request carries that the role's conditions may test (IAM's simulator is
    #: given it; it does not look up tags itself)
    context: Context = ()


def mwaa_permissions(
    *,
    partition: str,
    region: str,
    account_id: str,
    environment: str,
    bucket: str,
    reads: tuple[str, ...],
    versioned_reads: tuple[str, ...],
    key_arn: str | None,
) -> list[Need]:
    """What MWAA itself needs of its execution role (AWS's sample execution policy).

    ``reads`` are object keys MWAA gets (the DAG folder), ``versioned_reads`` the ones it
    gets at a configured version (requirements, plugins, startup script). ``key_arn`` is the
    customer managed key; None means an AWS owned key, reached through SQS.
    """
    p, r, a = partition, region, account_id
    b = f"arn:{p}:s3:::{bucket}"
    env = f"arn:{p}:airflow:{r}:{a}:environment/{environment}"
    log_group = f"arn:{p}:logs:{r}:{a}:log-group:airflow-{environment}-Task"
    queue = f"arn:{p}:sqs:{r}:{_CELERY_ACCOUNT}:airflow-celery-queue"
    # Without a customer key MWAA's queues use a key in an AWS account (never the caller's).
    key = key_arn or f"arn:{p}:kms:{r}:{_CELERY_ACCOUNT}:key/aws-owned"
    key_why = (
        "MWAA encrypts its bucket objects, logs and queues with the environment's key"
        if key_arn
        else "MWAA's Celery queues are encrypted with an AWS owned key, used through SQS"
    )
    needs = [Need("airflow:PublishMetrics", env, "MWAA publishes its metrics")]
    needs += [Need("s3:GetObject", f"{b}/{k}", "MWAA reads its DAG folder") for k in reads]
    needs += [
        Need("s3:GetObjectVersion", f"{b}/{k}", "MWAA installs that object version")
        for k in versioned_reads
    ]
    needs += [
        Need(action, resource, "MWAA checks its source bucket")
        for action, resource in (
            ("s3:ListBucket", b),
            ("s3:GetBucketVersioning", b),
            ("s3:GetBucketPublicAccessBlock", b),
            ("s3:GetAccountPublicAccessBlock", "*"),
        )
    ]
    needs += [
        Need(f"logs:{action}", f"{log_group}:log-stream:example", "MWAA writes its logs")
        for action in ("CreateLogStream", "PutLogEvents", "GetLogEvents")
    ]
    needs += [
        Need("logs:CreateLogGroup", log_group, "MWAA creates its log groups"),
        Need("logs:DescribeLogGroups", "*", "MWAA finds its log groups"),
        Need("cloudwatch:PutMetricData", "*", "MWAA publishes CloudWatch metrics"),
    ]
    needs += [
        Need(f"sqs:{action}", queue, "MWAA's Celery executor uses SQS")
        for action in ("SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueUrl")
    ]
    needs += [
        Need(f"kms:{action}", key, key_why)
        for action in ("Decrypt", "GenerateDataKey", "DescribeKey", "Encrypt")
    ]
    return needs


def required_permissions(names: Names, cluster_id: str | None, key_arn: str | None) -> list[Need]:
    """Every ``(action, resource)`` the planned environment's role needs, with the reason:
    MWAA's own needs, then the reference pipeline's DAG calls."""
    p, r, a = names.partition, names.region, names.account_id
    b = {role: f"arn:{p}:s3:::{name}" for role, name in names.buckets.items()}
    cluster = f"arn:{p}:elasticmapreduce:{r}:{a}:cluster/{cluster_id}"
    workgroup = f"arn:{p}:athena:{r}:{a}:workgroup/{names.athena_workgroup}"
    glue = f"arn:{p}:glue:{r}:{a}"
    db = names.glue_database
    needs = mwaa_permissions(
        partition=p,
        region=r,
        account_id=a,
        environment=names.mwaa_environment,
        bucket=names.buckets["mwaa"],
        reads=("dags/example.py",),
        versioned_reads=("requirements.txt",),
        # Not found yet: a placeholder in the account, so the role's key statement is tested.
        key_arn=key_arn or f"arn:{p}:kms:{r}:{a}:key/unknown",
    )
    # The DAG owns its EMR cluster (docs/deploy.md): it finds it, or what to build it from,
    # and creates it tagged with the environment, which the role's EMR statements test.
    tag = (("aws:RequestTag/taxiway:env", names.env),)
    owned = (("aws:ResourceTag/taxiway:env", names.env),)
    cluster = f"arn:{p}:elasticmapreduce:{r}:{a}:cluster/{cluster_id or 'j-NEWCLUSTER'}"
    role_arn = f"arn:{p}:iam::{a}:role/"
    needs += [
        *(
            Need(action, "*", "the DAG finds its cluster, or what to build it from")
            for action in (
                "elasticmapreduce:ListClusters",
                "elasticmapreduce:DescribeSecurityConfiguration",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            )
        ),
        Need("elasticmapreduce:RunJobFlow", "*", "the DAG creates its cluster", tag),
        Need("elasticmapreduce:AddTags", cluster, "the DAG tags the cluster it creates", tag),
        Need(
            "elasticmapreduce:PutAutoTerminationPolicy",
            cluster,
            "the cluster the DAG creates ends when idle",
            owned,
        ),
        Need(
            "iam:PassRole",
            role_arn + names.emr_service_role,
            "the DAG's cluster runs as EMR's service role",
            (("iam:PassedToService", "elasticmapreduce.amazonaws.com"),),
        ),
        Need(
            "iam:PassRole",
            role_arn + names.emr_instance_profile,
            "the DAG's cluster nodes run with the instance profile",
            (("iam:PassedToService", "ec2.amazonaws.com"),),
        ),
        *(
            Need(f"elasticmapreduce:{action}", cluster, "the DAG runs curate as an EMR step", owned)
            for action in ("AddJobFlowSteps", "ListSteps", "DescribeStep")
        ),
        *(
            Need(f"athena:{action}", workgroup, "the DAG runs report SQL in Athena")
            for action in ("StartQueryExecution", "GetQueryExecution")
        ),
        Need("glue:GetDatabase", f"{glue}:database/{db}", "Athena resolves the DAG's database"),
        *(
            Need(f"glue:{action}", resource, "the DAG registers curated partitions in Glue")
            for action in ("GetTable", "BatchCreatePartition")
            for resource in (
                f"{glue}:catalog",
                f"{glue}:database/{db}",
                f"{glue}:table/{db}/events",
            )
        ),
        Need("s3:ListBucket", b["curated"], "Athena lists the curated tables"),
        Need("s3:GetObject", f"{b['curated']}/curated/events/x.parquet", "Athena reads curated"),
        Need(
            "s3:GetObject", f"{b['curated']}/manifests/runs/x.json", "the DAG reads run manifests"
        ),
        Need("s3:PutObject", f"{b['curated']}/hourly_counts/x.json", "the DAG writes hour counts"),
        Need("s3:ListBucket", b["reports"], "the DAG lists report runs"),
        Need("s3:PutObject", f"{b['reports']}/reports/x.parquet", "Athena writes reports"),
        Need("s3:DeleteObject", f"{b['reports']}/reports/x.parquet", "the DAG drops old reports"),
        Need("s3:GetBucketLocation", b["artifacts"], "Athena locates its results"),
        Need("s3:PutObject", f"{b['artifacts']}/athena-results/x.csv", "Athena writes results"),
    ]
    return needs


def check_trust(role: Role, fix: str = _IAM_TF) -> list[Finding]:
    """``role-trust-missing``: MWAA's two service principals must be able to assume the role."""
    missing = []
    for service in TRUSTED_SERVICES:
        ok = any(
            s.get("Effect") == "Allow"
            and principal_matches(s, "Service", service)
            and evaluate([{"Statement": [s]}], "sts:AssumeRole", role.arn).allowed
            for s in statements(role.trust)
        )
        if not ok:
            missing.append(service)
    if not missing:
        return []
    return [
        Finding(
            "role-trust-missing",
            Severity.ERROR,
            role.name,
            f"Role `{role.name}` cannot be assumed by {', '.join(f'`{m}`' for m in missing)}.",
            "Trust both airflow.amazonaws.com and airflow-env.amazonaws.com with sts:AssumeRole "
            f"({fix}).",
        )
    ]


def decisions(
    role: Role, needs: list[Need], simulated: tuple[Simulated, ...] | None
) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """``(action, resource) -> (decision, unevaluated conditions)`` from the simulator or locally."""
    if simulated is not None:
        return {(s.action, s.resource): (s.decision, ()) for s in simulated}
    docs = [doc for _, doc in role.policies]
    out = {}
    for need in needs:
        d = evaluate(docs, need.action, need.resource, context=dict(need.context))
        out[(need.action, need.resource)] = (d.decision, d.conditions)
    return out


def check_permissions(
    role: Role, needs: list[Need], simulated: tuple[Simulated, ...] | None, fix: str = _IAM_TF
) -> list[Finding]:
    """``role-missing-permission``, ``role-allows-list-all-buckets`` and unevaluated conditions."""
    answers = decisions(role, needs, simulated)
    out: list[Finding] = []
    conditional: dict[str, list[str]] = {}
    for need in needs:
        decision, conditions = answers.get((need.action, need.resource), ("implicitDeny", ()))
        if decision != "allowed":
            how = "explicitly denies" if decision == "explicitDeny" else "does not allow"
            out.append(
                Finding(
                    "role-missing-permission",
                    Severity.ERROR,
                    f"{need.action} {need.resource}",
                    f"Role `{role.name}` {how} `{need.action}` on `{need.resource}`: {need.why}.",
                    f"Grant it in the execution role's policy ({fix}).",
                )
            )
        elif conditions:
            conditional.setdefault(", ".join(conditions), []).append(need.action)
    for keys, actions in conditional.items():
        out.append(
            Finding(
                "role-condition-not-evaluated",
                Severity.INFO,
                role.name,
                f"Allowed only under conditions preflight cannot evaluate ({keys}): "
                f"{', '.join(f'`{a}`' for a in dict.fromkeys(actions))}.",
                "Check that the condition holds for MWAA's requests.",
            )
        )
    list_all = "s3:ListAllMyBuckets"
    if simulated is None:
        wide = evaluate([doc for _, doc in role.policies], list_all, "*").allowed
    else:
        wide = any(s.action == list_all and s.decision == "allowed" for s in simulated)
    if wide:
        out.append(
            Finding(
                "role-allows-list-all-buckets",
                Severity.WARNING,
                role.name,
                f"Role `{role.name}` may list every bucket in the account (`{list_all}`).",
                "Scope S3 statements to the environment's buckets; DAGs rarely need ListAllMyBuckets.",
            )
        )
    return out


def simulation_pairs(needs: list[Need]) -> list[tuple[str, str, Context]]:
    """What to ask IAM's simulator: every need with its context, and the ListAllMyBuckets
    MWAA wants denied."""
    return [(n.action, n.resource, n.context) for n in needs] + [("s3:ListAllMyBuckets", "*", ())]


def check_role(
    role: Role | None,
    name: str,
    needs: list[Need],
    simulated: tuple[Simulated, ...] | None,
    fix: str = _IAM_TF,
) -> list[Finding]:
    """All role checks; ``role-not-found`` when the execution role ``name`` does not exist."""
    if role is None:
        return [
            Finding(
                "role-not-found",
                Severity.ERROR,
                name,
                f"The execution role `{name}` does not exist.",
                f"Create it ({fix}).",
            )
        ]
    return check_trust(role, fix) + check_permissions(role, needs, simulated, fix)


def check_logs_can_use_key(label: str, key: Key, region: str) -> list[Finding]:
    """``kms-policy-missing-service``: CloudWatch Logs must be able to use the key."""
    service = f"logs.{region}.amazonaws.com"
    ok = all(
        evaluate([key.policy], f"kms:{a}", "*", principal=("Service", service)).allowed
        for a in ("Encrypt", "Decrypt", "GenerateDataKey")
    )
    if ok:
        return []
    return [
        Finding(
            "kms-policy-missing-service",
            Severity.ERROR,
            label,
            f"The key policy of `{label}` does not let `{service}` encrypt and decrypt: "
            "MWAA's encrypted log groups cannot be created.",
            f"Allow the service principal `{service}` kms:Encrypt*, kms:Decrypt*, "
            "kms:GenerateDataKey* in the key policy.",
        )
    ]


def check_key(snapshot: Snapshot) -> list[Finding]:
    """``kms-key-not-found`` and ``kms-policy-missing-service`` for the planned environment."""
    names = snapshot.names
    if snapshot.key is None:
        return [
            Finding(
                "kms-key-not-found",
                Severity.ERROR,
                names.kms_alias,
                f"No KMS key has the alias `{names.kms_alias}`.",
                "Create the environment key (infra/terraform/modules/storage).",
            )
        ]
    return check_logs_can_use_key(names.kms_alias, snapshot.key, names.region)


def snapshot_needs(snapshot: Snapshot) -> list[Need]:
    """The planned environment's needs, with the cluster and key preflight found."""
    return required_permissions(
        snapshot.names, snapshot.emr_cluster_id, snapshot.key.arn if snapshot.key else None
    )


def check_planned_role(snapshot: Snapshot) -> list[Finding]:
    """The role checks of the pre-creation mode."""
    return check_role(
        snapshot.role, snapshot.names.execution_role, snapshot_needs(snapshot), snapshot.simulated
    )
