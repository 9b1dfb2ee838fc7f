"""The aws target's tasks: EMR step for curate, Glue partitions from the run manifest, Athena reports.

Runs on MWAA, so it imports only Airflow and the amazon provider (which brings boto3); the
hooks are created inside the callables. Order of work in one run of hour H:

1. `curate` finds the environment's EMR cluster (WAITING or RUNNING) or creates it from the
   spec below when none is alive: the DAG owns the cluster, EMR's idle timeout ends it,
   then submits one spark-submit step with a run id derived from the Airflow run and waits
   for it; a step of the same hour still PENDING/RUNNING (an earlier try whose waiter gave up)
   is waited for instead of submitting a duplicate. A FAILED step fails the task with EMR's
   failure reason in the log and the exception.
2. `register_partitions` reads that run's manifest from the curated bucket, adds the Glue
   partitions of the event dates it wrote (`BatchCreatePartition`, existing ones kept: no
   `MSCK REPAIR`), and writes the hour's counts as one JSON line under `hourly_counts/`.
3. `report_<name>` UNLOADs the report as Parquet to a run-scoped prefix
   (`s3://<reports>/<name>/run=<run id>/`) and then points the Glue table at it
   (`ALTER TABLE ... SET LOCATION`): a BI query sees the old report or the new one, never an
   empty, doubled or half-written one. Prefixes older than the previous one are deleted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from taxiway_dags import settings

#: The run id the DAG hands the job: one per Airflow run (a retry of curate reuses it, and
#: register_partitions finds the manifest by it), safe in S3 keys and Hadoop paths.
RUN_ID = (
    "{{ data_interval_start.strftime('%Y%m%dT%H') }}-"
    "{{ run_id | replace(':', '') | replace('+', '') | replace('.', '') }}"
)
HOUR = "{{ data_interval_start.strftime('%Y-%m-%dT%H') }}"
ALIVE = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")
#: how often a report task polls Athena (a report refresh takes seconds, not minutes)
ATHENA_POLL_SECONDS = 2
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def step_name(hour: str) -> str:
    return f"taxiway curate {hour}"


def curate_args(env: settings.DagEnv, hour: str, run_id: str) -> list[str]:
    """The EMR step's command line: the contract `taxiway.jobs.curate_spark` parses.

    The driver (in YARN's application master, deploy mode cluster) gets ``AWS_REGION``: the
    job's S3 lock never guesses a region, and an EC2 node's environment has none.
    """
    if not env.region:
        raise ValueError(
            f"Environment `{env.name}` has no region in taxiway.yaml; the EMR step needs one."
        )
    artifacts = f"s3://{env.bucket('artifacts')}/jobs"
    return [
        "spark-submit",
        "--deploy-mode",
        "cluster",
        "--py-files",
        f"{artifacts}/taxiway_jobs.zip",
        "--conf",
        f"spark.yarn.appMasterEnv.AWS_REGION={env.region}",
        f"{artifacts}/curate_spark.py",
        "--landing-root",
        f"s3://{env.bucket('landing')}",
        "--topics-dir",
        env.topics_dir,
        "--topic",
        env.topic,
        "--root",
        f"s3://{env.bucket('curated')}",
        "--from",
        hour,
        "--to",
        hour,
        "--lookback-days",
        str(env.late_event_lookback_days),
        "--future-tolerance-hours",
        str(env.future_tolerance_hours),
        "--max-line-bytes",
        str(env.max_line_bytes),
        "--run-id",
        run_id,
    ]


#: dynamic overwrite replaces only the partitions a run writes. No Glue metastore: the job
#: reads and writes by path and MWAA registers the partitions, so the instance role has no
#: Glue access at all (infra/terraform/modules/emr/iam.tf)
CONFIGURATIONS = (
    {
        "Classification": "spark-defaults",
        "Properties": {"spark.sql.sources.partitionOverwriteMode": "dynamic"},
    },
)
#: one gp3 volume per node (GiB): the primary holds logs, the core nodes Spark's shuffle
VOLUMES = {"MASTER": 64, "CORE": 256}


def _group(name: str, role: str, instance_type: str, count: int) -> dict[str, Any]:
    volume = {"VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": VOLUMES[role]}}
    return {
        "Name": name,
        "InstanceRole": role,
        "InstanceType": instance_type,
        "InstanceCount": count,
        "EbsConfiguration": {"EbsBlockDeviceConfigs": [{**volume, "VolumesPerInstance": 1}]},
    }


def cluster_spec(
    env: settings.DagEnv, subnet_id: str | None, groups: dict[str, str] | None = None
) -> dict[str, Any]:
    """RunJobFlow arguments for the environment's cluster: the one spec of it.

    The DAG owns the cluster (docs/deploy.md, "Who owns the EMR cluster"): Terraform makes
    what it is built from (roles, instance profile, security configuration, security
    groups, the private subnet, the key; names per `taxiway.naming`, found in ``groups``),
    this spec says how it is built, and EMR ends it after `emr_idle_timeout_minutes`
    without steps, so no cluster outlives its use.
    """
    groups = groups or {}
    sizing = env.raw.get("sizing", {})
    project, name = env.project, env.name
    instances: dict[str, Any] = {
        "InstanceGroups": [
            _group("primary", "MASTER", sizing.get("emr_primary_instance_type", "m5.xlarge"), 1),
            _group(
                "core",
                "CORE",
                sizing.get("emr_core_instance_type", "m5.xlarge"),
                int(sizing.get("emr_core_instance_count", 1)),
            ),
        ],
        "KeepJobFlowAliveWhenNoSteps": True,
        "TerminationProtected": False,
    }
    if subnet_id:
        instances["Ec2SubnetId"] = subnet_id
    for field_name, suffix in (
        ("EmrManagedMasterSecurityGroup", "emr-primary"),
        ("EmrManagedSlaveSecurityGroup", "emr-core"),
        ("ServiceAccessSecurityGroup", "emr-service-access"),
    ):
        if groups.get(suffix):
            instances[field_name] = groups[suffix]
    if groups.get("emr-debug"):  # the Client VPN's way to the web UIs (sandbox and test)
        instances["AdditionalMasterSecurityGroups"] = [groups["emr-debug"]]
    spec: dict[str, Any] = {
        "Name": env.cluster_name,
        "ReleaseLabel": env.raw.get("emr_release", "emr-7.12.0"),
        "Applications": [{"Name": "Spark"}, {"Name": "Hadoop"}],
        "Configurations": [dict(c) for c in CONFIGURATIONS],
        "Instances": instances,
        "ServiceRole": settings.naming.emr_service_role(project, name),
        "JobFlowRole": settings.naming.emr_instance_profile(project, name),
        "LogUri": f"s3://{env.bucket('logs')}/emr/",
        "StepConcurrencyLevel": 1,
        "AutoTerminationPolicy": {
            "IdleTimeout": 60 * int(env.raw.get("emr_idle_timeout_minutes", 60))
        },
        "Tags": [
            # taxiway:env scopes the MWAA role's and DataEngineer's EMR permissions
            {"Key": "taxiway:env", "Value": name},
            {"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"},
        ],
        "VisibleToAllUsers": True,
    }
    if groups.get("security-configuration"):
        spec["SecurityConfiguration"] = groups["security-configuration"]
    if groups.get("log-key"):
        spec["LogEncryptionKmsKeyId"] = groups["log-key"]
    return spec


def _private_subnet(ec2: Any, env: settings.DagEnv) -> str | None:
    """The first private subnet of the environment's VPC (Name tag, `Tier=private`)."""
    vpcs = ec2.describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": [settings.naming.vpc_name(env.project, env.name)]}]
    )["Vpcs"]
    if not vpcs:
        return None
    subnets = ec2.describe_subnets(
        Filters=[
            {"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]},
            {"Name": "tag:Tier", "Values": ["private"]},
        ]
    )["Subnets"]
    return sorted(s["SubnetId"] for s in subnets)[0] if subnets else None


def _cluster_groups(emr: Any, ec2: Any, env: settings.DagEnv, kms: Any = None) -> dict[str, str]:
    """Terraform's EMR security groups (by name), security configuration and key, if present."""
    stem = env.cluster_name
    suffixes = ("emr-primary", "emr-core", "emr-service-access", "emr-debug")
    names = [f"{stem}-{suffix}" for suffix in suffixes]
    found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": names}])
    out = {g["GroupName"][len(stem) + 1 :]: g["GroupId"] for g in found["SecurityGroups"]}
    try:
        emr.describe_security_configuration(Name=f"{stem}-encryption")
    except emr.exceptions.ClientError:
        pass  # no Terraform-made configuration: the cluster gets EMR's defaults
    else:
        out["security-configuration"] = f"{stem}-encryption"
    if kms is not None:
        alias = settings.naming.kms_alias(env.project, env.name)
        try:
            out["log-key"] = kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
        except kms.exceptions.ClientError:  # no environment key: S3's own keys for the logs
            out.pop("log-key", None)
    return out


def ensure_cluster(emr: Any, ec2: Any, env: settings.DagEnv, log: Any, kms: Any = None) -> str:
    """The id of the environment's live cluster, creating it when none is alive.

    A cluster created and then lost by a task that died is found by name on the retry, so
    a retry never makes a second one.
    """
    found = [
        c
        for page in emr.get_paginator("list_clusters").paginate(ClusterStates=list(ALIVE))
        for c in page["Clusters"]
        if c["Name"] == env.cluster_name
    ]
    if len(found) > 1:
        raise RuntimeError(
            f"{len(found)} live EMR clusters are named `{env.cluster_name}`; terminate the "
            "extra ones so that curate steps run one at a time on one cluster."
        )
    if found:
        return str(found[0]["Id"])
    log.warning("No live EMR cluster `%s`: creating one from the environment's spec", env.name)
    groups = _cluster_groups(emr, ec2, env, kms)
    spec = cluster_spec(env, _private_subnet(ec2, env), groups)
    return str(emr.run_job_flow(**spec)["JobFlowId"])


def active_step(emr: Any, cluster_id: str, name: str) -> str | None:
    """A PENDING/RUNNING step called ``name`` (an earlier try of this hour still running)."""
    steps = emr.list_steps(ClusterId=cluster_id, StepStates=["PENDING", "RUNNING"])["Steps"]
    ids = [s["Id"] for s in steps if s["Name"] == name]
    return str(ids[0]) if ids else None


def failure_reason(emr: Any, cluster_id: str, step_id: str) -> str:
    """EMR's words for why a step failed (FailureDetails, else the state change reason)."""
    status = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]
    details = status.get("FailureDetails") or {}
    parts = [details.get("Reason"), details.get("Message"), details.get("LogFile")]
    reason = "; ".join(p for p in parts if p)
    return reason or str(
        (status.get("StateChangeReason") or {}).get("Message") or "no reason given"
    )


def read_manifest(s3: Any, bucket: str, run_id: str) -> dict[str, Any]:
    """The job's run manifest (`manifests/runs/<run_id>.json` in the curated bucket)."""
    key = f"manifests/runs/{run_id}.json"
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey as exc:
        raise RuntimeError(
            f"The curate step left no run manifest `s3://{bucket}/{key}`; check the step's log."
        ) from exc
    doc: dict[str, Any] = json.loads(body)
    return doc


def register_partitions(env: str, run_id: str, **_: Any) -> dict[str, Any]:
    """Add the Glue partitions the run wrote and its hours' counts rows; return what it did."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    denv = settings.current(env)
    s3 = AwsBaseHook(client_type="s3", region_name=denv.region).get_conn()
    glue = AwsBaseHook(client_type="glue", region_name=denv.region).get_conn()
    curated = denv.bucket("curated")
    manifest = read_manifest(s3, curated, run_id)
    dates = sorted(
        {
            f.split("/")[2].split("=", 1)[1]
            for f in manifest.get("files_written", [])
            if f.startswith("curated/events/event_date=")
        }
    )
    table = glue.get_table(DatabaseName=denv.glue_database, Name="events")["Table"]
    sd = table["StorageDescriptor"]
    base = sd["Location"].rstrip("/")
    entries = [
        {"Values": [d], "StorageDescriptor": {**sd, "Location": f"{base}/event_date={d}/"}}
        for d in dates
    ]
    added = 0
    for i in range(0, len(entries), 100):  # the API takes at most 100 per call
        resp = glue.batch_create_partition(
            DatabaseName=denv.glue_database,
            TableName="events",
            PartitionInputList=entries[i : i + 100],
        )
        errors = [
            e
            for e in resp.get("Errors", [])
            if e["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"
        ]
        if errors:
            raise RuntimeError(f"Glue refused partitions of `events`: {errors}")
        added += len(entries[i : i + 100]) - len(resp.get("Errors", []))
    for hour, counts in sorted(manifest.get("hours", {}).items()):
        stamp = hour.replace("T", " ") + ":00:00"  # a Hive timestamp, like quarantine's
        row = {**counts, "landing_hour": stamp, "run_id": manifest["run_id"]}
        row["finished_at"] = manifest.get("finished_at")
        # one compact line per hour (Athena's JSON SerDe reads one object per line); a
        # rerun of the hour overwrites the same key
        s3.put_object(
            Bucket=curated,
            Key=f"hourly_counts/landing_hour={hour}.json",
            Body=(json.dumps(row, sort_keys=True) + "\n").encode(),
        )
    return {"event_dates": dates, "partitions_added": added, "hours": sorted(manifest["hours"])}


def report_sql(name: str, params: dict[str, int]) -> str:
    """The report's Athena SQL with its integer parameters filled in.

    The files in `taxiway_dags/sql/` are the single source, `taxiway/sql/*.sql` (symlinks
    in the repo, copies in the bundle `taxiway deploy` uploads).
    """
    text = (Path(__file__).parent / "sql" / f"{name}.sql").read_text(encoding="utf-8")

    def fill(m: re.Match[str]) -> str:
        value = params[m.group(1)]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"SQL parameter `{m.group(1)}` must be a non-negative integer")
        return str(value)

    return _PLACEHOLDER.sub(fill, text).strip().rstrip(";")


def report_statements(
    env: settings.DagEnv, name: str, run_id: str, attempt: str = "1"
) -> tuple[str, str, str]:
    """(UNLOAD to a prefix of this run and try, ALTER TABLE SET LOCATION, that prefix).

    Athena's UNLOAD refuses a non-empty destination, so every try gets its own prefix, and
    its grammar takes no WITH clause inside UNLOAD (...): every report starts with one, so
    the report is wrapped in a subquery (Athena allows WITH there).
    """
    prefix = f"s3://{env.bucket('reports')}/{name}/run={run_id}-{attempt}/"
    sql = report_sql(name, {"attribution_window_days": env.attribution_window_days})
    unload = f"UNLOAD (SELECT * FROM (\n{sql}\n)) TO '{prefix}' WITH (format = 'PARQUET', compression = 'SNAPPY')"
    switch = f"ALTER TABLE {name} SET LOCATION '{prefix}'"
    return unload, switch, prefix


def build_report(env: str, report: str, run_id: str, attempt: str = "1", **_: Any) -> str:
    """UNLOAD one report to a fresh prefix, then switch its table there; return the prefix."""
    from airflow.providers.amazon.aws.hooks.athena import AthenaHook
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    denv = settings.current(env)
    hook = AthenaHook(region_name=denv.region)
    glue = AwsBaseHook(client_type="glue", region_name=denv.region).get_conn()
    s3 = AwsBaseHook(client_type="s3", region_name=denv.region).get_conn()
    table = glue.get_table(DatabaseName=denv.glue_database, Name=report)["Table"]
    previous = table["StorageDescriptor"]["Location"]
    unload, switch, prefix = report_statements(denv, report, run_id, str(attempt))
    for statement in (unload, switch):
        query_id = hook.run_query(
            query=statement,
            query_context={"Database": denv.glue_database},
            result_configuration={},
            workgroup=denv.workgroup,
        )
        state = hook.poll_query_status(query_id, sleep_time=ATHENA_POLL_SECONDS)
        if state != "SUCCEEDED":
            reason = hook.get_state_change_reason(query_id)
            raise RuntimeError(
                f"Athena query `{query_id}` for report `{report}` ended {state}: {reason}"
            )
    expire_old_prefixes(s3, denv.bucket("reports"), report, keep=(prefix, previous))
    return prefix


def expire_old_prefixes(s3: Any, bucket: str, report: str, keep: tuple[str, ...]) -> list[str]:
    """Delete a report's run prefixes but the current and the previous one.

    The previous one stays because a BI query planned just before the switch may still
    read it; older ones nothing points at. Returns the prefixes deleted.
    """
    keep_keys = {k.split(f"s3://{bucket}/", 1)[-1].rstrip("/") + "/" for k in keep}
    deleted = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{report}/run=", Delimiter="/"
    )
    for page in pages:
        for common in page.get("CommonPrefixes", []):
            old = common["Prefix"]
            if old in keep_keys:
                continue
            objects = s3.list_objects_v2(Bucket=bucket, Prefix=old).get("Contents", [])
            if objects:
                s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": o["Key"]} for o in objects]}
                )
            deleted.append(old)
    return deleted


def wait_for_step(emr: Any, cluster_id: str, step_id: str, delay: int, attempts: int) -> None:
    """Wait for the step; FAILED or CANCELLED raises with EMR's reason, so it is in the log."""
    from botocore.exceptions import WaiterError

    try:
        emr.get_waiter("step_complete").wait(
            ClusterId=cluster_id,
            StepId=step_id,
            WaiterConfig={"Delay": delay, "MaxAttempts": attempts},
        )
    except WaiterError as exc:
        state = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]["State"]
        if state in ("PENDING", "RUNNING"):
            raise RuntimeError(
                f"EMR step `{step_id}` on `{cluster_id}` is still {state} after "
                f"{delay * attempts // 60} minutes (pipeline.curate_timeout_minutes); a retry "
                "waits for the same step instead of submitting another."
            ) from exc
        raise RuntimeError(
            f"EMR step `{step_id}` on `{cluster_id}` ended {state}: "
            f"{failure_reason(emr, cluster_id, step_id)}"
        ) from exc
