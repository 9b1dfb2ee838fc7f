"""`taxiway airflow`'s REST client against a local HTTP server that answers as Airflow's
API does while SQLite is locked (HTTP 503): the call is made again, and only a 503 that
outlasts the retries, or another error, reaches the caller with Airflow's own words."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from taxiway.errors import ToolchainError
from taxiway.ui.airflow import DAG_ID, AirflowApi, schedule_hours

LOCKED = {
    "detail": "Database is locked. Backfill creation is not supported on SQLite under "
    "concurrent access. Please use PostgreSQL or MySQL."
}
HOURS = [datetime(2026, 11, 29, 5, tzinfo=UTC), datetime(2026, 11, 29, 6, tzinfo=UTC)]


class Airflow(ThreadingHTTPServer):
    """Answers the calls `schedule_hours` makes; the first ``locked`` backfills get a 503."""

    def __init__(self, locked: int, status: int = 503) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.locked = locked
        self.status = status
        self.calls: list[tuple[str, str, Any]] = []


class _Handler(BaseHTTPRequestHandler):
    server: Airflow

    def _answer(self, code: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.calls.append((self.command, self.path, body))
        if self.path == "/auth/token":
            self._answer(201, {"access_token": "t"})
        elif self.path == f"/api/v2/dags/{DAG_ID}/details":
            self._answer(200, {"catchup": False, "start_date": "2026-11-29T05:00:00Z"})
        elif self.path == "/api/v2/backfills" and self.server.locked > 0:
            self.server.locked -= 1
            self._answer(self.server.status, LOCKED)
        else:
            self._answer(200, {"id": 1})

    do_GET = do_POST = do_PATCH = _handle

    def log_message(self, *args: Any) -> None:
        """Quiet: the tests read ``calls``, not the server's request log."""


@contextmanager
def _serve(airflow: Airflow) -> Iterator[AirflowApi]:
    thread = threading.Thread(target=airflow.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api = AirflowApi(f"http://127.0.0.1:{airflow.server_address[1]}", "admin", "pw")
    api.RETRY_SECONDS = (0.01, 0.01, 0.01)
    try:
        yield api
    finally:
        airflow.shutdown()
        airflow.server_close()


@pytest.fixture
def locked_twice() -> Iterator[tuple[AirflowApi, Airflow]]:
    airflow = Airflow(locked=2)
    with _serve(airflow) as api:
        yield api, airflow


def test_a_locked_database_is_waited_out(locked_twice: tuple[AirflowApi, Airflow]) -> None:
    api, airflow = locked_twice
    said = schedule_hours(api, HOURS, lambda _: None)
    assert said == f"backfill of `{DAG_ID}` for 2 landing hour(s) 2026-11-29T05..2026-11-29T06"
    backfills = [c for c in airflow.calls if c[1] == "/api/v2/backfills"]
    assert len(backfills) == 3  # two 503s, then created
    assert backfills[-1][2]["from_date"] == HOURS[0].isoformat()
    assert ("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False}) in airflow.calls


def test_a_lock_that_outlasts_the_retries_is_reported_with_airflows_words() -> None:
    airflow = Airflow(locked=10)
    with _serve(airflow) as api:
        with pytest.raises(ToolchainError, match=r"HTTP 503: .*Database is locked"):
            schedule_hours(api, HOURS, lambda _: None)
        assert len([c for c in airflow.calls if c[1] == "/api/v2/backfills"]) == 4


def test_other_errors_are_not_retried() -> None:
    airflow = Airflow(locked=1, status=400)
    with _serve(airflow) as api:
        with pytest.raises(ToolchainError, match="HTTP 400"):
            schedule_hours(api, HOURS, lambda _: None)
        assert len([c for c in airflow.calls if c[1] == "/api/v2/backfills"]) == 1
