"""`taxiway generate | run | query` as a user runs them: subprocesses, exit codes, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def taxiway(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_generate_run_query(tmp_path: Path) -> None:
    data = tmp_path / "data"
    gen = taxiway(
        "generate",
        "--start",
        "2026-11-23T10",
        "--hours",
        "2",
        "--events-per-hour",
        "1500",
        data=data,
    )
    assert gen.returncode == 0, gen.stderr
    truth = json.loads((data / "ground_truth.json").read_text())

    run = taxiway(
        "run", "--from", "2026-11-23T10", "--to", "2026-11-23T11", "--format", "json", data=data
    )
    assert run.returncode == 0, run.stderr
    manifest = json.loads(run.stdout)
    assert manifest["totals"]["input_records"] == truth["input_records"]
    assert manifest["totals"]["curated_new"] == truth["curated"]
    assert set(manifest["hours"]) == {"2026-11-23T10", "2026-11-23T11"}

    # Athena dialect in, transpiled for DuckDB
    query = taxiway(
        "query",
        "SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events",
        "--format",
        "json",
        data=data,
    )
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout) == [{"n": truth["curated"], "ids": truth["curated"]}]

    csv = taxiway(
        "query",
        "SELECT reason, count(*) AS n FROM quarantine GROUP BY 1 ORDER BY 1",
        "--format",
        "csv",
        data=data,
    )
    assert csv.returncode == 0, csv.stderr
    lines = csv.stdout.strip().splitlines()
    assert lines[0] == "reason,n"
    assert {ln.split(",")[0]: int(ln.split(",")[1]) for ln in lines[1:]} == truth["quarantined"]


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    bad_hour = taxiway("run", "--from", "2026-11-23", data=tmp_path)
    assert bad_hour.returncode == 2
    assert "YYYY-MM-DDTHH" in bad_hour.stderr
    assert "Traceback" not in bad_hour.stderr
    no_warehouse = taxiway("query", "SELECT 1", data=tmp_path / "empty")
    assert no_warehouse.returncode == 2
    assert "taxiway demo" in no_warehouse.stderr
    aws = taxiway("run", "--env", "production", "--from", "2026-11-23T00", data=tmp_path)
    assert aws.returncode == 2
    assert "runs on AWS" in aws.stderr
