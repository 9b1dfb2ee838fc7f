"""`taxiway airflow`: a real Airflow standalone on dags/, seen through a real browser.

One Airflow per session (it is heavy on two cores): the CLI starts it on a free port with a
one-hour lake, backfills that hour, and the test logs in with Chromium and finds the
`taxiway_hourly` run succeeded; then Ctrl-C (SIGINT) must leave no Airflow process behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from taxiway.ui.airflow import DAG_ID, AirflowApi

pytestmark = pytest.mark.integration
HOUR = datetime(2026, 11, 29, 5, tzinfo=UTC)
STARTUP_SECONDS = 420
RUN_SECONDS = 240  # a 600-event hour takes ~1 min; inside pytest's 600 s with start-up
CLI = [sys.executable, "-m", "taxiway.cli.app", "airflow"]


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    url: str
    user: str
    password: str
    home: Path
    data: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _airflow_pids(home: Path) -> list[int]:
    """Processes whose AIRFLOW_HOME is ``home`` (every Airflow component inherits it)."""
    needle = f"AIRFLOW_HOME={home}\0".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if needle in (proc / "environ").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


@pytest.fixture(scope="session")
def airflow_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    from taxiway.events.generator import GeneratorOptions, generate

    base = tmp_path_factory.mktemp("airflow_ui")
    data, home, log = base / "data", base / "airflow", base / "taxiway-airflow.log"
    generate(data, GeneratorOptions(start=HOUR, hours=1, events_per_hour=600))
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*CLI, "--port", str(port), "--home", str(home), "--data-dir", str(data)],
            env=os.environ,  # no COLUMNS: status lines are never wrapped, even in a file
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        text = ""
        while time.monotonic() < deadline and "backfill of" not in text:
            assert proc.poll() is None, f"`taxiway airflow` exited:\n{log.read_text()}"
            time.sleep(2)
            text = log.read_text()
        assert "backfill of `taxiway_hourly` for 1 landing hour(s)" in text, text
        found = re.search(
            r"Airflow UI: (http://localhost:\d+)\s+login: user `([^`]+)`, password `([^`]+)`", text
        )
        assert found, text
        url, user, password = found.groups()
        assert url == f"http://localhost:{port}"
        yield Running(proc, url, user, password, home, data, log)
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise


def _wait_for_hour_run(site: Running) -> dict[str, Any]:
    """The run of HOUR's interval, once it has finished (whoever created it)."""
    api = AirflowApi(site.url, site.user, site.password)
    deadline = time.monotonic() + RUN_SECONDS
    run: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        run = next(
            (r for r in api.runs(DAG_ID) if _hour(r["logical_date"]) == HOUR),
            None,
        )
        if run and run["state"] in ("success", "failed"):
            break
        time.sleep(3)
    every = json.dumps(api.runs(DAG_ID), indent=1)
    assert run, f"no run of {DAG_ID} for {HOUR:%Y-%m-%dT%H} was created; runs:\n{every}"
    # the hour is days old and catchup is off: only the backfill can have created its run
    assert run["run_type"] == "backfill", every
    assert run["state"] == "success", (
        f"the backfill run did not succeed within {RUN_SECONDS} s; its tasks: "
        f"{api.task_states(DAG_ID, run['dag_run_id'])}\nruns:\n{every}\n"
        f"log tail:\n{site.log.read_text()[-3000:]}"
    )
    tasks = api.task_states(DAG_ID, run["dag_run_id"])
    assert {"settle", "curate"} <= set(tasks) and set(tasks.values()) == {"success"}, tasks
    return run


def _hour(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def test_airflow_ui_shows_a_successful_taxiway_hourly_run(
    airflow_site: Running, browser: Any, screenshot: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    run = _wait_for_hour_run(airflow_site)
    # the run curated the generated hour: its hour manifest is there and balances
    manifest = json.loads(
        (airflow_site.data / "manifests" / "hours" / f"{HOUR:%Y-%m-%dT%H}.json").read_text()
    )
    assert manifest["input_records"] > 500
    assert manifest["input_records"] == (
        manifest["curated_new"] + manifest["duplicates"] + manifest["quarantined"]
    )
    assert (airflow_site.data / "warehouse.duckdb").is_file()

    wait = WebDriverWait(browser, 120)
    browser.get(airflow_site.url)
    password = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type=password]")))
    user = browser.find_element(By.CSS_SELECTOR, "input:not([type=password])")
    user.send_keys(airflow_site.user)
    password.send_keys(airflow_site.password, Keys.RETURN)
    wait.until(lambda d: "/login" not in d.current_url)

    browser.get(f"{airflow_site.url}/dags/{DAG_ID}/runs")
    wait.until(lambda d: run["dag_run_id"] in d.find_element(By.TAG_NAME, "body").text)
    row = wait.until(
        lambda d: next(
            (
                r
                for r in d.find_elements(By.CSS_SELECTOR, "tr")
                if run["dag_run_id"] in r.text and "success" in r.text.lower()
            ),
            None,
        )
    )
    assert row is not None
    screenshot(browser, "airflow_runs", full_page=False)

    browser.get(f"{airflow_site.url}/dags/{DAG_ID}")
    wait.until(lambda d: DAG_ID in d.find_element(By.TAG_NAME, "body").text)
    time.sleep(2)  # let the grid draw for the screenshot
    screenshot(browser, "airflow_dag", full_page=False)


def test_ctrl_c_stops_every_airflow_process(airflow_site: Running) -> None:
    """Runs last in this module: stops the session's Airflow and checks nothing is left."""
    assert _airflow_pids(airflow_site.home), "Airflow should be running before Ctrl-C"
    t0 = time.monotonic()
    airflow_site.proc.send_signal(signal.SIGINT)
    assert airflow_site.proc.wait(timeout=90) == 0
    assert time.monotonic() - t0 < 60
    assert "Stopped." in airflow_site.log.read_text()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _airflow_pids(airflow_site.home):
        time.sleep(0.5)
    assert _airflow_pids(airflow_site.home) == []


def test_a_busy_port_is_a_clear_error_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [
                *CLI,
                "--port",
                str(port),
                "--home",
                str(tmp_path / "home"),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ,  # no COLUMNS: status lines are never wrapped, even in a file
        )
    assert proc.returncode == 2, proc.stderr
    assert f"Port `{port}` is in use" in proc.stderr
    assert not (tmp_path / "home").exists()
