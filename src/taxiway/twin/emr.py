"""EMR steps run for real: each new step of every cluster runs its own ``spark-submit`` line.

moto accepts ``AddJobFlowSteps`` but never runs a step. :class:`EmrStepEmulator` picks up each
new step, downloads the artifacts the step names from the twin's S3 (so they must have been
deployed), runs the step's own ``spark-submit`` arguments with pyspark's ``spark-submit``
(changing only the master and deploy mode, and mapping ``s3://bucket`` onto a local mirror
that is synced back after), and sets the step COMPLETED or FAILED (with the log's tail as the
reason) from the exit code. One step at a time, like a cluster's default step concurrency.

The driver runs with ``python -S``: the installed ``taxiway`` package is invisible, so the
job imports only what its ``--py-files`` zip holds, as on EMR.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from taxiway.twin._s3 import client, download_prefix, snapshot, split_s3


class EmrStepEmulator:
    """Runs EMR steps submitted to moto with local Spark; one at a time, like the cluster."""

    def __init__(self, region: str, workdir: Path) -> None:
        self.region = region
        self.workdir = workdir
        self.seen: set[str] = set()
        self.runs: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._python = self._python_wrapper()

    def _python_wrapper(self) -> str:
        # `python -S`: no site-packages, so neither the installed taxiway package nor
        # anything else the zip lacks; pyspark and py4j come from SPARK_HOME's zips
        wrapper = self.workdir / "python-S"
        self.workdir.mkdir(parents=True, exist_ok=True)
        wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
        wrapper.chmod(0o755)
        return str(wrapper)

    def start(self) -> EmrStepEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _steps(self) -> list[Any]:
        from moto.emr.models import emr_backends

        found = []
        for account in list(emr_backends.keys()):
            for region in list(emr_backends[account].keys()):
                for cluster in list(emr_backends[account][region].clusters.values()):
                    for step in list(cluster.steps):
                        if step.state in ("PENDING", "RUNNING") and step.id not in self.seen:
                            found.append(step)
        return found

    def _loop(self) -> None:
        while not self._stop.is_set():
            for step in self._steps():
                self.seen.add(step.id)
                step.state = "RUNNING"
                try:
                    code, log = self.run(list(step.args))
                except Exception as exc:
                    code, log = 1, f"emulator error: {exc!r}"
                step.last_state_change_reason = log[-1500:] if code else None
                step.state = "COMPLETED" if code == 0 else "FAILED"
                self.runs.append({"step": step.id, "args": list(step.args), "exit": code})
            self._stop.wait(0.3)

    def run(self, args: list[str]) -> tuple[int, str]:
        """Run one step's ``spark-submit`` command line; return (exit code, log)."""
        if args[:1] != ["spark-submit"]:
            return 1, f"not a spark-submit step: {args[:1]}"
        s3 = client("s3", self.region)
        run_dir = Path(tempfile.mkdtemp(dir=self.workdir, prefix="step-"))
        opts: dict[str, str] = {}
        i = 1
        while args[i].startswith("--"):
            opts[args[i]] = args[i + 1]
            i += 2
        script_uri, job_args = args[i], args[i + 1 :]
        local: dict[str, Path] = {}
        for uri in [script_uri, *opts.get("--py-files", "").split(",")]:
            if not uri:
                continue
            bucket, key = split_s3(uri)
            target = run_dir / "artifacts" / Path(key).name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                s3.download_file(bucket, key, str(target))
            except Exception as exc:
                return 1, f"cannot fetch step artifact `{uri}`: {exc}"
            local[uri] = target
        mirror = self.workdir / "mirror"
        buckets = sorted({split_s3(a)[0] for a in job_args if a.startswith("s3://")})
        before: dict[str, dict[str, str]] = {}
        for bucket in buckets:
            shutil.rmtree(mirror / bucket, ignore_errors=True)
            (mirror / bucket).mkdir(parents=True)
            download_prefix(s3, bucket, "", mirror / bucket)
            before[bucket] = snapshot(mirror / bucket)
        mapped = [
            str(mirror / split_s3(a)[0] / split_s3(a)[1]).rstrip("/")
            if a.startswith("s3://")
            else a
            for a in job_args
        ]
        import pyspark

        spark_home = Path(pyspark.__file__).parent
        cmd = [str(spark_home / "bin" / "spark-submit"), "--master", "local[1]"]
        cmd += ["--deploy-mode", "client", "--driver-memory", "512m"]
        cmd += ["--conf", "spark.ui.enabled=false"]
        if "--py-files" in opts:
            cmd += ["--py-files", ",".join(str(local[u]) for u in opts["--py-files"].split(","))]
        cmd += [str(local[script_uri]), *mapped]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "SPARK"))}
        env.update(
            SPARK_HOME=str(spark_home),
            PYSPARK_PYTHON=self._python,
            PYSPARK_DRIVER_PYTHON=self._python,
        )
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        log = proc.stdout + proc.stderr
        if proc.returncode == 0:
            for bucket in buckets:  # what the job changed goes back to moto's S3
                after = snapshot(mirror / bucket)
                for key, digest in sorted(after.items()):
                    if before[bucket].get(key) != digest:
                        s3.upload_file(str(mirror / bucket / key), bucket, key)
                for key in sorted(set(before[bucket]) - set(after)):
                    s3.delete_object(Bucket=bucket, Key=key)
        return proc.returncode, log
