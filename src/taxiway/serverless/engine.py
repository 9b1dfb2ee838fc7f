"""The Serverless engine on this machine: the local runner's Airflow with dag-factory.

MWAA Serverless runs Airflow 3.0 and builds each workflow from its YAML with dag-factory.
Here that is the local runner's environment for MWAA :data:`ENGINE_MWAA` with
:data:`DAG_FACTORY` as its one requirement: built once by uv and cached with every other
runner environment (``taxiway local envs`` lists it). Everything that imports user code
(describing DAG files, loading YAML whose callables are the project's, running a workflow)
runs there, in the runner's sandbox, through ``_engine.py``; this module only starts it
and reads its JSON.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taxiway.errors import ToolchainError
from taxiway.runner import sandbox
from taxiway.runner.environment import BuiltEnv, InstallFailure
from taxiway.runner.progress import Progress, quiet
from taxiway.serverless.operators import DAG_FACTORY, ENGINE_MWAA

SCRIPT = Path(__file__).with_name("_engine.py")
MARKER = "TAXIWAY-ENGINE-RESULT:"
TIMEOUT_SECONDS = 900.0
DB_READY = ".taxiway-serverless-db-ready"


def requirements_text() -> str:
    return f"# the Serverless engine: Airflow {ENGINE_MWAA} builds workflows with\n{DAG_FACTORY}\n"


def built_engine(cache: Path | None = None, progress: Progress = quiet) -> BuiltEnv:
    """The cached engine environment, built on first use (uv; about 10 s with a warm cache)."""
    from taxiway.runner.check import prepare
    from taxiway.runner.project import find_layout

    with tempfile.TemporaryDirectory(prefix="taxiway-serverless-") as tmp:
        work = Path(tmp)
        (work / "requirements.txt").write_text(requirements_text(), encoding="utf-8")
        layout = find_layout(work, requirements=work / "requirements.txt")
        _, _, built, _, _ = prepare(work, ENGINE_MWAA, None, cache, False, progress, layout)
    if isinstance(built, InstallFailure):
        raise ToolchainError(
            f"The Serverless engine (Airflow {ENGINE_MWAA} with {DAG_FACTORY}) did not "
            f"install: {built.message}"
        )
    return built


@dataclass(frozen=True)
class Engine:
    """A built engine and a folder mounted as its dags folder (MWAA's path in the sandbox)."""

    built: BuiltEnv
    dags: Path
    home: Path

    @contextmanager
    def _box(self) -> Iterator[tuple[sandbox.Container, dict[str, str]]]:
        from taxiway.runner.project import find_layout
        from taxiway.runner.variables import probe_environment

        venv_home = sandbox.interpreter_home(self.built.python.parent.parent)
        readable = tuple(p for p in (self.built.root, venv_home) if p is not None)
        pycache = self.built.root / "pycache"
        pycache.mkdir(exist_ok=True)
        with sandbox.container(
            {"dags": self.dags},
            sandboxed=sandbox.find_bwrap() is not None,
            home=self.home,
            readable=(*readable, SCRIPT.parent),
            writable=(pycache,),
        ) as box:
            layout = find_layout(self.dags.parent, dags=self.dags)
            dags_path = box.path("dags") or str(self.dags)
            env = probe_environment(layout, None, box.home_path, pycache, None, dags_path)
            yield box, env

    def call(self, mode: str, *args: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
        """Run ``_engine.py MODE DAGS ARGS`` in the sandbox; its JSON result. Only a run has
        the network (its tasks call AWS, the twin in tests); reading DAG files has none."""
        with self._box() as (box, env):
            if mode == "run":
                self._database(box, env)
            command = [str(self.built.python), str(SCRIPT), mode, box.path("dags") or "", *args]
            return _run(box.argv(command, network=mode == "run"), env, box.home, timeout)

    def migrate(self) -> None:
        """Create the metadata database in this engine's home (once)."""
        with self._box() as (box, env):
            self._database(box, env)

    def _database(self, box: sandbox.Container, env: dict[str, str]) -> None:
        """``airflow db migrate`` once per engine home (a run needs the metadata database)."""
        if (self.home / DB_READY).is_file():
            return
        command = [str(self.built.bin / "airflow"), "db", "migrate"]
        out = subprocess.run(
            box.argv(command, network=False),
            env=env,
            cwd=box.home,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
        if out.returncode != 0:
            tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-10:])
            raise ToolchainError(f"`airflow db migrate` failed in the Serverless engine:\n{tail}")
        (self.home / DB_READY).touch()


def _run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float) -> dict[str, Any]:
    try:
        out = subprocess.run(
            argv,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(
            f"The Serverless engine did not finish within {timeout:.0f} s."
        ) from exc
    for line in reversed(out.stdout.splitlines()):
        if line.startswith(MARKER):
            data: dict[str, Any] = json.loads(line[len(MARKER) :])
            return data
    tail = "\n".join(out.stderr.strip().splitlines()[-15:])
    raise ToolchainError(f"The Serverless engine stopped without a result:\n{tail}")


@contextmanager
def engine(
    dags: Path, cache: Path | None = None, progress: Progress = quiet, home: Path | None = None
) -> Iterator[Engine]:
    """The engine with ``dags`` as its dags folder; ``home`` keeps AIRFLOW_HOME (a run's
    database) between calls, else a scratch one is used."""
    built = built_engine(cache, progress)
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        yield Engine(built, dags.resolve(), home)
        return
    with tempfile.TemporaryDirectory(prefix="taxiway-serverless-home-") as tmp:
        yield Engine(built, dags.resolve(), Path(tmp))
