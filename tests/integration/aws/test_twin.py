"""The AWS path end to end on the local twin: deploy, then the real DAG for three hours.

moto's server holds the sandbox account (buckets, Glue tables from taxiway.catalog.glue,
the Athena workgroup, the EMR cluster); `taxiway deploy --env sandbox` uploads the bundle;
the DAG files MWAA would load are downloaded from the MWAA bucket and run with `dag.test()`
in a separate Airflow process that talks to moto over HTTP (`AWS_ENDPOINT_URL`). The EMR
step emulator runs each step's own spark-submit line; the Athena emulator runs each
statement with DuckDB (see taxiway.twin). The result is compared with a local `taxiway run`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import ACCOUNT, REGION, bucket, client, create_buckets, keys
from typer.testing import CliRunner

from taxiway.catalog.glue import REPORTS, table_inputs
from taxiway.cli.app import app
from taxiway.events.generator import GeneratorOptions, generate
from taxiway.twin import _s3
from taxiway.twin.athena import AthenaEmulator
from taxiway.twin.emr import EmrStepEmulator

download_prefix = _s3.download_prefix

FIRST = datetime(2026, 11, 23, 5, tzinfo=UTC)
HOURS = [FIRST + timedelta(hours=i) for i in range(3)]

RUN_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from datetime import datetime, timedelta, timezone
    import boto3
    from taxiway_dags.factory import hourly_dag

    from taxiway_dags import aws_tasks

    plan = json.loads(sys.argv[1])
    aws_tasks.ATHENA_POLL_SECONDS = 1  # the emulator answers in well under a second
    dag = hourly_dag()
    for task in dag.tasks:  # fail fast instead of production's retries and 30 s polls
        task.retries = 0
        if task.task_id == "curate":
            task.waiter_delay = 1
            task.waiter_max_attempts = 600
    for action, hour in plan:
        if action == "break":  # a job zip that is not a zip: what a bad upload leaves
            boto3.client("s3").put_object(Bucket=hour, Key="jobs/taxiway_jobs.zip",
                                          Body=b"not a zip")
            continue
        if action == "terminate":
            emr = boto3.client("emr")
            ids = [c["Id"] for c in emr.list_clusters(
                ClusterStates=["STARTING", "RUNNING", "WAITING"])["Clusters"]]
            emr.terminate_job_flows(JobFlowIds=ids)
            print("TERMINATED", ids, flush=True)
            continue
        start = datetime.fromisoformat(hour)
        # the run that starts when hour `start` has finished curates it
        try:
            run = dag.test(logical_date=start + timedelta(hours=1))
        except Exception as exc:  # a failed task: Airflow 3's dag.test() may raise
            print("RUN", json.dumps({"hour": hour, "state": "failed", "error": str(exc)}),
                  flush=True)
            continue
        states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
        print("RUN", json.dumps({"hour": hour, "state": str(run.state), "tasks": states}),
              flush=True)
    """
)


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("airflow_home_twin")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        env={**_airflow_env(home, home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"`airflow db migrate` failed:\n{proc.stdout}\n{proc.stderr}"
    return home


def _airflow_env(home: Path, dags: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXIWAY_")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        PYTHONPATH=str(dags),
        **extra,
    )
    return env


@pytest.fixture
def twin(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The sandbox account as Terraform leaves it, with the twin's EMR and Athena emulators
    (taxiway.twin's, the ones `taxiway twin` runs) attached to this process's moto server."""
    monkeypatch.setattr(_s3, "ENDPOINT", aws)
    create_buckets(("landing", "curated", "reports", "artifacts", "mwaa", "logs"))
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": "taxiway_sandbox"})
    for table in table_inputs(bucket("curated"), bucket("reports")):
        glue.create_table(DatabaseName="taxiway_sandbox", TableInput=table)
    client("athena").create_work_group(
        Name="taxiway-sandbox",
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{bucket('logs')}/athena/"}},
    )
    cluster = client("emr").run_job_flow(
        Name="taxiway-sandbox",
        ReleaseLabel="emr-7.12.0",
        Instances={
            "MasterInstanceType": "m5.xlarge",
            "InstanceCount": 1,
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        ServiceRole="taxiway-sandbox-emr-service",
        JobFlowRole="taxiway-sandbox-emr-instance",
    )["JobFlowId"]
    emr = EmrStepEmulator(REGION, tmp_path / "emr").start()
    athena = AthenaEmulator(REGION, tmp_path / "athena").start()
    try:
        yield {"emr": emr, "athena": athena, "cluster": cluster}
    finally:
        emr.stop()
        athena.stop()


def _upload_landing(data: Path) -> int:
    """The generator's landing files into the landing bucket, as the S3 sink writes them."""
    s3 = client("s3")
    files = sorted((data / "landing").rglob("*.json*"))
    for f in files:  # landing/topics/... locally; topics/... (topics.dir) in the bucket
        s3.upload_file(str(f), bucket("landing"), f.relative_to(data / "landing").as_posix())
    return len(files)


def _run_dag(home: Path, dags: Path, plan: list[list[str]], env: dict[str, str]) -> Any:
    proc = subprocess.run(
        [sys.executable, "-c", RUN_SCRIPT, json.dumps(plan)],
        env=_airflow_env(home, dags, **env),
        capture_output=True,
        text=True,
        timeout=900,
    )
    runs = [json.loads(line[4:]) for line in proc.stdout.splitlines() if line.startswith("RUN {")]
    return proc, runs


def _rows(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def test_dag_on_the_twin_matches_a_local_run(
    twin: dict[str, Any], airflow_home: Path, tmp_path: Path
) -> None:
    import duckdb

    # deploy: the bundle lands in the MWAA and artifacts buckets
    result = CliRunner().invoke(app, ["deploy", "--env", "sandbox", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = tmp_path / "data"
    truth = generate(data, GeneratorOptions(start=FIRST, hours=3, events_per_hour=400, seed=7))
    assert _upload_landing(data) > 0

    # what MWAA would load: the DAG folder and the startup script's environment
    mwaa = tmp_path / "mwaa"
    download_prefix(client("s3"), bucket("mwaa"), "", mwaa)
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in (mwaa / "startup.sh").read_text().splitlines()
        if line.startswith("export ")
    )
    assert exports == {"TAXIWAY_ENV": "sandbox", "TAXIWAY_ACCOUNT_ID": ACCOUNT}
    hours = [h.isoformat() for h in HOURS]
    plan = [["run", hours[0]], ["run", hours[1]], ["terminate", ""], ["run", hours[2]]]
    proc, runs = _run_dag(airflow_home, mwaa / "dags", plan, exports)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    failed = [s for s in twin["athena"].statements if s[1] != "SUCCEEDED"]
    assert [r["state"] for r in runs] == ["success"] * 3, (failed, log[-6000:])
    assert "TERMINATED" in proc.stdout
    # three steps, each hour once, the third on a cluster the DAG created
    assert [r["exit"] for r in twin["emr"].runs] == [0, 0, 0]
    clusters = client("emr").list_clusters()["Clusters"]
    assert sorted(c["Status"]["State"] for c in clusters)[-1] == "TERMINATED"
    assert len(clusters) == 2

    # the same landing hours through the local pipeline (DuckDB), hour by hour
    local = tmp_path / "local"
    import shutil

    shutil.copytree(data / "landing", local / "landing")
    for h in HOURS:
        hour = h.strftime("%Y-%m-%dT%H")
        res = CliRunner().invoke(app, ["run", "--from", hour, "--data-dir", str(local)])
        assert res.exit_code == 0, res.output

    aws_lake = tmp_path / "aws_lake"
    download_prefix(client("s3"), bucket("curated"), "", aws_lake)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    cols = (
        "event_id, event_type, event_ts, received_ts, anonymous_id, user_id, session_id, "
        "campaign_id, ad_id, channel, page_url, referrer, revenue, currency, order_id, "
        "user_agent, country, properties, landing_hour"
    )
    aws_events = _rows(
        con, f"SELECT {cols} FROM read_parquet('{aws_lake}/curated/events/*/*.parquet')"
    )
    local_events = _rows(
        con, f"SELECT {cols} FROM read_parquet('{local}/curated/events/*/*.parquet')"
    )
    assert len(aws_events) == truth.curated
    assert aws_events == local_events
    # every hour's counts reached hourly_counts, balanced
    counts = [
        json.loads(p.read_text()) for p in sorted((aws_lake / "hourly_counts").glob("*.json"))
    ]
    assert [c["landing_hour"] for c in counts] == [h.strftime("%Y-%m-%d %H:00:00") for h in HOURS]
    assert sum(c["input_records"] for c in counts) == truth.input_records
    # Glue partitions came from the manifests: one per event date the runs wrote
    glue = client("glue")
    parts = glue.get_partitions(DatabaseName="taxiway_sandbox", TableName="events")["Partitions"]
    dates = sorted(p.name for p in (aws_lake / "curated" / "events").iterdir())
    assert sorted(f"event_date={p['Values'][0]}" for p in parts) == dates
    assert not any("MSCK" in q for q, _, _ in twin["athena"].statements)

    # reports: each table points at its newest run-scoped prefix, equal to the local tables
    warehouse = duckdb.connect(str(local / "warehouse.duckdb"), read_only=True)
    reports = tmp_path / "reports"
    for name, columns in REPORTS.items():
        table = glue.get_table(DatabaseName="taxiway_sandbox", Name=name)["Table"]
        location = table["StorageDescriptor"]["Location"]
        assert "/run=" in location, location
        files = download_prefix(client("s3"), *location[5:].split("/", 1), reports / name)
        got = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{files[0]}')").fetchall()
        # the Glue table's columns are the SQL's, name by name and type by type
        assert [(r[0], _hive(r[1])) for r in got] == list(columns), name
        names = ", ".join(c for c, _ in columns if c not in ("run_id",))
        aws_rows = _rows(con, f"SELECT {names} FROM read_parquet('{files[0]}')")
        local_rows = _rows(warehouse, f"SELECT {names} FROM {name}")
        assert aws_rows == local_rows, name
        # the current refresh and the previous one (for queries planned before the switch)
        assert len({k.split("/")[1] for k in keys(bucket("reports")) if k.startswith(name)}) == 2

    # rerun the middle hour: nothing changes; then a broken job zip fails the curate task
    # with the reason in its log and leaves the lake as it was
    before = _lake_rows(con, aws_lake)
    plan = [["run", hours[1]], ["break", bucket("artifacts")], ["run", hours[2]]]
    proc, runs = _run_dag(airflow_home, mwaa / "dags", plan, exports)
    log = proc.stdout + proc.stderr
    assert [r["state"] for r in runs] == ["success", "failed"], log[-6000:]
    assert runs[1].get("tasks", {}).get("curate", "failed") == "failed", runs[1]
    assert "ended FAILED" in log and "No module named 'taxiway'" in log, log[-6000:]
    after_lake = tmp_path / "aws_lake_after"
    download_prefix(client("s3"), bucket("curated"), "", after_lake)
    assert _lake_rows(con, after_lake) == before
    assert [r["exit"] for r in twin["emr"].runs][3:] == [0, 1]


def _lake_rows(con: Any, lake: Path) -> dict[str, Any]:
    """Per curated file: its rows (sorted), and the quarantine rows; run ids left out."""
    files = sorted((lake / "curated" / "events").glob("*/*.parquet"))
    out: dict[str, Any] = {
        f.relative_to(lake).as_posix(): _rows(con, f"SELECT * FROM read_parquet('{f}')")
        for f in files
    }
    out["quarantine"] = _rows(
        con,
        f"SELECT * EXCLUDE (run_id) FROM read_parquet('{lake}/quarantine/*.parquet')",
    )
    return out


def _hive(duckdb_type: str) -> str:
    """The Hive spelling of a DuckDB column type, as Glue declares it."""
    simple = {"VARCHAR": "string", "BIGINT": "bigint", "DOUBLE": "double", "DATE": "date"}
    simple |= {"TIMESTAMP": "timestamp", "BOOLEAN": "boolean", "INTEGER": "int"}
    return simple.get(duckdb_type, duckdb_type.lower().replace(" ", ""))
