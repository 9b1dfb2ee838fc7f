"""Helpers of the deploy tests (a unique module name: pytest imports helpers by basename).

``deploy(...)`` runs ``taxiway deploy`` through the CLI in this process (so a test can make
one AWS call crash) and reports what ``taxiway``'s ``main()`` would: a TaxiwayError is one
``error:`` line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin_helpers import AIRFLOW, client, create_environment, versioned_bucket
from typer.testing import CliRunner

from taxiway.cli.app import app
from taxiway.errors import TaxiwayError

PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "deploy_projects"


@dataclass(frozen=True)
class Run:
    code: int
    out: str  # stdout: the plan table, or the JSON report
    err: str  # stderr: status lines and the error line

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data

    @property
    def text(self) -> str:
        return self.out + self.err


def deploy(*args: str) -> Run:
    """``taxiway deploy ARGS`` as a user runs it (exit codes and error line of ``main()``)."""
    result = CliRunner().invoke(app, ["deploy", *args])
    exc = result.exception
    if isinstance(exc, TaxiwayError):
        return Run(2, result.stdout, f"{result.stderr}error: {exc}\n")
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return Run(result.exit_code, result.stdout, result.stderr)


#: a file the team put in the DAG folder by hand before using taxiway: the first deploy
#: removes it (the project does not have it)
LEGACY_KEY = "dags/legacy_export.py"


def new_environment(name: str, bucket: str) -> dict[str, Any]:
    """An MWAA environment on the twin as a team has it before its first `taxiway deploy`:
    no requirements, plugins or startup script, one file of its own in the DAG folder."""
    versioned_bucket(bucket)
    client("s3").put_object(Bucket=bucket, Key=LEGACY_KEY, Body=b"# copied by hand, long ago\n")
    return create_environment(name, bucket, AIRFLOW)


def copy_project(name: str, tmp_path: Path) -> Path:
    """A fixture project in a temporary folder the test may change."""
    dest = tmp_path / name
    shutil.copytree(PROJECTS / name, dest)
    return dest


def versions(bucket: str) -> list[tuple[str, str]]:
    """Every (key, version) the bucket holds: a deploy that uploads nothing adds none."""
    out: list[tuple[str, str]] = []
    pages = client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket)
    for page in pages:
        out += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        out += [(m["Key"], "delete-marker") for m in page.get("DeleteMarkers", [])]
    return sorted(out)


def keys(bucket: str, prefix: str = "") -> list[str]:
    s3 = client("s3")
    found: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found += [o["Key"] for o in page.get("Contents", [])]
    return sorted(found)


def body(bucket: str, key: str) -> bytes:
    data: bytes = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def latest_version(bucket: str, key: str) -> str:
    return str(client("s3").head_object(Bucket=bucket, Key=key)["VersionId"])


def environment(name: str) -> dict[str, Any]:
    env: dict[str, Any] = client("mwaa").get_environment(Name=name)["Environment"]
    return env


def last_update_at(name: str) -> Any:
    """When the newest update was asked for: unchanged means no UpdateEnvironment call."""
    return (environment(name).get("LastUpdate") or {}).get("CreatedAt")


def dag_ids(name: str) -> list[str]:
    """The DAGs the twin's scheduler imports from the environment's DAG folder."""
    resp = client("mwaa").invoke_rest_api(Name=name, Path="/dags", Method="GET")
    return sorted(d["dag_id"] for d in resp["RestApiResponse"]["dags"])
