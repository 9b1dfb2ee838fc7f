"""``taxiway airflow``: a real Airflow (standalone) on the project's own ``dags/``.

Order of work: (1) settings for Airflow: AIRFLOW_HOME under the project (``.airflow/``), the
project's dags folder, the local target (``TAXIWAY_ENV=local``) and the data dir, so the DAG's
tasks curate the same files `taxiway run` does; (2) ``airflow standalone`` (api-server,
scheduler, dag-processor, triggerer) in its own process group; (3) once the API answers and the
dag processor has parsed ``taxiway_hourly``: unpause it and create a backfill over the landing
hours found on disk, so each generated hour gets its run; (4) Ctrl-C, SIGTERM or SIGHUP stop
the whole process group (:func:`taxiway.runner.server.stop` escalates to SIGKILL because the
dag processor ignores SIGTERM).

Which hour a run curates is the DAG's business (its timetable); this module only asks Airflow
to backfill the range of generated hours, the way a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from taxiway.errors import MissingDependencyError, ToolchainError, UsageError

DAG_ID = "taxiway_hourly"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class AirflowSite:
    """Where one local Airflow lives and what it runs."""

    project: Path
    home: Path
    dags: Path
    data_dir: Path
    config: Path | None
    port: int
    #: the DAG's first hour (TAXIWAY_DAG_START): the first landing hour on disk, so that
    #: catchup does not replay the hours before the data
    dag_start: datetime | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


def airflow_bin() -> Path:
    """The ``airflow`` executable of the environment taxiway runs in."""
    exe = Path(sys.executable).parent / "airflow"
    if not exe.is_file():
        raise MissingDependencyError("apache-airflow", "airflow")
    return exe


def site(settings: Any, data_dir: Path, port: int, home: Path | None = None) -> AirflowSite:
    """The project this Airflow serves: the folder of ``taxiway.yaml`` (else the cwd)."""
    source = Path(settings.source)
    config = source.resolve() if source.is_file() else None
    project = config.parent if config else Path.cwd().resolve()
    dags = project / "dags"
    if not (dags / "taxiway_hourly.py").is_file():
        raise UsageError(
            f"No `dags/taxiway_hourly.py` under `{project}`; run `taxiway airflow` from the "
            "taxiway checkout (the folder with taxiway.yaml and dags/)."
        )
    return AirflowSite(
        project=project,
        home=(home or project / ".airflow").resolve(),
        dags=dags,
        data_dir=data_dir.resolve(),
        config=config,
        port=port,
    )


def environment(s: AirflowSite) -> dict[str, str]:
    """The process environment of ``airflow standalone`` and every task it runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONHOME")}
    # The user's own AIRFLOW__* settings win for tuning, except parallelism below.
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(s.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(s.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # One task at a time: the local tasks all write the one DuckDB warehouse file,
            # which takes a single writer; parallel report tasks (or a backfill run beside a
            # scheduled one) fail on its lock and wait out a 5-minute retry delay.
            "AIRFLOW__CORE__PARALLELISM": "1",
            "AIRFLOW__API__PORT": str(s.port),
            "AIRFLOW__API__BASE_URL": s.url,
            # tasks talk to the API server; its default URL assumes port 8080
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{s.url}/execution/",
            "TAXIWAY_ENV": "local",
            # No catchup: the backfill below runs the landing hours on disk. With catchup on,
            # unpausing would also queue every hour from the first landing hour to now, and
            # Airflow 3 ranks backfill runs below scheduled ones, so the data's hours would wait
            # behind days of empty hours. TAXIWAY_DAG_CATCHUP=true in your shell turns it back on.
            "TAXIWAY_DAG_CATCHUP": os.environ.get("TAXIWAY_DAG_CATCHUP", "false"),
            "TAXIWAY_DATA_DIR": str(s.data_dir),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(s.dags), env.get("PYTHONPATH")])),
        }
    )
    if s.config is not None:
        env["TAXIWAY_CONFIG"] = str(s.config)
    if s.dag_start is not None:
        env["TAXIWAY_DAG_START"] = f"{s.dag_start:%Y-%m-%dT%H}"
    return env


def ensure_port_free(port: int) -> None:
    """Fail early: another server on the port would answer the health check for ours."""
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(
                f"Port `{port}` is in use ({exc.strerror}); stop what runs there or choose "
                "another with `--port`."
            ) from exc


def launch(s: AirflowSite) -> subprocess.Popen[bytes]:
    """Start ``airflow standalone`` in its own session; output goes to ``<home>/standalone.log``."""
    s.home.mkdir(parents=True, exist_ok=True)
    with (s.home / "standalone.log").open("ab") as log:
        return subprocess.Popen(
            [str(airflow_bin()), "standalone"],
            env=environment(s),
            cwd=s.home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def landing_hours(lake: Any) -> list[datetime]:
    """The landing hours that have files, from the folder names (``year=/month=/day=/hour=``)."""
    base = lake.root / "landing" / "topics" / lake.topic
    hours = []
    for folder in base.glob("year=*/month=*/day=*/hour=*"):
        if not any(folder.iterdir()):
            continue
        y, m, d, h = (int(p.split("=", 1)[1]) for p in folder.parts[-4:])
        hours.append(datetime(y, m, d, h, tzinfo=UTC))
    return sorted(hours)


class AirflowApi:
    """The few REST calls ``taxiway airflow`` needs, with the standalone's generated login.

    The standalone keeps its metadata in SQLite, which takes one writer at a time: while the
    scheduler or the dag processor writes, the API answers a write with HTTP 503 ("Database
    is locked"). Such a call is made again after each of :attr:`RETRY_SECONDS` (about a
    minute in all); any other error, or a 503 that outlasts them, goes to the caller.
    """

    RETRY_SECONDS: tuple[float, ...] = (0.5, 1, 2, 4, 8, 15, 30)

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url
        self.user = user
        self.password = password
        self._token: str | None = None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        for delay in self.RETRY_SECONDS:
            try:
                return self._call_once(method, path, body)
            except urllib.error.HTTPError as exc:
                if exc.code != 503:
                    raise
                exc.close()
                time.sleep(delay)
        return self._call_once(method, path, body)  # the last try: its error is the caller's

    def _call_once(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        if self._token is None:
            self._token = str(
                self._raw(
                    "POST", "/auth/token", {"username": self.user, "password": self.password}
                )["access_token"]
            )
        return self._raw(method, path, body, {"Authorization": f"Bearer {self._token}"})

    def _raw(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._call("GET", f"/api/v2/dags/{dag_id}")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise
        return found

    def details(self, dag_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/api/v2/dags/{dag_id}/details")
        return found

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def backfill(self, dag_id: str, first: datetime, last: datetime) -> dict[str, Any]:
        body = {
            "dag_id": dag_id,
            "from_date": first.isoformat(),
            "to_date": last.isoformat(),
            "max_active_runs": 1,
            # a rerun of `taxiway airflow` re-curates only hours whose run failed or is missing
            "reprocess_behavior": "failed",
        }
        result: dict[str, Any] = self._call("POST", "/api/v2/backfills", body)
        return result

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns?order_by=logical_date&limit=100"
        )["dag_runs"]
        return found

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        """``{task_id: state}`` of one run (for reports when a run does not finish)."""
        quoted = urllib.parse.quote(run_id, safe="")
        found = self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances")
        return {t["task_id"]: t["state"] for t in found["task_instances"]}


def wait_for_dag(api: AirflowApi, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until the dag processor has parsed ``taxiway_hourly`` (it is served by the API)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ToolchainError("`airflow standalone` exited while parsing the DAGs.")
        if api.dag(DAG_ID) is not None:
            return
        time.sleep(2)
    raise ToolchainError(
        f"`{DAG_ID}` did not appear in Airflow within {timeout:.0f} s; see the dag processor's "
        "log under the Airflow home (`logs/dag_processor/`) for an import error."
    )


def catchup_warning(
    details: dict[str, Any], hours: list[datetime], now: datetime | None = None
) -> str | None:
    """A warning when unpausing would also replay more than a day of hours beyond the data."""
    start = details.get("start_date")
    if not details.get("catchup") or not start or not hours:
        return None
    begins = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
    now = now or datetime.now(UTC)
    replayed = (now - begins).total_seconds() / 3600 - len(hours)
    if replayed <= 24:
        return None
    return (
        f"warning: `{DAG_ID}` catches up from {begins:%Y-%m-%dT%H}: once unpaused, the "
        f"scheduler also runs about {replayed:.0f} more hours up to now, one at a time and ahead "
        "of the backfill (mostly empty hours). Unset TAXIWAY_DAG_CATCHUP to turn catchup off."
    )


def schedule_hours(api: AirflowApi, hours: list[datetime], progress: Progress) -> str:
    """Unpause the DAG and backfill the generated hours; return what was asked, for the user."""
    warning = catchup_warning(api.details(DAG_ID), hours)
    if warning:
        progress(warning)
    api.unpause(DAG_ID)
    if not hours:
        return "no landing hours on disk: generate some with `taxiway generate`"
    try:
        api.backfill(DAG_ID, hours[0], hours[-1])
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        if exc.code == 409:  # a backfill from an earlier start is still running: fine
            return f"a backfill of `{DAG_ID}` is already running ({detail})"
        raise ToolchainError(
            f"Airflow refused the backfill of `{DAG_ID}` (HTTP {exc.code}: {detail})."
        ) from exc
    return (
        f"backfill of `{DAG_ID}` for {len(hours)} landing hour(s) "
        f"{hours[0]:%Y-%m-%dT%H}..{hours[-1]:%Y-%m-%dT%H}"
    )


def serve(
    s: AirflowSite,
    hours: list[datetime],
    progress: Progress,
    backfill: bool = True,
    startup_timeout: float = 300.0,
) -> int:
    """Run Airflow until Ctrl-C (or SIGTERM/SIGHUP); return the exit code.

    Any way out (a signal, an error, Airflow dying) stops the whole process group.
    """
    import signal

    from taxiway.runner import server

    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    ensure_port_free(s.port)
    previous = {
        sig: signal.signal(sig, _interrupt)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    proc = launch(s)
    progress(f"Starting Airflow (standalone) on `{s.dags}`; log: {s.home / 'standalone.log'}")
    try:
        if not server.wait_healthy(server.health_url(s.port, 3), proc, startup_timeout):
            tail = (s.home / "standalone.log").read_text(errors="replace").splitlines()[-20:]
            progress("Airflow did not become healthy. Last log lines:\n" + "\n".join(tail))
            return 1
        credentials = _wait_login(s.home, proc)
        if credentials is None:
            progress("Airflow started but wrote no login; see the log above.")
            return 1
        user, password = credentials
        progress(
            f"Airflow UI: {s.url}  login: user `{user}`, password `{password}`  (Ctrl-C stops it)"
        )
        if backfill:
            api = AirflowApi(s.url, user, password)
            wait_for_dag(api, proc, startup_timeout)
            progress(schedule_hours(api, hours, progress))
        proc.wait()
        return 0 if proc.returncode in (0, -signal.SIGINT) else 1
    except KeyboardInterrupt:
        progress("Stopping Airflow...")
        server.stop(proc)
        progress("Stopped.")
        return 0
    finally:
        if proc.poll() is None or _group_alive(proc.pid):
            server.stop(proc)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_login(home: Path, proc: subprocess.Popen[bytes]) -> tuple[str, str] | None:
    """The generated admin login; standalone writes it shortly after the API is up."""
    from taxiway.runner import server

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        found = server.login(home)
        if found is not None:
            return found
        time.sleep(1)
    return server.login(home)
