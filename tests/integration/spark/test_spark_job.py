"""The EMR job entry point, run locally: via spark-submit with the shipped bundle, and
in-process through a ``file://`` root (the Hadoop FileSystem path that S3 takes on EMR)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from spark_helpers import (  # noqa: F401 - fixtures are used by name
    ALL_HOURS,
    curated,
    published,
    quarantine,
    require_spark,
    spark_fixture,
    spark_options,
)

from taxiway.engines.duckdb import DuckDBEngine
from taxiway.events.generator import generate
from taxiway.jobs import curate_spark
from taxiway.jobs.bundle import build_bundle
from taxiway.pipeline.curate import curate


def _hour_manifests(root: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted((root / "manifests" / "hours").glob("*.json")):
        doc = json.loads(path.read_text())
        out[path.name] = {k: v for k, v in doc.items() if k not in ("run_id", "finished_at")}
    return out


def _pair(tmp_path: Path, hours: int, events: int) -> tuple[Path, Path]:
    """The same generated input twice: one copy for DuckDB (the reference), one for the job."""
    ref, job = tmp_path / "reference", tmp_path / "job"
    opts = spark_options(hours=hours, events_per_hour=events, truncated_file_rate=0.2)
    truth = generate(ref, opts)
    generate(job, opts)
    assert truth.corrupt_files and truth.duplicates
    curate(ref, ALL_HOURS[:hours], DuckDBEngine())
    return ref, job


#: EMR 7's versions, in their own uv environment (made on first use, then reused)
EMR_SPARK = "pyspark>=3.5,<3.6"
EMR_ENV = Path(os.environ.get("TAXIWAY_EMR_SPARK_ENV", Path.home() / ".cache/taxiway/emr7-spark"))


def _emr_env() -> Path:
    """A Python 3.9 + pyspark 3.5 environment (EMR 7), created with uv when missing."""
    from taxiway.runner.interpreters import find, uv_bin, uv_env

    python = EMR_ENV / "bin" / "python"
    if (EMR_ENV / "bin" / "spark-submit").exists():
        return EMR_ENV
    interp, exact = find("3.9")
    if not exact:
        pytest.fail("EMR 7 runs Python 3.9: install one (e.g. `pyenv install 3.9.18`).")
    steps = [
        [uv_bin(), "venv", "--no-config", "--python", interp.path, str(EMR_ENV)],
        [uv_bin(), "pip", "install", "--no-config", "--python", str(python), EMR_SPARK],
    ]
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True, env=uv_env(), timeout=900)
        if done.returncode != 0:
            pytest.fail(f"could not make the EMR 7 Spark environment: {done.stderr[-2000:]}")
    return EMR_ENV


def _submit(submit: Path, python: str, tmp_path: Path, job: Path, run_id: str, *extra: str) -> Any:
    main, archive = build_bundle(tmp_path / "bundle")
    env = {**os.environ, "PYSPARK_PYTHON": python, "PYSPARK_DRIVER_PYTHON": python}
    env.pop("SPARK_HOME", None)  # each pyspark runs its own Spark
    return subprocess.run(
        [
            str(submit),
            "--master",
            "local[2]",
            "--driver-memory",
            "1g",
            "--conf",
            "spark.ui.enabled=false",
            "--py-files",
            str(archive),
            str(main),  # the EMR step's command line (the DAG renders the same)
            "--landing-root",
            str(job),
            "--topics-dir",
            "landing/topics",
            "--root",
            str(job),
            "--from",
            "2026-11-23T00",
            "--to",
            "2026-11-23T01",
            "--lookback-days",
            "7",
            "--run-id",
            run_id,
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # not the repo: the job must import taxiway from the zip
        timeout=600,
    )


def _same_as_reference(ref: Path, job: Path, done: Any, run_id: str) -> None:
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["run_id"] == run_id
    ref_run = json.loads(next((ref / "manifests" / "runs").glob("*.json")).read_text())
    assert summary["totals"] == ref_run["totals"]
    assert curated(job) == curated(ref)
    assert quarantine(job) == quarantine(ref)
    assert published(job) == published(ref)
    assert _hour_manifests(job) == _hour_manifests(ref)
    run = json.loads((job / "manifests" / "runs" / f"{run_id}.json").read_text())
    assert run["engine"] == "spark"
    assert run["files_written"] == ref_run["files_written"]
    assert run["new_rows_per_date"] == ref_run["new_rows_per_date"]
    assert not (job / ".spark-tmp").exists()


def test_the_bundle_runs_on_emr7_versions_spark35_python39(tmp_path: Path) -> None:
    require_spark()  # Java
    env = _emr_env()
    ref, job = _pair(tmp_path, hours=2, events=300)
    python = str(env / "bin" / "python")
    # the job's one path (Spark SQL typing plain lines): its functions must exist in Spark 3.5
    done = _submit(env / "bin" / "spark-submit", python, tmp_path, job, "emr7")
    assert (
        "3.5."
        in subprocess.run(
            [python, "-c", "import pyspark; print(pyspark.__version__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    _same_as_reference(ref, job, done, "emr7")


def test_spark_submit_with_the_bundle_equals_the_duckdb_pipeline(tmp_path: Path) -> None:
    require_spark()
    import pyspark

    ref, job = _pair(tmp_path, hours=2, events=600)
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    done = _submit(submit, sys.executable, tmp_path, job, "manual__2026-11-23T01")
    _same_as_reference(ref, job, done, "manual__2026-11-23T01")


def test_job_through_a_hadoop_uri_reruns_idempotently(spark: Any, tmp_path: Path) -> None:
    ref, job = _pair(tmp_path, hours=2, events=400)
    leftover = job / ".spark-tmp" / "killed-run" / "part-0.parquet"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a file")
    args = ["--root", job.as_uri(), "--from", "2026-11-23T00", "--to", "2026-11-23T01"]
    assert curate_spark.main(args) == 0
    first = json.loads(max((job / "manifests" / "runs").glob("*.json")).read_text())
    assert first["stale_files_removed"] == 1 and not leftover.exists()
    assert curated(job) == curated(ref) and quarantine(job) == quarantine(ref)
    # rerun the second hour alone: same rows, nothing doubled, same counts for that hour
    assert curate_spark.main([*args[:4], "--run-id", "again"]) == 0
    again = json.loads((job / "manifests" / "runs" / "again.json").read_text())
    assert again["hours"]["2026-11-23T00"] == first["hours"]["2026-11-23T00"]
    assert curated(job) == curated(ref)
    assert published(job) == published(ref)
    assert _hour_manifests(job) == _hour_manifests(ref)


def test_bad_hours_are_usage_errors_before_spark_starts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        curate_spark.main(["--root", "/nowhere", "--from", "2026-11-23 05"])
    assert exc.value.code == 2
    assert "--from" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        curate_spark.main(["--root", "/x", "--from", "2026-11-23T05", "--to", "2026-11-23T04"])
