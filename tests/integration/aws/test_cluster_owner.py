"""One owner of the EMR cluster (docs/deploy.md, "Who owns the EMR cluster"): Terraform
makes what a cluster is built from, the DAG's curate task creates the cluster when none is
alive, and EMR's idle timeout ends it. On the twin: apply, three hourly runs, idle
termination, a run, apply again, a run: never two live clusters of one name, every
cluster the DAG made carries the whole spec, and none is left that nothing ends.

"apply" is a stand-in that does to EMR what `terraform apply` of the sandbox root does:
it (re-)creates every `aws_emr_cluster` the modules declare that is not alive (the real
apply runs in test_terraform_twin.py; this one stays fast)."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import pytest
from aws_helpers import ACCOUNT, REGION, REPO, client
from aws_infra import terraform_made_infra

sys.path.insert(0, str(REPO / "dags"))

from taxiway_dags import aws_tasks, settings

LOG = logging.getLogger("test")
NAME = "taxiway-sandbox"
MODULES = REPO / "infra" / "terraform" / "modules"


def _alive(emr: Any) -> list[str]:
    return [
        c["Id"]
        for c in emr.list_clusters(ClusterStates=list(aws_tasks.ALIVE))["Clusters"]
        if c["Name"] == NAME
    ]


def _apply(emr: Any, state: dict[str, str]) -> list[str]:
    """`terraform apply`'s effect on EMR: each declared aws_emr_cluster that is not in
    ``state`` (Terraform's state) or whose cluster is no longer alive is (re-)created."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(MODULES.rglob("*.tf")))
    made = []
    for resource in re.findall(r'^resource "aws_emr_cluster" "(\w+)"', text, re.M):
        if state.get(resource) not in _alive(emr):  # terraform plan: "must be replaced"
            state[resource] = emr.run_job_flow(
                Name=NAME,
                ReleaseLabel="emr-7.12.0",
                Instances={
                    "MasterInstanceType": "m5.xlarge",
                    "InstanceCount": 1,
                    "KeepJobFlowAliveWhenNoSteps": True,
                },
                ServiceRole=f"{NAME}-emr-service",
                JobFlowRole=f"{NAME}-emr-instance",
                AutoTerminationPolicy={"IdleTimeout": 3600},
                Tags=[{"Key": "taxiway:env", "Value": "sandbox"}],
            )["JobFlowId"]
            made.append(state[resource])
    return made


@pytest.fixture
def env(aws: str, monkeypatch: pytest.MonkeyPatch) -> settings.DagEnv:
    monkeypatch.setenv("TAXIWAY_ACCOUNT_ID", ACCOUNT)
    return settings.current("sandbox")


def test_one_owner_of_the_cluster_through_idle_terminations_and_applies(
    env: settings.DagEnv,
) -> None:
    infra = terraform_made_infra()
    emr, ec2, kms = client("emr"), client("ec2"), client("kms")
    sent: dict[str, dict[str, Any]] = {}  # RunJobFlow requests by cluster id (every creator)
    pending: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        pending.append(params)

    def created(response: Any, **_: Any) -> None:
        if pending and isinstance(response, dict) and "JobFlowId" in response:
            sent[response["JobFlowId"]] = pending.pop()

    emr.meta.events.register("provide-client-params.emr.RunJobFlow", record)
    emr.meta.events.register("after-call.emr.RunJobFlow", lambda parsed, **k: created(parsed))
    by_terraform: list[str] = []
    by_dag: list[str] = []
    most_alive = 0
    state: dict[str, str] = {}

    def apply() -> None:
        nonlocal most_alive
        by_terraform.extend(_apply(emr, state))
        most_alive = max(most_alive, len(_alive(emr)))

    def hourly_run(hour: str) -> str:
        nonlocal most_alive
        before = set(_alive(emr))
        cluster = aws_tasks.ensure_cluster(emr, ec2, env, LOG, kms=kms)
        if cluster not in before:
            by_dag.append(cluster)
        step = {
            "Name": aws_tasks.step_name(hour),
            "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {
                "Jar": "command-runner.jar",
                "Args": aws_tasks.curate_args(env, hour, f"{hour}-r"),
            },
        }
        emr.add_job_flow_steps(JobFlowId=cluster, Steps=[step])
        most_alive = max(most_alive, len(_alive(emr)))
        return cluster

    def idle_termination() -> list[str]:
        """EMR ends each live cluster whose auto-termination policy's timeout has passed."""
        ended = [c for c in _alive(emr) if (sent[c].get("AutoTerminationPolicy") or {})]
        if ended:
            emr.terminate_job_flows(JobFlowIds=ended)
        return ended

    apply()
    first = [hourly_run(f"2026-11-23T0{h}") for h in (5, 6, 7)]
    assert len(set(first)) == 1, "the three hours ran on one cluster"
    assert idle_termination() == first[:1]
    fourth = hourly_run("2026-11-23T08")
    apply()
    fifth = hourly_run("2026-11-23T09")

    assert most_alive == 1, "never two live clusters named the same"
    assert by_terraform == [], "Terraform creates no cluster: the DAG owns it"
    assert by_dag == [first[0], fourth] and fifth == fourth
    assert _alive(emr) == [fourth]
    timeout = 60 * int(env.raw["emr_idle_timeout_minutes"])
    for cluster_id in by_dag:  # none orphaned: each ends itself, each is built as designed
        spec = sent[cluster_id]
        assert spec["AutoTerminationPolicy"] == {"IdleTimeout": timeout}
        assert spec["SecurityConfiguration"] == f"{NAME}-encryption"
        assert spec["LogEncryptionKmsKeyId"] == infra["key"]
        instances = spec["Instances"]
        assert instances["Ec2SubnetId"] == infra["private"]
        assert instances["EmrManagedMasterSecurityGroup"] == infra["emr-primary"]
        assert instances["EmrManagedSlaveSecurityGroup"] == infra["emr-core"]
        assert instances["ServiceAccessSecurityGroup"] == infra["emr-service-access"]
        assert instances["AdditionalMasterSecurityGroups"] == [infra["emr-debug"]]
        classifications = {c["Classification"]: c["Properties"] for c in spec["Configurations"]}
        assert "spark-hive-site" not in classifications, "the job uses no metastore"
        assert classifications["spark-defaults"]["spark.sql.sources.partitionOverwriteMode"] == (
            "dynamic"
        )
        volumes = {
            g["InstanceRole"]: g["EbsConfiguration"]["EbsBlockDeviceConfigs"][0]
            for g in instances["InstanceGroups"]
        }
        assert volumes["MASTER"]["VolumeSpecification"] == {"VolumeType": "gp3", "SizeInGB": 64}
        assert volumes["CORE"]["VolumeSpecification"] == {"VolumeType": "gp3", "SizeInGB": 256}
        tags = {t["Key"]: t["Value"] for t in spec["Tags"]}
        assert tags["taxiway:env"] == "sandbox"
        described = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
        assert described["Name"] == NAME and described["ReleaseLabel"] == env.raw["emr_release"]
    assert env.region == REGION
