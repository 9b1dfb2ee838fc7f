"""IAM and KMS checks: the execution role's trust, its permissions, and the key policy.

What the role must be allowed to do is listed once, in :func:`required_permissions`: the
MWAA execution actions (its bucket, log groups, metrics, Celery queues, the key) and the
calls the DAGs make (EMR steps on the environment's cluster, Athena in its workgroup, Glue
partitions in its database, S3 in its buckets). Each entry is an ``(action, resource)``
pair with a concrete resource ARN, so the same list feeds IAM's simulator and the local
evaluator in :mod:`taxiway.preflight.policy`.
"""

from __future__ import annotations

from dataclasses import dataclass

from taxiway.findings import Finding, Severity
from taxiway.preflight.policy import evaluate, principal_matches, statements
from taxiway.preflight.snapshot import Names, Role, Snapshot

TRUSTED_SERVICES = ("airflow.amazonaws.com", "airflow-env.amazonaws.com")
# MWAA's Celery queues live in an AWS-owned account, never the environment's own.
_CELERY_ACCOUNT = "000000000000"


@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    why: str


def required_permissions(names: Names, cluster_id: str | None, key_arn: str | None) -> list[Need]:
    """Every ``(action, resource)`` the execution role needs, with the reason."""
    p, r, a = names.partition, names.region, names.account_id
    b = {role: f"arn:{p}:s3:::{name}" for role, name in names.buckets.items()}
    env = f"arn:{p}:airflow:{r}:{a}:environment/{names.mwaa_environment}"
    log_group = f"arn:{p}:logs:{r}:{a}:log-group:airflow-{names.mwaa_environment}-Task"
    queue = f"arn:{p}:sqs:{r}:{_CELERY_ACCOUNT}:airflow-celery-queue"
    key = key_arn or f"arn:{p}:kms:{r}:{a}:key/unknown"
    cluster = f"arn:{p}:elasticmapreduce:{r}:{a}:cluster/{cluster_id}"
    workgroup = f"arn:{p}:athena:{r}:{a}:workgroup/{names.athena_workgroup}"
    glue = f"arn:{p}:glue:{r}:{a}"
    db = names.glue_database
    needs = [Need("airflow:PublishMetrics", env, "MWAA publishes its metrics")]
    needs += [
        Need(action, resource, "MWAA reads its DAG bucket")
        for action, resource in (
            ("s3:GetObject", f"{b['mwaa']}/dags/example.py"),
            ("s3:GetObjectVersion", f"{b['mwaa']}/requirements.txt"),
            ("s3:ListBucket", b["mwaa"]),
            ("s3:GetBucketVersioning", b["mwaa"]),
            ("s3:GetBucketPublicAccessBlock", b["mwaa"]),
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
        Need(f"kms:{action}", key, "MWAA encrypts its bucket objects and queues with the key")
        for action in ("Decrypt", "GenerateDataKey", "DescribeKey")
    ]
    needs += [
        Need("elasticmapreduce:ListClusters", "*", "the DAG finds the cluster by name"),
        # Without a cluster there is no ARN to check the step permissions against;
        # emr-cluster-not-found says so.
        *(
            Need(f"elasticmapreduce:{action}", cluster, "the DAG runs curate as an EMR step")
            for action in ("AddJobFlowSteps", "DescribeStep", "DescribeCluster")
            if cluster_id
        ),
        *(
            Need(f"athena:{action}", workgroup, "the DAG runs report SQL in Athena")
            for action in ("StartQueryExecution", "GetQueryExecution", "GetQueryResults")
        ),
        *(
            Need(f"glue:{action}", resource, "the DAG registers curated partitions in Glue")
            for action in ("GetTable", "BatchCreatePartition", "GetPartitions")
            for resource in (
                f"{glue}:catalog",
                f"{glue}:database/{db}",
                f"{glue}:table/{db}/events",
            )
        ),
        Need("s3:ListBucket", b["landing"], "Athena and the DAG list the landing bucket"),
        Need("s3:GetObject", f"{b['landing']}/topics/events/x.json.gz", "Athena reads landing"),
        Need("s3:GetObject", f"{b['curated']}/curated/events/x.parquet", "Athena reads curated"),
        Need("s3:PutObject", f"{b['reports']}/reports/x.parquet", "Athena writes reports"),
        Need("s3:PutObject", f"{b['artifacts']}/athena-results/x.csv", "Athena writes results"),
    ]
    return needs


def check_trust(role: Role) -> list[Finding]:
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
            "(infra/terraform/modules/mwaa/iam.tf).",
        )
    ]


def decisions(
    snapshot: Snapshot, needs: list[Need]
) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """``(action, resource) -> (decision, unevaluated conditions)`` from the simulator or locally."""
    if snapshot.simulated is not None:
        return {(s.action, s.resource): (s.decision, ()) for s in snapshot.simulated}
    assert snapshot.role is not None
    docs = [doc for _, doc in snapshot.role.policies]
    out = {}
    for need in needs:
        d = evaluate(docs, need.action, need.resource)
        out[(need.action, need.resource)] = (d.decision, d.conditions)
    return out


def check_permissions(snapshot: Snapshot) -> list[Finding]:
    """``role-missing-permission``, ``role-allows-list-all-buckets`` and unevaluated conditions."""
    role = snapshot.role
    if role is None:
        return []
    needs = required_permissions(
        snapshot.names, snapshot.emr_cluster_id, snapshot.key.arn if snapshot.key else None
    )
    answers = decisions(snapshot, needs)
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
                    "Grant it in the execution role's policy (infra/terraform/modules/mwaa/iam.tf).",
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
                f"{', '.join(f'`{a}`' for a in actions)}.",
                "Check that the condition holds for MWAA's requests.",
            )
        )
    list_all = "s3:ListAllMyBuckets"
    if snapshot.simulated is None:
        wide = evaluate([doc for _, doc in role.policies], list_all, "*").allowed
    else:
        wide = any(s.action == list_all and s.decision == "allowed" for s in snapshot.simulated)
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


def check_key(snapshot: Snapshot) -> list[Finding]:
    """``kms-key-not-found`` and ``kms-policy-missing-service`` (CloudWatch Logs must use the key)."""
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
    service = f"logs.{names.region}.amazonaws.com"
    ok = all(
        evaluate([snapshot.key.policy], f"kms:{a}", "*", principal=("Service", service)).allowed
        for a in ("Encrypt", "Decrypt", "GenerateDataKey")
    )
    if ok:
        return []
    return [
        Finding(
            "kms-policy-missing-service",
            Severity.ERROR,
            names.kms_alias,
            f"The key policy of `{names.kms_alias}` does not let `{service}` encrypt and decrypt: "
            "MWAA's encrypted log groups cannot be created.",
            f"Allow the service principal `{service}` kms:Encrypt*, kms:Decrypt*, "
            "kms:GenerateDataKey* in the key policy.",
        )
    ]


def check_role(snapshot: Snapshot) -> list[Finding]:
    """All role checks; ``role-not-found`` when the execution role does not exist."""
    if snapshot.role is None:
        name = snapshot.names.execution_role
        return [
            Finding(
                "role-not-found",
                Severity.ERROR,
                name,
                f"The execution role `{name}` does not exist.",
                "Create it (infra/terraform/modules/mwaa/iam.tf).",
            )
        ]
    return check_trust(snapshot.role) + check_permissions(snapshot)
