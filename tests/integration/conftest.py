"""Fixtures every integration folder can use: `taxiway twin`, the local AWS, as a user runs it.

``twin`` starts ``taxiway twin --port 0`` once per session (a subprocess: the CLI users run)
and reads its endpoint from the first stdout line; ``twin_aws`` gives a test a fresh, empty
account on it (moto and the twin's MWAA reset together) with boto3 in this process pointed
at it. The MWAA plane's virtualenvs are cached for the whole session in ``twin_cache``.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TWIN_REGION = "eu-west-1"


@dataclass(frozen=True)
class RunningTwin:
    endpoint: str
    data_dir: Path
    log: Path


@pytest.fixture(scope="session")
def twin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("twin-runner-cache")


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory, twin_cache: Path) -> Iterator[RunningTwin]:
    """`taxiway twin` on a free port for the whole session; stopped with SIGTERM."""
    data_dir = tmp_path_factory.mktemp("twin-data")
    log = data_dir.parent / "twin.log"
    exe = Path(sys.executable).parent / "taxiway"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("w") as err:
        proc = subprocess.Popen(
            [
                str(exe),
                "twin",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
                "--cache-dir",
                str(twin_cache),
                "--region",
                TWIN_REGION,
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        if not line.startswith("AWS_ENDPOINT_URL="):
            proc.kill()
            raise RuntimeError(f"`taxiway twin` did not start: {line!r}\n{log.read_text()}")
        try:
            yield RunningTwin(line.strip().split("=", 1)[1], data_dir, log)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def twin_aws(twin: RunningTwin, monkeypatch: pytest.MonkeyPatch) -> RunningTwin:
    """A fresh, empty account on the twin; boto3 (and the CLI in this process) talk to it."""
    import requests

    requests.post(f"{twin.endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for key, value in {
        "AWS_ENDPOINT_URL": twin.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": TWIN_REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return twin
