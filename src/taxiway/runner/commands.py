"""``taxiway local run PROJECT -- COMMAND``: any command in the built environment.

``taxiway local run . -- airflow dags test my_dag 2026-01-01`` runs the command the way an
MWAA component would run it: after the startup script, with its exports, in the container
(the sandbox, the project at MWAA's paths), with ``--variables`` as ``AIRFLOW_VAR_*`` and
the environment's ``bin`` first on PATH. The terminal is the command's: its output, its
input, its exit code. Airflow commands that need the metadata database get one: the first
of them in a project's AIRFLOW_HOME runs ``airflow db migrate`` first (once).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from packaging.version import Version

from taxiway.errors import UsageError
from taxiway.findings import Finding
from taxiway.runner import startup
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import Layout
from taxiway.runner.session import Session, open_session

DB_READY = ".taxiway-db-ready"
# Airflow subcommands that work without a migrated metadata database.
_NO_DATABASE = frozenset({"db", "version", "info", "config", "cheat-sheet", "standalone"})


def migrate_command(airflow_version: str) -> list[str]:
    """The command that creates or upgrades Airflow's metadata database for a version."""
    version = Version(airflow_version)
    if version.major < 2:
        return ["airflow", "initdb"]
    if version < Version("2.7"):
        return ["airflow", "db", "init"]
    return ["airflow", "db", "migrate"]


def needs_database(command: list[str]) -> bool:
    """True for an Airflow command that reads or writes the metadata database."""
    return (
        Path(command[0]).name == "airflow" and len(command) > 1 and command[1] not in _NO_DATABASE
    )


def ensure_database(session: Session, env: dict[str, str], progress: Progress) -> str | None:
    """Migrate the project's AIRFLOW_HOME database once; the output tail when it fails."""
    marker = session.home / DB_READY
    if marker.is_file():
        return None
    progress(
        f"Preparing Airflow {session.release.version}'s database in {session.home} "
        "(once per project and environment)"
    )
    out = subprocess.run(
        session.box.argv(migrate_command(session.release.version), network=True),
        env=env,
        cwd=session.home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        return "\n".join((out.stdout + out.stderr).strip().splitlines()[-15:])
    marker.touch()
    return None


def run_command(
    project_dir: Path,
    mwaa_version: str,
    command: list[str],
    python: str | None = None,
    cache: Path | None = None,
    rebuild: bool = False,
    progress: Progress = quiet,
    on_findings: Callable[[list[Finding]], int] = lambda _: 1,
    layout: Layout | None = None,
    variables: dict[str, str] | None = None,
    startup_mode: str = "sandbox",
    startup_network: bool = False,
    startup_timeout: float = startup.MWAA_TIMEOUT_SECONDS,
) -> int:
    """Run ``command`` in the project's environment after its startup script; its exit code.

    ``on_findings`` shows what went wrong before the command (an install failure ends the
    run with its code; startup findings are shown and the command still runs, as MWAA's
    components start after a failed startup script).
    """
    if not command:
        raise UsageError("Nothing to run: pass the command after `--`, e.g. `-- airflow info`.")
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
        env = session.environment(variables)
        if needs_database(command):
            failure = ensure_database(session, env, progress)
            if failure is not None:
                progress(f"`{' '.join(migrate_command(mwaa_version))}` failed:\n{failure}")
                return 1
        proc = subprocess.Popen(session.box.argv(command, network=True), env=env, cwd=session.home)
        try:
            return proc.wait()
        except KeyboardInterrupt:  # the terminal sent SIGINT to the command as well
            return proc.wait()
