"""``taxiway local start``: a real Airflow (``airflow standalone``) on the project.

The same cached environment as ``local test``, in MWAA's order (:mod:`taxiway.runner.session`):
the startup script first, then Airflow with its exports, in the same container (the sandbox:
the host read-only, the project at MWAA's paths; the network and the user's home stay, as
Airflow needs them). AIRFLOW_HOME lives next to the environment, one per project, so the
metadata database and the generated login survive restarts. Airflow listens on 127.0.0.1
unless told otherwise. It runs in its own process group: Ctrl-C (or :func:`stop`) sends
SIGINT to the whole group, waits, then escalates, so no scheduler or API server is left
behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from taxiway.findings import Finding
from taxiway.runner import startup as startup_script
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import Layout
from taxiway.runner.session import Session, airflow_home, open_session

__all__ = ["airflow_home", "health_url", "launch", "login", "serve", "stop", "wait_healthy"]

STARTUP_TIMEOUT_SECONDS = 300.0
DEFAULT_HOST = "127.0.0.1"
_ALL_INTERFACES = ("0.0.0.0", "::", "")


def health_url(port: int, airflow_major: int, host: str = "localhost") -> str:
    where = "localhost" if host in _ALL_INTERFACES else host
    if ":" in where:
        where = f"[{where}]"
    if airflow_major >= 3:
        return f"http://{where}:{port}/api/v2/monitor/health"
    return f"http://{where}:{port}/health"


def ui_url(port: int, host: str) -> str:
    """The address to print: ``localhost`` for the loopback or all interfaces."""
    where = "localhost" if host in (*_ALL_INTERFACES, "127.0.0.1", "localhost") else host
    return f"http://{where}:{port}"


def server_environment(
    session: Session,
    port: int,
    variables: dict[str, str] | None = None,
    host: str = DEFAULT_HOST,
) -> dict[str, str]:
    """Airflow's settings for a local standalone run on the project's folders."""
    env = session.environment(variables)
    env.update(
        {
            # Airflow 2's webserver and Airflow 3's API server: listen where asked only.
            "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": host,
            "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(port),
            "AIRFLOW__API__HOST": host,
            "AIRFLOW__API__PORT": str(port),
        }
    )
    if session.release.airflow_major >= 3:
        # Tasks reach the API server here; the default assumes port 8080 on localhost.
        base = health_url(port, 3, host).split("/api/")[0]
        env.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", f"{base}/execution/")
    return env


def launch(
    session: Session,
    port: int,
    variables: dict[str, str] | None = None,
    host: str = DEFAULT_HOST,
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start ``airflow standalone`` in the session's container; output to ``standalone.log``
    in AIRFLOW_HOME (returned as a host path)."""
    home = session.home
    # Left by an earlier start: in the sandbox's own PID namespace their numbers are soon
    # some other process of the next start's, and Airflow 2's webserver then waits for
    # "itself" forever. Nothing else runs from this home (the port would clash first).
    for stale in (*home.glob("airflow-*.pid"), home / "gunicorn.ctl"):
        stale.unlink(missing_ok=True)
    log = (home / "standalone.log").open("ab")
    command = [str(session.built.bin / "airflow"), "standalone"]
    proc = subprocess.Popen(
        session.box.argv(command, network=True),
        env=server_environment(session, port, variables, host),
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    return proc, home


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll ``url`` until it answers 200, the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1.0)
    return False


def login(home: Path) -> tuple[str, str] | None:
    """The admin login ``airflow standalone`` generated (Airflow 2 and 3 keep it apart)."""
    legacy = home / "standalone_admin_password.txt"
    if legacy.is_file():
        return "admin", legacy.read_text(encoding="utf-8").strip()
    generated = home / "simple_auth_manager_passwords.json.generated"
    if generated.is_file():
        users: dict[str, str] = json.loads(generated.read_text(encoding="utf-8"))
        for user, password in users.items():
            return user, password
    return None


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    proc.poll()  # reap our direct child so it does not linger as a zombie member
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> int:
    """Stop ``airflow standalone`` and everything it started.

    SIGINT to the group first (what Ctrl-C does in a terminal) and up to ``grace`` seconds
    for standalone to shut its components down; then SIGTERM and finally SIGKILL for any
    member left over (Airflow 3.3's dag-processor ignores both and would keep the group,
    and its SQLite database, alive).
    """
    steps = (
        (signal.SIGINT, grace, False),
        (signal.SIGTERM, 5.0, True),
        (signal.SIGKILL, 5.0, True),
    )
    for sig, wait, whole_group in steps:
        if not _group_alive(proc):
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            alive = _group_alive(proc) if whole_group else proc.poll() is None
            if not alive:
                break
            time.sleep(0.2)
    return proc.wait()


def serve(
    project_dir: Path,
    mwaa_version: str,
    python: str | None = None,
    cache: Path | None = None,
    rebuild: bool = False,
    port: int = 8080,
    progress: Progress = quiet,
    on_findings: Callable[[list[Finding]], int] = lambda _: 1,
    layout: Layout | None = None,
    variables: dict[str, str] | None = None,
    host: str = DEFAULT_HOST,
    startup_mode: str = "sandbox",
    startup_network: bool = False,
    startup_timeout: float = startup_script.MWAA_TIMEOUT_SECONDS,
) -> int:
    """Build or reuse the environment, run startup, run Airflow until Ctrl-C; an exit code."""
    with open_session(
        project_dir,
        mwaa_version,
        python,
        cache,
        rebuild,
        progress,
        layout,
        startup_mode,
        startup_network,
        startup_timeout,
    ) as session:
        if not isinstance(session, Session):
            return on_findings(session)
        if session.findings:
            on_findings(session.findings)
        return _run(session, port, variables, host, progress)


def _run(
    session: Session,
    port: int,
    variables: dict[str, str] | None,
    host: str,
    progress: Progress,
) -> int:
    previous = _stop_on_signals()
    proc, home = launch(session, port, variables, host)
    version = session.release.version
    progress(f"Starting Airflow {version} (standalone); log: {home / 'standalone.log'}")
    try:
        url = health_url(port, session.release.airflow_major, host)
        if not wait_healthy(url, proc, STARTUP_TIMEOUT_SECONDS):
            stop(proc)
            tail = (home / "standalone.log").read_text(errors="replace").splitlines()[-20:]
            progress("Airflow did not become healthy. Last log lines:\n" + "\n".join(tail))
            return 1
        credentials = login(home)
        who = f"user `{credentials[0]}`, password `{credentials[1]}`" if credentials else "none"
        where = " (all interfaces)" if host in _ALL_INTERFACES else ""
        progress(f"Airflow UI: {ui_url(port, host)}{where}  login: {who}  (Ctrl-C stops it)")
        proc.wait()
        return 0 if proc.returncode in (0, -signal.SIGINT) else 1
    except KeyboardInterrupt:
        progress("Stopping Airflow...")
        stop(proc)
        progress("Stopped.")
        return 0
    finally:
        if proc.poll() is None:  # any other way out must not leave Airflow running
            stop(proc)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> dict[signal.Signals, Any]:
    """Ctrl-C, SIGTERM (a CI time-out, ``kill``) and SIGHUP (terminal closed) all stop
    Airflow cleanly. SIGINT is set explicitly: a shell's background job inherits it ignored."""
    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, _interrupt)
    return previous
