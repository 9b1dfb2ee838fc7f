"""Build taxiway's DAGs. Task ids are the same on every target; operators differ.

    curate  >>  register_partitions  >>  [report_<name> for each report]

local: PythonOperators calling the taxiway package (DuckDB, folders, a DuckDB warehouse).
aws:   EmrAddStepsOperator (a spark-submit EMR step, waits for completion, as Livy tasks
       did) and AthenaOperators (MSCK REPAIR, then one UNLOAD per report).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from taxiway_dags import settings
from taxiway_dags.compat import DAG, PythonOperator

DEFAULT_ARGS = {"owner": "data-platform", "retries": 2, "retry_delay": timedelta(minutes=5)}


def hourly_dag(env_name: str | None = None) -> Any:
    """The hourly pipeline DAG for the current environment."""
    env = settings.current(env_name)
    dag = DAG(
        dag_id="taxiway_hourly",
        description="Curate the landing hour, register partitions, rebuild reports",
        schedule="@hourly",
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["taxiway", env.name],
        template_searchpath=[str(settings.HERE / "sql")],
    )
    with dag:
        if env.target == "local":
            curate, register, reports = _local_tasks(env)
        else:
            curate, register, reports = _aws_tasks(env)
        curate >> register >> reports
    return dag


def _local_tasks(env: settings.DagEnv) -> tuple[Any, Any, list[Any]]:
    from taxiway_dags import local_tasks

    curate = PythonOperator(
        task_id="curate", python_callable=local_tasks.curate, op_kwargs={"env": env.name}
    )
    register = PythonOperator(
        task_id="register_partitions",
        python_callable=local_tasks.register_partitions,
        op_kwargs={"env": env.name},
    )
    reports = [
        PythonOperator(
            task_id=f"report_{name}",
            python_callable=local_tasks.build_report,
            op_kwargs={"env": env.name, "report": name},
        )
        for name in settings.REPORTS
    ]
    return curate, register, reports


def _aws_tasks(env: settings.DagEnv) -> tuple[Any, Any, list[Any]]:
    from airflow.providers.amazon.aws.operators.athena import AthenaOperator
    from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator

    hour = "{{ data_interval_start.strftime('%Y-%m-%dT%H') }}"
    curate = EmrAddStepsOperator(
        task_id="curate",
        job_flow_name=env.cluster_name,
        cluster_states=["WAITING", "RUNNING"],
        wait_for_completion=True,
        steps=[
            {
                "Name": f"taxiway curate {hour}",
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": [
                        "spark-submit",
                        "--deploy-mode",
                        "cluster",
                        f"s3://{env.bucket('artifacts')}/jobs/curate_spark.py",
                        "--landing-root",
                        f"s3://{env.bucket('landing')}",
                        "--root",
                        f"s3://{env.bucket('curated')}",
                        "--from",
                        hour,
                        "--to",
                        hour,
                        "--lookback-days",
                        str(env.late_event_lookback_days),
                    ],
                },
            }
        ],
    )
    athena: dict[str, Any] = {"database": env.glue_database, "workgroup": env.workgroup}
    register = AthenaOperator(
        task_id="register_partitions", query="MSCK REPAIR TABLE events", **athena
    )
    reports = [
        AthenaOperator(
            task_id=f"report_{name}",
            query="athena_report.sql",
            params={
                "report": name,
                "location": f"s3://{env.bucket('reports')}/{name}",
                "attribution_window_days": env.attribution_window_days,
            },
            **athena,
        )
        for name in settings.REPORTS
    ]
    return curate, register, reports
