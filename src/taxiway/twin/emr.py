"""EMR steps run for real: each new step of every cluster runs its own ``spark-submit`` line.

moto accepts ``AddJobFlowSteps`` but never runs a step. :class:`EmrStepEmulator` picks up each
new step, downloads the artifacts the step names from the twin's S3 (so they must have been
deployed), runs the step's own ``spark-submit`` arguments with pyspark's ``spark-submit``
(changing only the master and deploy mode), and sets the step COMPLETED or FAILED (with the
log's tail as the reason) from the exit code. One step at a time, like a cluster's default
step concurrency.

What the job reaches, and how:

- **The job's own S3 calls go to the twin's S3 API**: the lake lock (conditional writes, the
  job's stdlib client from its zip). The driver gets the twin's endpoint and credentials,
  and the environment the step's ``spark.yarn.appMasterEnv.*`` confs give YARN's driver
  (``AWS_REGION``): nothing else, as on a node.
- **Spark's reads and writes, and the job's Hadoop store (journal, manifests, publish
  moves), stay on local folders**: pyspark ships no S3 connector, so Hadoop's ``s3``
  scheme is overloaded (``ViewFileSystemOverloadScheme``) onto a mirror of each bucket the
  job names. The job still sees ``s3://bucket/...`` URIs, as on EMR; the mirror is
  downloaded before the step and what changed is uploaded after a successful one.

The driver runs with ``python -S``: no site-packages, so neither the installed ``taxiway``
package nor boto3; the job imports only what its ``--py-files`` zip holds, as on EMR.
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

from taxiway.twin import _s3
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
        confs: list[str] = []
        i = 1
        while args[i].startswith("--"):
            if args[i] == "--conf":
                confs.append(args[i + 1])
            else:
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
        import pyspark

        spark_home = Path(pyspark.__file__).parent
        cmd = [str(spark_home / "bin" / "spark-submit"), "--master", "local[1]"]
        cmd += ["--deploy-mode", "client", "--driver-memory", "512m"]
        cmd += ["--conf", "spark.ui.enabled=false"]
        driver_env: dict[str, str] = {}
        for conf in confs:
            name, _, value = conf.partition("=")
            if name.startswith(APP_MASTER_ENV):  # YARN's driver environment (cluster mode)
                driver_env[name[len(APP_MASTER_ENV) :]] = value
            else:
                cmd += ["--conf", conf]
        for conf in hadoop_overload(mirror, buckets):
            cmd += ["--conf", conf]
        if "--py-files" in opts:
            cmd += ["--py-files", ",".join(str(local[u]) for u in opts["--py-files"].split(","))]
        cmd += [str(local[script_uri]), *job_args]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "SPARK"))}
        env.update(
            SPARK_HOME=str(spark_home),
            PYSPARK_PYTHON=self._python,
            PYSPARK_DRIVER_PYTHON=self._python,
            # the node's view of AWS is the twin: its endpoint, any credentials (an EMR
            # node has its instance profile's); the region only if the step gives one
            AWS_ACCESS_KEY_ID="twin",
            AWS_SECRET_ACCESS_KEY="twin",
            **driver_env,
        )
        if _s3.ENDPOINT:
            env["AWS_ENDPOINT_URL"] = _s3.ENDPOINT
        proc = subprocess.run(
            cmd, env=env, cwd=run_dir, capture_output=True, text=True, timeout=600
        )
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


#: spark-submit conf prefix of the environment YARN gives the driver in cluster mode
APP_MASTER_ENV = "spark.yarn.appMasterEnv."


def hadoop_overload(mirror: Path, buckets: list[str]) -> list[str]:
    """Spark confs that make Hadoop's ``s3://<bucket>/...`` the folder ``mirror/<bucket>``.

    ``ViewFileSystemOverloadScheme`` serves a scheme from a mount table per authority (the
    bucket); the raw local file system writes no ``.crc`` side files into the mirror.
    """
    confs = [
        "spark.hadoop.fs.s3.impl=org.apache.hadoop.fs.viewfs.ViewFileSystemOverloadScheme",
        "spark.hadoop.fs.viewfs.overload.scheme.target.file.impl="
        "org.apache.hadoop.fs.RawLocalFileSystem",
        "spark.hadoop.fs.file.impl=org.apache.hadoop.fs.RawLocalFileSystem",
    ]
    for bucket in buckets:
        target = (mirror / bucket).resolve().as_uri()
        confs.append(f"spark.hadoop.fs.viewfs.mounttable.{bucket}.linkFallback={target}")
    return confs
