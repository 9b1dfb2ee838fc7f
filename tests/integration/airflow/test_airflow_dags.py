"""The repo's DAGs in real Airflow: same graph on every target, and a local hour end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from airflow_helpers import DAGS, airflow_env

from taxiway.events.generator import GeneratorOptions, generate

GRAPH_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from taxiway_dags.factory import hourly_dag
    out = {}
    for env in sys.argv[1:]:
        dag = hourly_dag(env)
        out[env] = {
            t.task_id: [type(t).__name__, sorted(t.upstream_task_ids)] for t in dag.tasks
        }
    print(json.dumps(out))
    """
)


def test_same_task_graph_on_every_target(airflow_home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", GRAPH_SCRIPT, "local", "sandbox", "test", "production"],
        env=airflow_env(airflow_home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    graphs = json.loads(proc.stdout.strip().splitlines()[-1])
    edges = {env: {t: up for t, (_, up) in g.items()} for env, g in graphs.items()}
    assert edges["local"] == edges["sandbox"] == edges["test"] == edges["production"]
    assert set(edges["local"]) == {
        "settle",
        "curate",
        "register_partitions",
        "report_campaign_daily_kpis",
        "report_attribution_last_click",
        "report_daily_funnel",
        "report_data_quality_hourly",
    }
    assert edges["local"]["curate"] == ["settle"]
    assert edges["local"]["register_partitions"] == ["curate"]
    ops = {env: {t: op for t, (op, _) in g.items()} for env, g in graphs.items()}
    assert set(ops["local"].values()) == {"PythonOperator", "TimeDeltaSensor"}
    assert ops["production"]["curate"] == "CurateStepOperator"


def test_dagbag_imports_without_errors(airflow_home: Path) -> None:
    script = textwrap.dedent(
        f"""
        import json
        try:
            from airflow.dag_processing.dagbag import DagBag
        except ImportError:
            from airflow.models.dagbag import DagBag
        bag = DagBag(dag_folder={str(DAGS)!r})
        print(json.dumps({{"errors": {{k: str(v) for k, v in bag.import_errors.items()}},
                          "dags": sorted(bag.dag_ids)}}))
        """
    )
    for env in ("local", "production"):
        proc = subprocess.run(
            [sys.executable, "-c", script],
            env=airflow_env(airflow_home, TAXIWAY_ENV=env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result == {"errors": {}, "dags": ["taxiway_hourly"]}, env


def test_local_dag_runs_an_hour_end_to_end(airflow_home: Path, tmp_path: Path) -> None:
    hour = datetime(2026, 11, 23, 7, tzinfo=UTC)
    data = tmp_path / "data"
    truth = generate(data, GeneratorOptions(start=hour, hours=1, events_per_hour=2_000, seed=3))
    script = textwrap.dedent(
        """
        from datetime import datetime, timezone
        from taxiway_dags.factory import hourly_dag
        dag = hourly_dag("local")
        for task in dag.tasks:  # fail fast: production retries would wait 5 minutes
            task.retries = 0
        # a run at 08:00 (a manual one, as the scheduler's) curates the hour that finished
        run = dag.test(logical_date=datetime(2026, 11, 23, 8, tzinfo=timezone.utc))
        print("STATE", run.state)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=airflow_env(airflow_home, TAXIWAY_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "STATE success" in proc.stdout, (proc.stdout + proc.stderr)[-4000:]
    manifest = json.loads((data / "manifests" / "hours" / "2026-11-23T07.json").read_text())
    assert manifest["input_records"] == truth.input_records
    assert manifest["curated_new"] == truth.curated
    assert manifest["duplicates"] == truth.duplicates
    import duckdb

    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert {"events", "campaign_daily_kpis", "daily_funnel", "data_quality_hourly"} <= tables
    assert con.execute("SELECT count(*) FROM events").fetchone() == (truth.curated,)
