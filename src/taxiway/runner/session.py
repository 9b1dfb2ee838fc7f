"""One run of Airflow on the project, in MWAA's order: ``local start`` and ``local run``.

MWAA starts a component in this order, and so does a session: the environment (built or
reused), the startup script in the container (the sandbox by default), then Airflow with
what the script exported (minus MWAA's reserved variables) and the user's Variables. The
container's home is the environment's AIRFLOW_HOME for the project (one per project, kept
between runs: the metadata database and the generated login survive restarts).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from taxiway import mwaa
from taxiway.findings import Finding
from taxiway.mwaa import MwaaRelease
from taxiway.runner import environment, startup
from taxiway.runner.check import (
    container_for,
    install_failure_finding,
    prepare,
    run_startup_step,
    sandbox_wanted,
    variables_environment,
)
from taxiway.runner.environment import BuiltEnv, InstallFailure
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import Layout, find_layout
from taxiway.runner.sandbox import Container


def airflow_home(built: BuiltEnv, layout: Layout) -> Path:
    """One AIRFLOW_HOME per (environment, project)."""
    digest = hashlib.sha256(str(layout.root).encode()).hexdigest()[:12]
    home = built.root / "homes" / digest
    home.mkdir(parents=True, exist_ok=True)
    return home


@dataclass
class Session:
    """A built environment, its container and what the startup script left behind."""

    built: BuiltEnv
    layout: Layout
    release: MwaaRelease
    box: Container
    startup: startup.StartupResult | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def home(self) -> Path:
        """AIRFLOW_HOME on the host."""
        return self.box.home

    def environment(self, variables: dict[str, str] | None = None) -> dict[str, str]:
        """What Airflow runs with: the user's environment (their ``AIRFLOW__*`` settings
        too: this is their local Airflow to tune), the project's folders as the container
        shows them, the startup script's exports, then ``variables`` as ``AIRFLOW_VAR_*``."""
        box = self.box
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        # 32 LocalExecutor workers (the default) swamp a laptop; MWAA's small class runs 5.
        env.setdefault("AIRFLOW__CORE__PARALLELISM", "5")
        env.update(
            {
                "PATH": f"{self.built.bin}{os.pathsep}{os.environ.get('PATH', '')}",
                "VIRTUAL_ENV": str(self.built.python.parent.parent),
                "AIRFLOW_HOME": box.home_path,
                "AIRFLOW__CORE__DAGS_FOLDER": box.path("dags") or str(self.layout.dags_folder),
                "AIRFLOW__CORE__PLUGINS_FOLDER": box.path("plugins") or f"{box.home_path}/plugins",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "PYTHONPYCACHEPREFIX": str(self.built.root / "pycache"),
            }
        )
        env = startup.with_exports(env, self.startup, self.release.airflow_major)
        env.update(variables_environment(variables or {}))
        return env


@contextmanager
def open_session(
    project_dir: Path,
    mwaa_version: str,
    python: str | None = None,
    cache: Path | None = None,
    rebuild: bool = False,
    progress: Progress = quiet,
    layout: Layout | None = None,
    startup_mode: str = "sandbox",
    startup_network: bool = False,
    startup_timeout: float = startup.MWAA_TIMEOUT_SECONDS,
) -> Iterator[Session | list[Finding]]:
    """The session, or the findings of why there is none (an install failure).

    The environment is held against ``local prune`` until the session ends.
    """
    release = mwaa.release(mwaa_version)
    layout = layout or find_layout(project_dir)
    sandboxed = sandbox_wanted(layout, startup_mode)
    layout, spec, built, findings, _ = prepare(
        project_dir, mwaa_version, python, cache, rebuild, progress, layout
    )
    if isinstance(built, InstallFailure):
        requirements = (
            layout.rel(layout.requirements) if layout.requirements else "requirements.txt"
        )
        yield [*findings, install_failure_finding(built, spec, requirements)]
        return
    home = airflow_home(built, layout)
    with (
        environment.in_use(built, layout.root),
        container_for(built, layout, sandboxed, home=home) as box,
    ):
        result, found, _ = run_startup_step(
            box, built, layout, release, startup_mode, startup_timeout, startup_network, progress
        )
        yield Session(built, layout, release, box, result, [*findings, *found])
