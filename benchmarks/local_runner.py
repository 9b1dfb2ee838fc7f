"""Benchmark: `taxiway local test` cold, warm and after a requirements edit, on a generated
10-DAG project whose startup script exports a variable the DAGs read at parse time.

Cold = a fresh taxiway cache folder, so the environment is created and Airflow, MWAA's
providers and the project's requirements are installed; uv's own package cache is the
user's (warm after any earlier install) unless ``--cold-uv-cache`` points uv at an empty
one too, which then measures downloads from the package index. Warm = the same command
again: the cached environment is reused and only the startup script (in the bubblewrap
sandbox) and the DagBag import run. Edit = requirements.txt gains one small pure-Python
package, so a new environment is built; its disk cost is what `taxiway local envs` reports
as the environment's own bytes (hard links to uv's cache and to the sibling's bytecode
counted as the shared files they are). Each run is the real CLI in a subprocess, the
doctor's static checks included.

Prints one JSON object; exits 1 when a target is missed (DESIGN.md: cold < 90 s, warm
< 10 s; issue 23: an edit adds < 50 MB), so `make bench` tells the truth.

    uv run python benchmarks/local_runner.py [--mwaa 3.3.1 --mwaa 2.11.2] [--cold-uv-cache]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLD_TARGET_S = 90.0
WARM_TARGET_S = 10.0
EDIT_TARGET_MB = 50.0
DAGS = 10
EDIT_PACKAGE = "pyjokes==0.8.3"  # small, pure Python, no dependencies, not in MWAA's image

DAG_TEMPLATE = '''"""Generated benchmark DAG {i}: extract -> 3 transforms -> load."""

import os
from datetime import datetime

from airflow import DAG
from toolz import identity

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.empty import EmptyOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator
    from airflow.operators.empty import EmptyOperator

with DAG(
    "bench_{i:02d}",
    start_date=datetime(2024, 1, 1),
    schedule="@daily",
    catchup=False,
    tags=[identity("bench"), os.environ["BENCH_TEAM"]],  # exported by startup.sh
):
    extract = EmptyOperator(task_id="extract")
    load = BashOperator(task_id="load", bash_command="echo load {i}")
    for n in range(3):
        extract >> BashOperator(task_id=f"transform_{{n}}", bash_command="echo t") >> load
'''


def make_project(root: Path) -> Path:
    """A 10-DAG project with one requirement and a startup script."""
    dags = root / "dags"
    dags.mkdir(parents=True)
    for i in range(DAGS):
        (dags / f"bench_{i:02d}.py").write_text(DAG_TEMPLATE.format(i=i))
    (root / "requirements.txt").write_text("toolz==1.0.0\n")
    (root / "startup.sh").write_text(
        "#!/bin/bash\nsudo yum install -y libaio\nexport JAVA_HOME=/usr/lib/jvm/default\n"
        "export BENCH_TEAM=analytics\n"
    )
    return root


def own_mb(env_path: str, env: dict[str, str]) -> tuple[float, float]:
    """(own MB, MB counting hard links once) of one environment, as `local envs` says."""
    out = subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", "local", "envs", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    doc = json.loads(out.stdout)
    (entry,) = [e for e in doc["environments"] if e["path"] == env_path]
    return round(entry["own_bytes"] / 1e6, 1), round(entry["bytes"] / 1e6, 1)


def run(project: Path, version: str, env: dict[str, str]) -> tuple[float, dict[str, object]]:
    cmd = [sys.executable, "-m", "taxiway.cli.app", "local", "test", str(project)]
    started = time.perf_counter()
    out = subprocess.run(
        [*cmd, "--mwaa", version, "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    seconds = time.perf_counter() - started
    if out.returncode not in (0, 1):
        raise SystemExit(f"`taxiway local test` failed ({out.returncode}):\n{out.stderr}")
    doc: dict[str, object] = json.loads(out.stdout)
    return seconds, doc


def bench(version: str, cold_uv_cache: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="taxiway-bench-local-") as tmp:
        root = Path(tmp)
        project = make_project(root / "project")
        env = {**os.environ, "TAXIWAY_CACHE_DIR": str(root / "cache")}
        if cold_uv_cache:
            env["UV_CACHE_DIR"] = str(root / "uv-cache")
        cold, cold_doc = run(project, version, env)
        warm, warm_doc = run(project, version, env)
        requirements = project / "requirements.txt"
        requirements.write_text(requirements.read_text() + EDIT_PACKAGE + "\n")
        edit, edit_doc = run(project, version, env)
        environment = edit_doc["environment"]
        assert isinstance(environment, dict) and environment["cached"] is False
        edit_own, edit_du = own_mb(str(environment["path"]), env)
    files = warm_doc.get("files", [])
    assert isinstance(files, list)
    startup = warm_doc.get("startup", {})
    assert isinstance(startup, dict)
    summary = warm_doc["summary"]
    assert isinstance(summary, dict)
    return {
        "mwaa": version,
        "dag_files": len(files),
        "dags": sum(int(f["dags"]) for f in files),
        "tasks": sum(int(f["tasks"]) for f in files),
        "errors": summary["error"],
        "cold_s": round(cold, 2),
        "warm_s": round(warm, 2),
        "edit_s": round(edit, 2),
        "edit_env_own_mb": edit_own,
        "edit_env_mb_hard_links_once": edit_du,
        "cold_timings": cold_doc.get("timings"),
        "warm_timings": warm_doc.get("timings"),
        "startup_sandboxed": startup.get("sandboxed"),
        "uv_cache": "empty" if cold_uv_cache else "user's (warm)",
        "cold_ok": cold < COLD_TARGET_S,
        "warm_ok": warm < WARM_TARGET_S,
        "edit_ok": edit_own < EDIT_TARGET_MB,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mwaa", action="append", help="Target(s); default 3.3.1 and 2.11.2.")
    parser.add_argument("--cold-uv-cache", action="store_true", help="Use an empty uv cache.")
    args = parser.parse_args()
    results = [bench(v, args.cold_uv_cache) for v in (args.mwaa or ["3.3.1", "2.11.2"])]
    ok = all(r["cold_ok"] and r["warm_ok"] and r["edit_ok"] and r["dags"] == DAGS for r in results)
    report = {
        "benchmark": "local_runner",
        "targets": {"cold_s": COLD_TARGET_S, "warm_s": WARM_TARGET_S, "edit_mb": EDIT_TARGET_MB},
        "results": results,
        "ok": ok,
    }
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
