"""One contract: the EMR step the DAG renders is what the job's own parser accepts.

And one hour rule: a run curates the hour that has finished, locally and on AWS.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from airflow_helpers import airflow_env

from taxiway import naming
from taxiway.jobs import curate_spark
from taxiway.jobs.bundle import MAIN_NAME, ZIP_NAME

ACCOUNT = "123456789012"
SCRIPT = textwrap.dedent(
    """
    import json
    from datetime import datetime, timezone
    from airflow.timetables.base import TimeRestriction
    from taxiway_dags.factory import hourly_dag
    out = {}
    dag = hourly_dag("sandbox")
    task = dag.get_task("curate")
    ctx = {"data_interval_start": datetime(2026, 11, 23, 7, tzinfo=timezone.utc),
           "run_id": "scheduled__2026-11-23T07:00:00+00:00"}
    out["steps"] = task.render_template(task.steps, ctx, jinja_env=dag.get_template_env())
    out["waiter"] = [task.waiter_delay, task.waiter_max_attempts]
    import pendulum
    start = pendulum.datetime(2026, 11, 23, 5, tz="UTC")
    tt = dag.timetable
    first = tt.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=start, latest=None, catchup=True),
    )
    second = tt.next_dagrun_info(
        last_automated_data_interval=first.data_interval,
        restriction=TimeRestriction(earliest=start, latest=None, catchup=True),
    )
    out["runs"] = [
        [i.data_interval.start.isoformat(), i.data_interval.end.isoformat(), i.run_after.isoformat()]
        for i in (first, second)
    ]
    out["dag"] = [dag.catchup, dag.max_active_runs, str(dag.get_task("settle").delta)]
    local = hourly_dag("local")
    out["local_settle"] = str(local.get_task("settle").delta)
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def rendered(airflow_home: Path) -> dict[str, Any]:
    """The sandbox DAG's rendered step, waiter and timetable (one Airflow process)."""
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=airflow_env(airflow_home, TAXIWAY_ENV="sandbox"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_rendered_step_is_what_the_job_parses(rendered: dict[str, Any]) -> None:
    out = rendered
    (step,) = out["steps"]
    args = step["HadoopJarStep"]["Args"]
    artifacts = f"s3://{naming.bucket('taxiway', 'sandbox', 'artifacts', ACCOUNT)}/jobs"
    # spark-submit's own options (the driver's region: the job's S3 lock never guesses one),
    # then the entry script the bundle builds, then the job's
    assert args[:7] == [
        "spark-submit",
        "--deploy-mode",
        "cluster",
        "--py-files",
        f"{artifacts}/{ZIP_NAME}",
        "--conf",
        "spark.yarn.appMasterEnv.AWS_REGION=eu-west-1",
    ]
    assert args[7] == f"{artifacts}/{MAIN_NAME}"
    parsed = curate_spark.build_parser().parse_args(args[8:])
    assert parsed.landing_root == f"s3://{naming.bucket('taxiway', 'sandbox', 'landing', ACCOUNT)}"
    assert parsed.root == f"s3://{naming.bucket('taxiway', 'sandbox', 'curated', ACCOUNT)}"
    assert parsed.topics_dir == "topics" and parsed.topic == "events"
    assert parsed.start == parsed.end == datetime(2026, 11, 23, 7)
    assert parsed.lookback_days == 7
    assert ":" not in parsed.run_id and "+" not in parsed.run_id  # safe in Hadoop paths
    assert parsed.run_id.startswith("20261123T07-")
    assert step["Name"] == "taxiway curate 2026-11-23T07"
    # the waiter outlasts the configured step time (120 min) instead of the provider's 30 min
    assert out["waiter"][0] * out["waiter"][1] == 120 * 60


def test_each_run_curates_the_finished_hour_after_the_settle_delay(
    rendered: dict[str, Any],
) -> None:
    out = rendered
    # catchup from 05:00: the first run covers [05, 06) and starts at 06:00, the next [06, 07)
    assert out["runs"] == [
        ["2026-11-23T05:00:00+00:00", "2026-11-23T06:00:00+00:00", "2026-11-23T06:00:00+00:00"],
        ["2026-11-23T06:00:00+00:00", "2026-11-23T07:00:00+00:00", "2026-11-23T07:00:00+00:00"],
    ]
    assert out["dag"] == [True, 1, "0:10:00"]  # catchup, one run at a time, settle 10 min
    assert out["local_settle"] == "0:10:00"  # the same rule locally
