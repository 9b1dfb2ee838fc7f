"""The AWS twin's emulators: EMR steps run with local Spark, Athena statements with DuckDB.

Both live in the test process next to moto's ThreadedMotoServer and share its backends.

* :class:`EmrStepEmulator` picks up each new step of every cluster, downloads the artifacts
  the step names from moto's S3 (so they must have been deployed), runs the step's own
  ``spark-submit`` arguments with pyspark's ``spark-submit`` (changing only the master and
  deploy mode, and mapping ``s3://bucket`` onto a local mirror that is synced back after),
  and sets the step COMPLETED or FAILED (with the log's tail as the reason) from the exit code.
  The driver runs with ``python -S``: the installed ``taxiway`` package is invisible, so the
  job imports only what its ``--py-files`` zip holds, as on EMR.
* :class:`AthenaEmulator` intercepts ``StartQueryExecution``; a worker runs the statement with
  DuckDB over the tables' data in moto's S3 (``events`` only through the partitions Glue
  has) and sets the execution SUCCEEDED or FAILED: ``UNLOAD`` writes Parquet to its prefix
  (refusing a non-empty one, like Athena), ``ALTER TABLE ... SET LOCATION`` updates Glue.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
_SPARK_OPTS_WITH_VALUE = {"--deploy-mode", "--py-files", "--master", "--conf", "--driver-memory"}


def _client(service: str, region: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region)


def _split_s3(uri: str) -> tuple[str, str]:
    rest = uri[len("s3://") :]
    bucket, _, key = rest.partition("/")
    return bucket, key


def download_prefix(s3: Any, bucket: str, prefix: str, dest: Path) -> list[Path]:
    """Every object under ``prefix`` into ``dest`` (keys kept relative to the prefix)."""
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            target = dest / obj["Key"][len(prefix) :].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
            out.append(target)
    return sorted(out)


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


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
        for region in list(emr_backends[ACCOUNT].keys()):
            for cluster in list(emr_backends[ACCOUNT][region].clusters.values()):
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
        s3 = _client("s3", self.region)
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
            bucket, key = _split_s3(uri)
            target = run_dir / "artifacts" / Path(key).name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                s3.download_file(bucket, key, str(target))
            except Exception as exc:
                return 1, f"cannot fetch step artifact `{uri}`: {exc}"
            local[uri] = target
        mirror = self.workdir / "mirror"
        buckets = sorted({_split_s3(a)[0] for a in job_args if a.startswith("s3://")})
        before: dict[str, dict[str, str]] = {}
        for bucket in buckets:
            shutil.rmtree(mirror / bucket, ignore_errors=True)
            (mirror / bucket).mkdir(parents=True)
            download_prefix(s3, bucket, "", mirror / bucket)
            before[bucket] = _snapshot(mirror / bucket)
        mapped = [
            str(mirror / _split_s3(a)[0] / _split_s3(a)[1]).rstrip("/")
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
                after = _snapshot(mirror / bucket)
                for key, digest in sorted(after.items()):
                    if before[bucket].get(key) != digest:
                        s3.upload_file(str(mirror / bucket / key), bucket, key)
                for key in sorted(set(before[bucket]) - set(after)):
                    s3.delete_object(Bucket=bucket, Key=key)
        return proc.returncode, log


_UNLOAD = re.compile(r"^\s*UNLOAD\s*\((.*)\)\s*TO\s*'([^']+)'\s*WITH\s*\((.*)\)\s*$", re.S | re.I)
_SET_LOCATION = re.compile(r"^\s*ALTER\s+TABLE\s+(\w+)\s+SET\s+LOCATION\s+'([^']+)'\s*$", re.I)
_DUCK_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "timestamp": "TIMESTAMP", "date": "DATE"}


def _duck_type(hive: str) -> str:
    return _DUCK_TYPES.get(hive, hive.upper())


class AthenaEmulator:
    """Executes the statements sent to moto's Athena with DuckDB; keeps what it ran."""

    def __init__(self, region: str, workdir: Path) -> None:
        self.region = region
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.statements: list[tuple[str, str, str]] = []  # (query, state, error)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._original: Any = None

    def start(self) -> AthenaEmulator:
        from moto.athena.models import AthenaBackend

        self._original = AthenaBackend.start_query_execution
        emulator = self

        def start_query_execution(backend: Any, query: str, context: Any, *a: Any, **k: Any) -> str:
            exec_id: str = emulator._original(backend, query, context, *a, **k)
            execution = backend.executions[exec_id]
            execution._transitions = []  # stays where the emulator puts it
            execution.status = "RUNNING"
            emulator._queue.put((execution, query, (context or {}).get("Database")))
            return exec_id

        AthenaBackend.start_query_execution = start_query_execution  # type: ignore[method-assign]
        self._thread.start()
        return self

    def stop(self) -> None:
        from moto.athena.models import AthenaBackend

        AthenaBackend.start_query_execution = self._original  # type: ignore[method-assign]
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            execution, query, database = item
            try:
                self.execute(query, database)
                state, error = "SUCCEEDED", ""
            except Exception as exc:
                state, error = "FAILED", f"{type(exc).__name__}: {exc}"
                print(f"twin Athena FAILED: {error}\n  {query[:300]}", file=sys.stderr)
            self.statements.append((query, state, error))
            execution.status = state

    def execute(self, query: str, database: str) -> None:
        if m := _SET_LOCATION.match(query):
            glue = _client("glue", self.region)
            table = glue.get_table(DatabaseName=database, Name=m.group(1))["Table"]
            keep = ("Name", "Description", "TableType", "Parameters", "PartitionKeys")
            table_input = {k: v for k, v in table.items() if k in keep}
            table_input["StorageDescriptor"] = {
                **table["StorageDescriptor"],
                "Location": m.group(2),
            }
            glue.update_table(DatabaseName=database, TableInput=table_input)
            return
        m = _UNLOAD.match(query)
        if not m:
            raise ValueError(f"the twin's Athena does not emulate: {query[:80]}")
        select, dest, props = m.groups()
        if not re.search(r"format\s*=\s*'PARQUET'", props, re.I):
            raise ValueError("UNLOAD without format = 'PARQUET' writes text files")
        s3 = _client("s3", self.region)
        bucket, prefix = _split_s3(dest)
        if s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0):
            raise ValueError(f"HIVE_PATH_ALREADY_EXISTS: target `{dest}` is not empty")
        import sqlglot

        sql = sqlglot.transpile(select, read="athena", write="duckdb")[0]
        work = Path(tempfile.mkdtemp(dir=self.workdir, prefix="athena-"))
        con = self.connect(database, work)
        try:
            out = work / "out.parquet"
            con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
        finally:
            con.close()
        s3.upload_file(str(out), bucket, f"{prefix.rstrip('/')}/part-00000.parquet")

    def connect(self, database: str, work: Path) -> Any:
        """DuckDB with one view per Glue table of ``database``, over moto's S3 data."""
        import duckdb

        glue, s3 = _client("glue", self.region), _client("s3", self.region)
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for table in glue.get_tables(DatabaseName=database)["TableList"]:
            name, sd = table["Name"], table["StorageDescriptor"]
            cols = [(c["Name"], _duck_type(c["Type"])) for c in sd["Columns"]]
            parts = [(k["Name"], _duck_type(k["Type"])) for k in table.get("PartitionKeys", [])]
            selects = []
            if parts:  # only what Glue knows: an unregistered partition is invisible
                pages = glue.get_paginator("get_partitions").paginate(
                    DatabaseName=database, TableName=name
                )
                for page in pages:
                    for p in page["Partitions"]:
                        loc = p["StorageDescriptor"]["Location"]
                        files = download_prefix(
                            s3, *_split_s3(loc), work / name / "-".join(p["Values"])
                        )
                        consts = ", ".join(
                            f"CAST('{v}' AS {t}) AS {n}"
                            for (n, t), v in zip(parts, p["Values"], strict=True)
                        )
                        selects += [self._read(f, sd, cols, consts) for f in files]
            else:
                bucket, prefix = _split_s3(sd["Location"])
                files = download_prefix(s3, bucket, prefix, work / name)
                selects += [self._read(f, sd, cols, "") for f in files]
            all_cols = cols + parts
            if not selects:
                empty = ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in all_cols)
                selects = [f"SELECT {empty} LIMIT 0"]
            con.execute(f"CREATE VIEW {name} AS " + " UNION ALL ".join(selects))
        return con

    @staticmethod
    def _read(path: Path, sd: dict[str, Any], cols: list[tuple[str, str]], consts: str) -> str:
        names = ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in cols)
        extra = f", {consts}" if consts else ""
        if "json" in sd["SerdeInfo"]["SerializationLibrary"].lower():
            spec = ", ".join(f"{n}: 'VARCHAR'" for n, _ in cols)
            src = f"read_json('{path}', format = 'newline_delimited', columns = {{{spec}}})"
        else:
            src = f"read_parquet('{path}')"
        return f"SELECT {names}{extra} FROM {src}"


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
