"""A real Kafka-protocol broker (tansu) and moto's S3 server, one of each per session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from taxiway.ingest.broker import create_topic, free_port, local_broker


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """tansu from the `kafka` extra on a free loopback port (fails, never skips, without it)."""
    with local_broker() as bootstrap:
        yield bootstrap


@pytest.fixture
def topic(broker: str) -> str:
    """A fresh 3-partition topic per test (the broker lives for the whole session)."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    create_topic(broker, name, 3)
    return name


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """moto's S3/STS server in this process; boto3 and subprocesses find it via env vars."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", endpoint)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        mp.delenv("AWS_PROFILE", raising=False)
        yield endpoint
    server.stop()
