"""The EMR job on a shared lake: it takes the lake lock, ships the one curate contract in its
``--py-files`` zip, and publishes all-or-nothing through the redo journal that ``taxiway
run`` also writes and recovers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from spark_helpers import (  # noqa: F401 - fixtures are used by name
    ALL_HOURS,
    curated,
    published,
    quarantine,
    require_spark,
    rows,
    spark_fixture,
    spark_options,
)

from taxiway.engines.duckdb import DuckDBEngine
from taxiway.events.generator import generate
from taxiway.jobs import curate_spark
from taxiway.jobs.bundle import build_bundle
from taxiway.lake import journal
from taxiway.lake.layout import Lake
from taxiway.pipeline.curate import curate

H0, H1 = "2026-11-23T00", "2026-11-23T01"

PROBE = """
import json, sys
from taxiway.jobs import curate_spark  # the entry point's own imports, without pyspark
from taxiway.lake import contract
from taxiway.lake.lock import lock_for
lock = lock_for(sys.argv[1], run_id="probe")
lock.acquire(wait=False)
held = lock.holder()["run_id"]
lock.release()
store = contract.LocalStore(sys.argv[1])
print(json.dumps({
    "held": held,
    "file": curate_spark.__file__,
    "contract": contract.__file__,
    "hour": contract.partition_file(curate_spark.parse_hour("2026-11-23T05").date(),
                                    curate_spark.parse_hour("2026-11-23T05")),
    "recovered": contract.recover(store),
}))
"""


def _python39() -> str:
    from taxiway.runner.interpreters import find

    interp, exact = find("3.9")
    if not exact:
        pytest.fail("EMR 7 runs Python 3.9: install one (e.g. `pyenv install 3.9.18`).")
    return str(interp.path)


def test_the_zip_imports_under_python_S_without_taxiway_on_39_and_ours(tmp_path: Path) -> None:
    _main, archive = build_bundle(tmp_path / "bundle")
    lake = tmp_path / "lake"
    lake.mkdir()
    for python in (_python39(), sys.executable):
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(archive)}
        bare = subprocess.run(
            [python, "-S", "-c", "import taxiway"],
            capture_output=True,
            text=True,
            env={"PATH": os.environ["PATH"]},
            cwd=tmp_path,
        )
        assert bare.returncode != 0, "taxiway must not be importable without the zip"
        done = subprocess.run(
            [python, "-S", "-c", PROBE, str(lake)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        got = json.loads(done.stdout)
        assert got["held"] == "probe"
        assert got["file"].startswith(str(archive)) and got["contract"].startswith(str(archive))
        assert (
            got["hour"] == "curated/events/event_date=2026-11-23/landing_hour=2026-11-23T05.parquet"
        )
        assert got["recovered"] == []


def _lake_pair(tmp_path: Path, events: int) -> tuple[Path, Path]:
    """The same generated input twice (2 hours, duplicates across the hours)."""
    job, ref = tmp_path / "job", tmp_path / "reference"
    opts = spark_options(hours=2, events_per_hour=events, truncated_file_rate=0.2)
    truth = generate(job, opts)
    generate(ref, opts)
    assert truth.duplicates and truth.corrupt_files
    return job, ref


def _run_manifest(root: Path, run_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "manifests" / "runs" / f"{run_id}.json").read_text())
    return doc


def _no_double(root: Path) -> None:
    ((n, distinct),) = rows(
        f"SELECT count(*), count(DISTINCT (event_id, event_date)) "
        f"FROM read_parquet('{root}/curated/events/*/*.parquet')"
    )
    assert n == distinct, f"{n - distinct} event ids published twice"


def test_two_job_runs_at_once_serialise_and_equal_the_runs_in_a_row(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job, ref = _lake_pair(tmp_path, events=200)
    # the reference: hour 0 then hour 1, one after the other (DuckDB = the job, proven in
    # test_spark_job.py)
    curate(ref, ALL_HOURS[:1], DuckDBEngine())
    curate(ref, ALL_HOURS[1:2], DuckDBEngine())
    # hour 1 repeats events of hour 0: run alone (as B would be if it read the lake before A
    # published) it keeps rows that the runs in a row drop, so the race can show
    alone = tmp_path / "alone"
    generate(alone, spark_options(hours=2, events_per_hour=200, truncated_file_rate=0.2))
    fresh = curate(alone, ALL_HOURS[1:2], DuckDBEngine()).totals["curated_new"]
    in_a_row = json.loads((ref / "manifests" / "hours" / f"{H1}.json").read_text())["curated_new"]
    assert fresh > in_a_row, "the data must hold duplicates across the two hours"
    # force the bad interleaving: run A holds the lake until run B is seen waiting for it
    waiting, release = threading.Event(), threading.Event()
    told: list[dict[str, Any]] = []
    real_run, real_describe = curate_spark.run, curate_spark.describe

    def held_run(*args: Any, **kwargs: Any) -> Any:
        release.wait(120)
        return real_run(*args, **kwargs)

    def describe(holder: dict[str, Any]) -> str:
        told.append(holder)
        waiting.set()
        return real_describe(holder)

    monkeypatch.setattr(curate_spark, "run", held_run)
    monkeypatch.setattr(curate_spark, "describe", describe)
    codes: dict[str, int] = {}

    def start(run_id: str, hour: str) -> threading.Thread:
        argv = ["--root", str(job), "--from", hour, "--run-id", run_id]
        t = threading.Thread(target=lambda: codes.__setitem__(run_id, curate_spark.main(argv)))
        t.start()
        return t

    a = start("run-a", H0)
    lock = Lake(job).lock_file
    for _ in range(200):  # A has the lock (its holder file names it) before B starts
        if lock.exists() and "run-a" in lock.read_text():
            break
        threading.Event().wait(0.05)
    b = start("run-b", H1)
    assert waiting.wait(60), "run B must wait for run A's lock"
    assert told[0]["run_id"] == "run-a"
    assert not (job / "manifests" / "runs").exists(), "nothing is published while A waits"
    release.set()
    a.join(300)
    b.join(300)
    assert codes == {"run-a": 0, "run-b": 0}
    first, second = _run_manifest(job, "run-a"), _run_manifest(job, "run-b")
    assert second["started_at"] >= first["finished_at"], "B ran after A, not beside it"
    assert second["totals"]["curated_new"] == in_a_row, "B deduplicated against A's rows"
    _no_double(job)
    assert curated(job) == curated(ref)
    assert quarantine(job) == quarantine(ref)
    assert published(job) == published(ref)


KILLED = "killed-run"


def test_a_job_killed_mid_publish_is_rolled_forward_by_the_next_run(
    spark: Any, tmp_path: Path
) -> None:
    job, ref = _lake_pair(tmp_path, events=150)
    curate(ref, ALL_HOURS[:2], DuckDBEngine())
    # the job, in its own process, SIGKILLs itself after the first of its journal's swaps
    code = "import sys; from taxiway.jobs import curate_spark; sys.exit(curate_spark.main())"
    argv = ["--root", str(job), "--from", H0, "--to", H1, "--run-id", KILLED]
    env = {**os.environ, journal.FAULT_ENV: "after-swap-1"}
    env["PYSPARK_SUBMIT_ARGS"] = "--driver-memory 1g pyspark-shell"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv, "--master", "local[1]"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == -9, done.stderr[-3000:]
    pending = journal.pending(Lake(job))
    assert [p.stem for p in pending] == [KILLED], "the journal was committed"
    ops = json.loads(pending[0].read_text())["ops"]
    assert len(ops) > 2
    assert ops[0]["staged"].startswith(".spark-tmp/killed-run/")
    assert published(job) == [ops[0]["final"]], "killed after exactly one swap: a half publish"
    assert not (job / "manifests" / "runs").exists()

    # a local `taxiway run` on a copy of the lake rolls the job's journal forward first
    local = tmp_path / "local"
    shutil.copytree(job, local)
    curate(local, ALL_HOURS[:2], DuckDBEngine())
    local_runs = [json.loads(p.read_text()) for p in (local / "manifests" / "runs").glob("*")]
    assert len(local_runs) == 2 and KILLED in {r["run_id"] for r in local_runs}
    assert [r["recovered_runs"] for r in local_runs if r["run_id"] != KILLED] == [[KILLED]]
    assert curated(local) == curated(ref) and quarantine(local) == quarantine(ref)
    assert not journal.pending(Lake(local))

    # the next job run (through a Hadoop URI, as on S3) rolls it forward before anything else
    assert (
        curate_spark.main(["--root", job.as_uri(), "--from", H0, "--to", H1, "--run-id", "next"])
        == 0
    )
    killed = _run_manifest(job, KILLED)
    assert killed["totals"] == _run_manifest(job, "next")["totals"] != {}
    assert _run_manifest(job, "next")["recovered_runs"] == [KILLED]
    assert killed["hours"].keys() == {H0, H1}
    assert not journal.pending(Lake(job)) and not (job / ".spark-tmp").exists()
    _no_double(job)
    assert curated(job) == curated(ref)
    assert quarantine(job) == quarantine(ref)
    assert published(job) == published(ref)
