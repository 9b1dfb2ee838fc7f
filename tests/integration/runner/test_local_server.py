"""`taxiway local start`: a real Airflow standalone on the project, then a clean stop."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from taxiway.runner import server
from taxiway.runner.session import Session, open_session

pytestmark = pytest.mark.integration
PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "local_projects"
CLI_START = [sys.executable, "-m", "taxiway.cli.app", "local", "start"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dag_ids(port: int, major: int, user: str, password: str) -> list[str]:
    """The DAG ids the running Airflow serves, through its REST API."""
    if major >= 3:
        req = urllib.request.Request(
            f"http://localhost:{port}/auth/token",
            data=json.dumps({"username": user, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            auth = f"Bearer {json.loads(resp.read())['access_token']}"
        url = f"http://localhost:{port}/api/v2/dags"
    else:
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        url = f"http://localhost:{port}/api/v1/dags"
    req = urllib.request.Request(url, headers={"Authorization": auth})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return [d["dag_id"] for d in json.loads(resp.read())["dags"]]


def _listening(port: int) -> set[str]:
    """The local addresses a TCP port listens on (/proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_start_runs_startup_first_serves_the_dags_on_loopback_and_stops_everything(
    local_cache: Path,
) -> None:
    mwaa_version, major = "3.3.1", 3
    port = _free_port()
    with open_session(PROJECTS / "startup_sandbox", mwaa_version, cache=local_cache) as session:
        assert isinstance(session, Session), session
        assert session.box.sandboxed
        assert {f.code for f in session.findings} >= {"startup-ok", "startup-system-packages"}
        proc, home = server.launch(session, port)
        try:
            assert server.wait_healthy(server.health_url(port, major, "127.0.0.1"), proc, 240), (
                home / "standalone.log"
            ).read_text()[-3000:]
            assert _listening(port) == {"0100007F"}  # 127.0.0.1 only, not every interface
            credentials = server.login(home)
            assert credentials is not None and credentials[0] == "admin"
            deadline = time.monotonic() + 120
            ids: list[str] = []
            while time.monotonic() < deadline and "reads_startup" not in ids:
                ids = _dag_ids(port, major, *credentials)
                time.sleep(2)
            # the DAG imports only with what startup.sh exported: Airflow's DAG processor
            # got the exports
            assert ids == ["reads_startup"]
        finally:
            t_stop = time.monotonic()
            server.stop(proc)
    stop_seconds = time.monotonic() - t_stop
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # no scheduler, API server or worker left behind
    assert stop_seconds < 30


def _processes_under(path: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(path) in line]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cli_start_prints_url_and_login_and_stops_on_a_signal(
    local_cache: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    port = _free_port()
    log = tmp_path / "stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [*CLI_START, str(PROJECTS / "plugin_error"), "--mwaa", "2.11.2", "--port", str(port)],
            env={
                **os.environ,
                "TAXIWAY_CACHE_DIR": str(local_cache),
                "COLUMNS": "300",
                # Airflow 2's REST API takes basic auth only when told; AIRFLOW__* pass through
                "AIRFLOW__API__AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth",
            },
            stdout=err,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and "Airflow UI" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            time.sleep(1)
        text = log.read_text()
        assert f"Airflow UI: http://localhost:{port}" in text
        assert "login: user `admin`, password `" in text
        assert _processes_under(local_cache), "airflow should be running from the cache"
        password = re.search(r"password `([^`]+)`", text)
        assert password is not None
        deadline = time.monotonic() + 120
        ids: list[str] = []
        while time.monotonic() < deadline and "good" not in ids:
            ids = _dag_ids(port, 2, "admin", password.group(1))
            time.sleep(2)
        assert ids == ["good"]
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 0
        assert "Stopped." in log.read_text()
        assert _processes_under(local_cache) == []
    finally:
        if proc.poll() is None:
            proc.kill()
