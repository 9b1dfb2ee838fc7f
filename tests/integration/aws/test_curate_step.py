"""The curate task's EMR logic against moto's server: cluster lifecycle, one step per hour,
a failed step's reason in the error. (The twin test runs the whole DAG; this is the fast,
targeted half.)"""

from __future__ import annotations

import logging
import sys

import pytest
from aws_helpers import ACCOUNT, REPO, client

sys.path.insert(0, str(REPO / "dags"))

from taxiway_dags import aws_tasks, settings

LOG = logging.getLogger("test")


@pytest.fixture
def env(aws: str, monkeypatch: pytest.MonkeyPatch) -> settings.DagEnv:
    monkeypatch.setenv("TAXIWAY_ACCOUNT_ID", ACCOUNT)
    return settings.current("sandbox")


def _step(env: settings.DagEnv, hour: str) -> dict[str, object]:
    return {
        "Name": aws_tasks.step_name(hour),
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": aws_tasks.curate_args(env, hour, "r1"),
        },
    }


def test_cluster_is_found_or_created_from_the_spec(env: settings.DagEnv) -> None:
    emr, ec2 = client("emr"), client("ec2")
    created = aws_tasks.ensure_cluster(emr, ec2, env, LOG)
    cluster = emr.describe_cluster(ClusterId=created)["Cluster"]
    assert cluster["Name"] == "taxiway-sandbox"
    assert cluster["ReleaseLabel"] == "emr-7.12.0"
    assert cluster["StepConcurrencyLevel"] == 1
    assert {t["Key"]: t["Value"] for t in cluster["Tags"]}["taxiway:env"] == "sandbox"
    assert cluster["ServiceRole"] == "taxiway-sandbox-emr-service"
    assert aws_tasks.ensure_cluster(emr, ec2, env, LOG) == created  # alive: reused
    emr.terminate_job_flows(JobFlowIds=[created])
    again = aws_tasks.ensure_cluster(emr, ec2, env, LOG)
    assert again != created  # terminated: a new one, not a failure
    emr.run_job_flow(**aws_tasks.cluster_spec(env, None))  # a second live one by hand
    with pytest.raises(RuntimeError, match="2 live EMR clusters are named `taxiway-sandbox`"):
        aws_tasks.ensure_cluster(emr, ec2, env, LOG)


def test_a_running_step_of_the_hour_is_reused_and_a_failed_one_explains_itself(
    env: settings.DagEnv,
) -> None:
    from moto.emr.models import emr_backends

    emr, ec2 = client("emr"), client("ec2")
    cluster = aws_tasks.ensure_cluster(emr, ec2, env, LOG)
    (first,) = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[_step(env, "2026-11-23T05")])[
        "StepIds"
    ]
    # a retry of the same hour finds the step still running; another hour does not
    assert aws_tasks.active_step(emr, cluster, "taxiway curate 2026-11-23T05") == first
    assert aws_tasks.active_step(emr, cluster, "taxiway curate 2026-11-23T06") is None
    backend = next(
        b for b in emr_backends[ACCOUNT].values() if cluster in getattr(b, "clusters", {})
    )
    (step,) = [s for s in backend.clusters[cluster].steps if s.id == first]
    step.state = "FAILED"
    step.last_state_change_reason = "ModuleNotFoundError: No module named 'taxiway'"
    with pytest.raises(RuntimeError) as err:
        aws_tasks.wait_for_step(emr, cluster, first, delay=1, attempts=3)
    assert "ended FAILED" in str(err.value)
    assert "No module named 'taxiway'" in str(err.value)
    assert aws_tasks.active_step(emr, cluster, "taxiway curate 2026-11-23T05") is None
    # a step that outlives the waiter: the message says a retry will wait for it
    (second,) = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[_step(env, "2026-11-23T06")])[
        "StepIds"
    ]
    with pytest.raises(RuntimeError, match=r"still (PENDING|RUNNING).*waits for the same step"):
        aws_tasks.wait_for_step(emr, cluster, second, delay=1, attempts=1)
