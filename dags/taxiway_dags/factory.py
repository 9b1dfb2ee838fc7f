"""Build taxiway's DAGs. Task ids are the same on every target; operators differ.

    settle  >>  curate  >>  register_partitions  >>  [report_<name> for each report]

Each run covers one landing hour [H, H+1h) and starts when it has finished;
`settle` waits `pipeline.settle_minutes` past its end for the sink's last flush; `curate`
curates hour H (`data_interval_start`). Catchup is on and one run is active at a time, so
missed hours are curated in order, each once, and `airflow dags backfill` does the same.

local: PythonOperators calling the taxiway package (DuckDB, folders, a DuckDB warehouse).
aws:   a spark-submit EMR step (`aws_operators.CurateStepOperator`), Glue partitions from
       the run's manifest, and one Athena UNLOAD + table switch per report (`aws_tasks`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from taxiway_dags import settings
from taxiway_dags.compat import DAG, CronDataIntervalTimetable, PythonOperator, TimeDeltaSensor

DEFAULT_ARGS = {"owner": "data-platform", "retries": 2, "retry_delay": timedelta(minutes=5)}
#: the EMR step waiter polls this often (seconds); attempts follow curate_timeout_minutes
STEP_POLL_SECONDS = 30


def hourly_dag(env_name: str | None = None, start_date: datetime | None = None) -> Any:
    """The hourly pipeline DAG for the current environment (catchup from its start hour)."""
    env = settings.current(env_name)
    start_date = start_date or env.start
    dag = DAG(
        dag_id="taxiway_hourly",
        description="Curate the finished landing hour, register partitions, rebuild reports",
        schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
        start_date=start_date,
        catchup=env.catchup,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["taxiway", env.name],
    )
    with dag:
        settle = TimeDeltaSensor(
            task_id="settle",
            delta=timedelta(minutes=env.settle_minutes),
            mode="reschedule",
            poke_interval=60,
        )
        if env.target == "local":
            curate, register, reports = _local_tasks(env)
        else:
            curate, register, reports = _aws_tasks(env)
        settle >> curate >> register >> reports
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
    from taxiway_dags import aws_tasks
    from taxiway_dags.aws_operators import CurateStepOperator

    curate = CurateStepOperator(
        task_id="curate",
        taxiway_env=env.name,
        job_flow_name=env.cluster_name,
        region_name=env.region,
        steps=[
            {
                "Name": aws_tasks.step_name(aws_tasks.HOUR),
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": aws_tasks.curate_args(env, aws_tasks.HOUR, aws_tasks.RUN_ID),
                },
            }
        ],
        waiter_delay=STEP_POLL_SECONDS,
        waiter_max_attempts=max(1, env.curate_timeout_minutes * 60 // STEP_POLL_SECONDS),
    )
    register = PythonOperator(
        task_id="register_partitions",
        python_callable=aws_tasks.register_partitions,
        op_kwargs={"env": env.name, "run_id": aws_tasks.RUN_ID},
    )
    reports = [
        PythonOperator(
            task_id=f"report_{name}",
            python_callable=aws_tasks.build_report,
            op_kwargs={
                "env": env.name,
                "report": name,
                "run_id": aws_tasks.RUN_ID,
                "attempt": "{{ ti.try_number }}",
            },
        )
        for name in settings.REPORTS
    ]
    return curate, register, reports
