"""The local AWS twin: moto's server in this process (backends shared with the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taxiway import naming

ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"  # taxiway.yaml's region for every aws environment
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto's server once per session on a free port; stop it at the end."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty account on the twin; boto3 in this process talks to it."""
    import requests

    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for key, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "TAXIWAY_CONFIG": str(REPO / "taxiway.yaml"),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


def client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=REGION)


def bucket(role: str, env: str = "sandbox") -> str:
    return naming.bucket("taxiway", env, role, ACCOUNT)


def create_buckets(roles: tuple[str, ...], env: str = "sandbox") -> None:
    """The environment's buckets as Terraform creates them (versioned)."""
    s3 = client("s3")
    for role in roles:
        name = bucket(role, env)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def keys(name: str) -> list[str]:
    s3 = client("s3")
    out: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        out.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(out)
