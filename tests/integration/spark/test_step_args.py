"""The DAG's EMR step runs the job's one, measured path: ``aws_tasks.curate_args`` parsed
by the job's own parser and run, buckets mapped onto a local folder (as
``benchmarks/spark_job.py`` does), gives DuckDB's rows through the native classification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from spark_helpers import (  # noqa: F401 - fixtures are used by name
    ALL_HOURS,
    curated,
    quarantine,
    spark_fixture,
    spark_options,
)

from taxiway.engines.duckdb import DuckDBEngine
from taxiway.events.generator import generate
from taxiway.jobs import curate_spark, native
from taxiway.pipeline.curate import curate

REPO = Path(__file__).resolve().parents[3]


def _step_job_argv(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[str]:
    """The job's arguments in the EMR step for 2026-11-23T00, buckets mapped to ``root``."""
    monkeypatch.syspath_prepend(str(REPO / "dags"))
    monkeypatch.setenv("TAXIWAY_ACCOUNT_ID", "123456789012")
    from taxiway_dags import aws_tasks, settings

    env = settings.current("sandbox")
    args = aws_tasks.curate_args(env, "2026-11-23T00", "scheduled__2026-11-23T01")
    job = next(i for i, a in enumerate(args) if a.endswith("/curate_spark.py"))
    assert args[:job] == [
        "spark-submit",
        "--deploy-mode",
        "cluster",
        "--py-files",
        args[job].rsplit("/", 1)[0] + "/taxiway_jobs.zip",
        "--conf",
        f"spark.yarn.appMasterEnv.AWS_REGION={env.region}",
    ]
    mapped = {
        f"s3://{env.bucket('landing')}": str(root),
        f"s3://{env.bucket('curated')}": str(root),
        env.topics_dir: "landing/topics",  # the generator writes the local layout
    }
    return [mapped.get(a, a) for a in args[job + 1 :]]


def test_the_steps_arguments_parse_and_leave_no_path_to_choose(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    argv = _step_job_argv(monkeypatch, tmp_path)
    parsed = curate_spark.build_parser().parse_args(argv)
    assert (parsed.start, parsed.end) == (ALL_HOURS[0].replace(tzinfo=None),) * 2
    assert parsed.run_id == "scheduled__2026-11-23T01"
    # taxiway.yaml's pipeline settings reach the step, not the job's defaults
    assert (parsed.future_tolerance_hours, parsed.max_line_bytes) == (1, 1048576)
    assert argv[argv.index("--max-line-bytes") + 1] == "1048576"
    options = {o for a in curate_spark.build_parser()._actions for o in a.option_strings}
    assert "--classify" not in options  # one path: nothing the step could leave unset


def test_the_steps_arguments_run_the_native_classification_and_equal_duckdb(
    spark: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ref, job = tmp_path / "reference", tmp_path / "job"
    opts = spark_options(hours=1, events_per_hour=600, truncated_file_rate=0.3)
    truth = generate(ref, opts)
    generate(job, opts)
    assert truth.corrupt_files and truth.duplicates
    curate(ref, ALL_HOURS[:1], DuckDBEngine())
    calls: list[int] = []
    real = native.classify_files_native

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[1]))  # the files it was given
        return real(*args, **kwargs)

    monkeypatch.setattr(native, "classify_files_native", spy)
    argv = _step_job_argv(monkeypatch, job)
    assert curate_spark.main([*argv, "--master", "local[2]"]) == 0
    assert len(calls) == 1 and calls[0] > 0  # every landing file, through the native path
    run = json.loads((job / "manifests/runs/scheduled__2026-11-23T01.json").read_text())
    ref_run = json.loads(next((ref / "manifests" / "runs").glob("*.json")).read_text())
    assert run["totals"] == ref_run["totals"]
    assert run["totals"]["input_records"] == truth.input_records
    assert curated(job) == curated(ref)
    assert quarantine(job) == quarantine(ref)
