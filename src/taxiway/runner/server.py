"""``taxiway local start``: a real Airflow (``airflow standalone``) on the project.

The same cached environment as ``local test``; AIRFLOW_HOME lives next to it, one per
project, so the metadata database and the generated login survive restarts. Airflow runs
in its own process group: Ctrl-C (or :func:`stop`) sends SIGINT to the whole group, waits,
then escalates, so no scheduler or API server is left behind.
"""

from __future__ import annotations

import hashlib
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
from taxiway.runner import imports
from taxiway.runner.check import install_failure_finding, prepare, variables_environment
from taxiway.runner.environment import BuiltEnv, InstallFailure
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import Layout

STARTUP_TIMEOUT_SECONDS = 300.0


def airflow_home(built: BuiltEnv, layout: Layout) -> Path:
    """One AIRFLOW_HOME per (environment, project)."""
    digest = hashlib.sha256(str(layout.root).encode()).hexdigest()[:12]
    home = built.root / "homes" / digest
    home.mkdir(parents=True, exist_ok=True)
    return home


def health_url(port: int, airflow_major: int) -> str:
    if airflow_major >= 3:
        return f"http://localhost:{port}/api/v2/monitor/health"
    return f"http://localhost:{port}/health"


def server_environment(
    built: BuiltEnv,
    layout: Layout,
    home: Path,
    port: int,
    variables: dict[str, str] | None = None,
) -> dict[str, str]:
    """Airflow's settings for a local standalone run on the project's folders."""
    plugins = home / "plugins"
    if layout.plugins is not None:
        plugins = imports.unpack_plugins(layout.plugins, home)
    # The user's own AIRFLOW__* settings are kept: this is their local Airflow to tune.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # 32 LocalExecutor workers (the default) swamp a laptop; MWAA's small class runs 5.
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "5")
    env.update(
        {
            "PATH": f"{built.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(built.python.parent.parent),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(layout.dags_folder),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(port),
            "AIRFLOW__API__PORT": str(port),
            "PYTHONPYCACHEPREFIX": str(built.root / "pycache"),
        }
    )
    env.update(variables_environment(variables or {}))  # --variables, as AIRFLOW_VAR_*
    return env


def launch(
    built: BuiltEnv, layout: Layout, port: int, variables: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start ``airflow standalone``; its output goes to ``<home>/standalone.log``."""
    home = airflow_home(built, layout)
    log = (home / "standalone.log").open("ab")
    proc = subprocess.Popen(
        [str(built.bin / "airflow"), "standalone"],
        env=server_environment(built, layout, home, port, variables),
        cwd=home,
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
) -> int:
    """Build or reuse the environment, run Airflow until Ctrl-C; return an exit code."""
    layout, spec, built, findings, _ = prepare(
        project_dir, mwaa_version, python, cache, rebuild, progress, layout
    )
    if isinstance(built, InstallFailure):
        requirements = (
            layout.rel(layout.requirements) if layout.requirements else "requirements.txt"
        )
        return on_findings([*findings, install_failure_finding(built, spec, requirements)])
    if findings:
        on_findings(findings)
    previous = _stop_on_signals()
    proc, home = launch(built, layout, port, variables)
    progress(f"Starting Airflow {mwaa_version} (standalone); log: {home / 'standalone.log'}")
    try:
        url = health_url(port, spec.release.airflow_major)
        if not wait_healthy(url, proc, STARTUP_TIMEOUT_SECONDS):
            stop(proc)
            tail = (home / "standalone.log").read_text(errors="replace").splitlines()[-20:]
            progress("Airflow did not become healthy. Last log lines:\n" + "\n".join(tail))
            return 1
        credentials = login(home)
        who = f"user `{credentials[0]}`, password `{credentials[1]}`" if credentials else "none"
        progress(f"Airflow UI: http://localhost:{port}  login: {who}  (Ctrl-C stops it)")
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
