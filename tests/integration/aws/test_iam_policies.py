"""Each role's Terraform policy is what its code calls: the calls recorded on the twin are
all granted, and every grant is used by a call (or is AWS's own need, named with why).

MWAA execution role: the DAG's aws tasks (curate's cluster and step calls, register
partitions, the four reports) run in this process with their own hooks against the twin,
every botocore call recorded; what Athena does with the caller's credentials for each
statement (read the tables it queries, write the UNLOAD prefix and the results, update the
switched table) is derived from the statement text. The EMR instance role is checked from
the real step in test_job_on_s3.py."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import iam_check as iam
import pytest
from aws_helpers import ACCOUNT, REGION, REPO, bucket, client, create_buckets
from aws_infra import terraform_made_infra

sys.path.insert(0, str(REPO / "dags"))

#: MWAA's own needs (AWS's documented execution role), not calls of the DAG's code
MWAA_SERVICE = {
    "PublishMetrics": "MWAA publishes the environment's metrics",
    "ReadDagsBucket": "MWAA reads its source bucket (DAGs, requirements, plugins, startup)",
    "AccountPublicAccessBlockIsAccountWide": "MWAA checks the source bucket is not public",
    "OwnLogGroups": "MWAA writes the components' CloudWatch logs",
    "DescribeLogGroupsIsAccountWide": "MWAA finds its log groups",
    "MwaaMetricsOnly": "MWAA's CloudWatch metrics",
    "CeleryQueues": "MWAA's Celery executor queues",
    "EnvironmentKey": "MWAA's SQS, S3 and Glue use of the key (its ViaService condition is checked by the recorded calls)",
}


class Recorder:
    """Every botocore call of the test's thread while ``on``: (service, operation, params).

    Only that thread: the twin's emulators run in its server threads of this process and
    make calls of their own, which are not the DAG's.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.on = False
        self.thread = threading.get_ident()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        recorder = self

        def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if recorder.on and threading.get_ident() == recorder.thread:
                recorder.calls.append((client.meta.service_model.service_name, operation, params))
            return original(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", call)


def athena_needs(query: str, glue: Any, output: str) -> list[iam.Need]:
    """What Athena does with the caller's credentials to run ``query`` (Athena's docs:
    the caller needs Glue and S3 access to every table read and location written)."""
    import sqlglot
    from sqlglot import exp

    db = "taxiway_sandbox"
    why = f"athena: {query.split()[0]} ..."
    out: list[iam.Need] = []

    def table(name: str, update: bool = False) -> dict[str, Any]:
        t = glue.get_table(DatabaseName=db, Name=name)["Table"]
        actions = ["GetDatabase", "GetTable"] + (["UpdateTable"] if update else [])
        actions += ["GetPartitions"] if t.get("PartitionKeys") and not update else []
        for a in actions:
            params = (
                {"DatabaseName": db} if a == "GetDatabase" else {"DatabaseName": db, "Name": name}
            )
            out.extend(iam.needs("glue", a, params))
        return t

    if query.startswith("UNLOAD"):
        inner = query[query.index("(") + 1 : query.rindex(") TO ")]
        target = query.split(" TO '", 1)[1].split("'", 1)[0]
        tree = sqlglot.parse_one(inner, read="athena")
        ctes = {c.alias for c in tree.find_all(exp.CTE)}
        for name in sorted({t.name for t in tree.find_all(exp.Table)} - ctes):
            location = table(name)["StorageDescriptor"]["Location"]
            b, _, prefix = location[5:].partition("/")
            out += iam._s3("s3:ListBucket", b, None, why)
            out += iam._s3("s3:GetObject", b, f"{prefix.rstrip('/')}/part.parquet".lstrip("/"), why)
        b, _, prefix = target[5:].partition("/")
        out += iam._s3("s3:ListBucket", b, None, f"{why} (the target must be empty)")
        for action in ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"):
            out += iam._s3(action, b, f"{prefix}part.parquet", why)
    elif query.startswith("ALTER TABLE"):
        table(query.split()[2], update=True)
    else:
        raise AssertionError(f"no Athena model for {query[:40]!r}")
    b, _, prefix = output[5:].partition("/")
    out += iam._s3("s3:GetBucketLocation", b, None, f"{why} (results)")
    out += iam._s3("s3:PutObject", b, f"{prefix}query.csv", f"{why} (results)")
    return out


@pytest.fixture
def mwaa_calls(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[list[iam.Need], str]]:
    from moto.emr.models import emr_backends
    from taxiway_dags import aws_tasks, settings

    from taxiway.catalog.glue import table_inputs
    from taxiway.twin import _s3
    from taxiway.twin.athena import AthenaEmulator

    monkeypatch.setenv("TAXIWAY_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setattr(_s3, "ENDPOINT", aws)
    monkeypatch.setattr(aws_tasks, "ATHENA_POLL_SECONDS", 0.2)
    infra = terraform_made_infra()
    create_buckets(("landing", "curated", "reports", "artifacts", "mwaa", "logs"))
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": "taxiway_sandbox"})
    for t in table_inputs(bucket("curated"), bucket("reports")):
        glue.create_table(DatabaseName="taxiway_sandbox", TableInput=t)
    output = f"s3://{bucket('artifacts')}/athena-results/"
    client("athena").create_work_group(
        Name="taxiway-sandbox", Configuration={"ResultConfiguration": {"OutputLocation": output}}
    )
    run_id = "20261123T05-scheduled"
    manifest = {
        "run_id": run_id,
        "finished_at": "2026-11-23T06:12:00+00:00",
        "files_written": [
            "curated/events/event_date=2026-11-23/landing_hour=2026-11-23T05.parquet"
        ],
        "hours": {
            "2026-11-23T05": {
                "input_records": 1,
                "curated_new": 1,
                "duplicates": 0,
                "quarantined": 0,
            }
        },
    }
    client("s3").put_object(
        Bucket=bucket("curated"), Key=f"manifests/runs/{run_id}.json", Body=json.dumps(manifest)
    )
    athena = AthenaEmulator(REGION, tmp_path / "athena").start()
    recorder = Recorder()
    recorder.install(monkeypatch)
    env = settings.current("sandbox")
    log = logging.getLogger("test")
    try:
        recorder.on = True
        # curate: the operator's calls, with the hooks' clients (CurateStepOperator.execute)
        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

        def hook(kind: str) -> Any:
            return AwsBaseHook(client_type=kind, region_name=env.region).get_conn()

        emr, ec2, kms = hook("emr"), hook("ec2"), hook("kms")
        hour = "2026-11-23T05"
        step = {
            "Name": aws_tasks.step_name(hour),
            "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {
                "Jar": "command-runner.jar",
                "Args": aws_tasks.curate_args(env, hour, run_id),
            },
        }
        cluster = aws_tasks.ensure_cluster(emr, ec2, env, log, kms=kms)
        assert aws_tasks.active_step(emr, cluster, step["Name"]) is None
        (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[step])["StepIds"]
        recorder.on = False
        for backend in emr_backends[ACCOUNT].values():  # the step ran (test_twin runs it)
            found = getattr(backend, "clusters", {}).get(cluster)
            for moto_step in found.steps if found else []:
                moto_step.state = "COMPLETED"
        recorder.on = True
        aws_tasks.wait_for_step(emr, cluster, step_id, 1, 3)
        assert aws_tasks.ensure_cluster(emr, ec2, env, log, kms=kms) == cluster
        aws_tasks.register_partitions("sandbox", run_id)
        for report in settings.REPORTS:
            aws_tasks.build_report("sandbox", report, run_id, "1")
        # two more refreshes of one report: the third deletes the oldest prefix
        for attempt in ("2", "3"):
            aws_tasks.build_report("sandbox", settings.REPORTS[0], run_id, attempt)
        recorder.on = False
        assert [s for s in athena.statements if s[1] != "SUCCEEDED"] == []
        needs = [n for c in recorder.calls for n in iam.needs(*c)]
        for service, op, params in recorder.calls:
            if service == "athena" and op == "StartQueryExecution":
                needs += athena_needs(params["QueryString"], glue, output)
        yield needs, infra["key"]
    finally:
        athena.stop()


def test_mwaa_role_is_what_the_dag_calls(
    terraform_hcl: iam.h.Parsed, mwaa_calls: tuple[list[iam.Need], str]
) -> None:
    hcl = terraform_hcl
    needs, key = mwaa_calls
    actions = {n.action for n in needs}
    # what was recorded: each task's calls reached the twin
    assert {
        "elasticmapreduce:RunJobFlow",
        "elasticmapreduce:AddJobFlowSteps",
        "elasticmapreduce:PutAutoTerminationPolicy",
        "iam:PassRole",
        "glue:BatchCreatePartition",
        "glue:UpdateTable",
        "athena:StartQueryExecution",
        "s3:DeleteObject",
        "kms:DescribeKey",
    } <= actions
    policy = iam.statements(hcl, "modules/mwaa", "execution", iam.values(key))
    missing, over = iam.compare(needs, policy, key, MWAA_SERVICE)
    assert missing == [], "missing grants:\n" + "\n".join(missing)
    assert over == [], "granted but never called:\n" + "\n".join(over)
    # the check can fail both ways (one recording: the tasks take a while)
    wider = [*policy, iam.Statement("Extra", ["glue:DeleteTable"], [f"{iam.GLUE}:table/*"])]
    assert iam.compare(needs, wider, key, MWAA_SERVICE)[1] == [
        f"Extra: glue:DeleteTable on {iam.GLUE}:table/*"
    ]
    narrower = [st for st in policy if "glue:BatchCreatePartition" not in st.actions]
    missing = iam.compare(needs, narrower, key, MWAA_SERVICE)[0]
    assert missing and all("glue:BatchCreatePartition" in m for m in missing)
