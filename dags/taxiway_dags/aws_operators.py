"""The aws target's curate operator: an EmrAddStepsOperator that survives a gone cluster.

Thin: `execute()` turns the rendered step into calls of `aws_tasks` (find or create the
cluster, reuse a step still running from an earlier try, wait, fail with EMR's reason).
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator

from taxiway_dags import aws_tasks, settings


class CurateStepOperator(EmrAddStepsOperator):
    """Submit the curate step to the environment's live cluster and wait for it."""

    def __init__(self, *, taxiway_env: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.taxiway_env = taxiway_env

    def execute(self, context: Any) -> list[str]:
        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

        env = settings.current(self.taxiway_env)
        emr = self.hook.conn
        ec2 = AwsBaseHook(
            aws_conn_id=self.aws_conn_id, client_type="ec2", region_name=env.region
        ).get_conn()
        kms = AwsBaseHook(
            aws_conn_id=self.aws_conn_id, client_type="kms", region_name=env.region
        ).get_conn()
        cluster_id = aws_tasks.ensure_cluster(emr, ec2, env, self.log, kms=kms)
        context["ti"].xcom_push(key="job_flow_id", value=cluster_id)
        step = self.steps[0]
        step_id = aws_tasks.active_step(emr, cluster_id, step["Name"])
        if step_id:
            self.log.warning("Step `%s` of this hour is still active: waiting for it", step_id)
        else:
            step_id = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"][0]
            self.log.info("Submitted EMR step `%s` to cluster `%s`", step_id, cluster_id)
        aws_tasks.wait_for_step(
            emr, cluster_id, step_id, self.waiter_delay, self.waiter_max_attempts
        )
        return [step_id]
