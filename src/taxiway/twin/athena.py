"""Athena statements run for real: DuckDB over the Glue tables' data in the twin's S3.

moto's Athena accepts any SQL and answers nothing. :class:`AthenaEmulator` intercepts
``StartQueryExecution``; a worker runs the statement with DuckDB over the tables' data
(``events`` only through the partitions Glue has) and sets the execution SUCCEEDED or FAILED:
``UNLOAD`` writes Parquet to its prefix (refusing a non-empty one, like Athena),
``ALTER TABLE ... SET LOCATION`` updates Glue. Anything else is refused by name.
"""

from __future__ import annotations

import logging
import queue
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from taxiway.twin._s3 import client, download_prefix, split_s3

LOG = logging.getLogger("taxiway.twin")

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

        AthenaBackend.start_query_execution = start_query_execution  # type: ignore[method-assign,assignment]
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
                LOG.warning("Athena FAILED: %s\n  %s", error, query[:300])
            self.statements.append((query, state, error))
            execution.status = state

    def execute(self, query: str, database: str) -> None:
        if m := _SET_LOCATION.match(query):
            glue = client("glue", self.region)
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
        if re.match(r"\s*WITH\b", select, re.I):
            # Athena's grammar takes a query without a WITH clause inside UNLOAD (...)
            raise ValueError(
                "line 1:9: mismatched input 'WITH'. Expecting: '(', 'SELECT', 'TABLE', "
                "'VALUES'; wrap the query: UNLOAD (SELECT * FROM (<query with WITH>)) TO ..."
            )
        if not re.search(r"format\s*=\s*'PARQUET'", props, re.I):
            raise ValueError("UNLOAD without format = 'PARQUET' writes text files")
        s3 = client("s3", self.region)
        bucket, prefix = split_s3(dest)
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

        glue, s3 = client("glue", self.region), client("s3", self.region)
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
                            s3, *split_s3(loc), work / name / "-".join(p["Values"])
                        )
                        consts = ", ".join(
                            f"CAST('{v}' AS {t}) AS {n}"
                            for (n, t), v in zip(parts, p["Values"], strict=True)
                        )
                        selects += [self._read(f, sd, cols, consts) for f in files]
            else:
                bucket, prefix = split_s3(sd["Location"])
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
