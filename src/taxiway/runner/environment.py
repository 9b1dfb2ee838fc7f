"""Build (or reuse) the cached virtual environment for one target with uv.

Layout of one cache entry, ``<cache>/<mwaa-V-pyX.Y-key>/``::

    venv/                   the environment
    constraints.txt         MWAA's Airflow constraints (what -c resolves to)
    essentials.txt          MWAA's non-overridable pins
    requirements.txt        the user's requirements, rewritten (absolute includes)
    taxiway-env.json        written last: its presence means "complete"

Entries are built under a lock so two runs never install into the same folder at once,
and a failed build leaves no marker, so the next run starts clean.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from taxiway.errors import ToolchainError, UsageError
from taxiway.runner.interpreters import uv_bin, uv_env
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.target import MWAA_PLUGINS_DIR, PLUGINS_PLACEHOLDER, EnvSpec, data_text

MARKER = "taxiway-env.json"


@dataclass(frozen=True)
class BuiltEnv:
    """A usable environment: where it is and how we got it."""

    root: Path
    python: Path
    cached: bool
    seconds: float

    @property
    def bin(self) -> Path:
        return self.python.parent


@dataclass(frozen=True)
class InstallFailure:
    """uv could not install; ``step`` is "airflow" or "requirements"."""

    step: str
    command: list[str]
    message: str


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_uv(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [uv_bin(), *args],
            capture_output=True,
            text=True,
            env=uv_env(),
            cwd=cwd,
            timeout=1800,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainError(f"`uv {args[0]}` could not run: {exc}; check the uv install.") from exc


def resolver_message(stderr: str, limit: int = 40) -> str:
    """The useful tail of uv's output: from its first error line, at most ``limit`` lines."""
    lines = [ln.rstrip() for ln in stderr.splitlines() if ln.strip()]
    start = next(
        (
            i
            for i, ln in enumerate(lines)
            if ln.lstrip().startswith(("error", "\u00d7", "\u2570", "x "))
        ),
        max(len(lines) - limit, 0),
    )
    return "\n".join(lines[start : start + limit])


def _find_links_dir(spec: EnvSpec, root: Path) -> Path:
    """Where the wheels MWAA would find in its plugins folder are, here."""
    if spec.plugins is None:
        raise UsageError(
            f"requirements.txt installs from `{MWAA_PLUGINS_DIR}` but the project has no "
            "plugins folder or plugins.zip; run `taxiway local package-requirements` first."
        )
    if spec.plugins.is_dir():
        return spec.plugins
    target = root / "find-links"
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(spec.plugins) as zf:
        zf.extractall(target)
    return target


def write_inputs(spec: EnvSpec, root: Path) -> tuple[Path, Path, Path | None]:
    """Write the constraint files and the rewritten requirements; return their paths."""
    root.mkdir(parents=True, exist_ok=True)
    constraints = root / "constraints.txt"
    constraints.write_text(spec.constraints, encoding="utf-8")
    essentials = root / "essentials.txt"
    essentials.write_text(spec.essentials, encoding="utf-8")
    requirements = None
    if spec.user is not None:
        text = spec.user.text
        for version in set(spec.user.local_constraints.values()):
            local = root / f"constraints-{version}.txt"
            local.write_text(data_text(version, "airflow_constraints.txt"), encoding="utf-8")
            text = text.replace(f"{{constraints:{version}}}", str(local))
        if spec.user.uses_plugins:
            text = text.replace(PLUGINS_PLACEHOLDER, str(_find_links_dir(spec, root)))
        requirements = root / "requirements.txt"
        requirements.write_text(text, encoding="utf-8")
    return constraints, essentials, requirements


def install_commands(spec: EnvSpec, root: Path, python: Path) -> list[tuple[str, list[str]]]:
    """The uv commands, in order: Airflow and providers, then the user's requirements."""
    constraints, essentials, requirements = write_inputs(spec, root)
    common = ["pip", "install", "--no-config", "--python", str(python)]
    steps = [("airflow", [*common, *spec.base, "-c", str(constraints)])]
    if requirements is not None:
        user = [*common, "-r", str(requirements), "-c", str(essentials)]
        if spec.user is not None and spec.user.add_mwaa_constraints:
            user += ["-c", str(constraints)]
        steps.append(("requirements", user))
    return steps


def ensure(
    spec: EnvSpec,
    cache: Path,
    rebuild: bool = False,
    progress: Progress = quiet,
) -> BuiltEnv | InstallFailure:
    """Reuse the cached environment for ``spec`` or build it; an install error is returned."""
    root = cache / spec.dirname
    python = root / "venv" / "bin" / "python"
    started = time.perf_counter()
    with _locked(cache / f"{spec.dirname}.lock"):
        if (root / MARKER).is_file() and python.exists() and not rebuild:
            return BuiltEnv(root, python, cached=True, seconds=time.perf_counter() - started)
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        progress(f"Creating a Python {spec.python} environment in {root}")
        out = _run_uv(
            ["venv", "--no-config", "--quiet", "--python", spec.interpreter, str(root / "venv")]
        )
        if out.returncode != 0:
            raise ToolchainError(
                f"`uv venv` failed for interpreter `{spec.interpreter}`: "
                f"{resolver_message(out.stderr)}"
            )
        for step, args in install_commands(spec, root, python):
            label = (
                f"Installing apache-airflow {spec.release.version} and "
                f"{len(spec.base) - 1} MWAA providers"
                if step == "airflow"
                else "Installing requirements.txt the way MWAA does"
            )
            progress(label)
            step_started = time.perf_counter()
            out = _run_uv(args)
            if out.returncode != 0:
                progress(f"  failed after {time.perf_counter() - step_started:.1f} s")
                # A half-built environment is useless and large: drop it now.
                shutil.rmtree(root, ignore_errors=True)
                return InstallFailure(step, [uv_bin(), *args], resolver_message(out.stderr))
            progress(f"  done in {time.perf_counter() - step_started:.1f} s")
        seconds = time.perf_counter() - started
        info = {
            "mwaa": spec.release.version,
            "python": spec.python,
            "interpreter": spec.interpreter,
            "key": spec.key,
            "built_at": time.time(),
            "build_seconds": round(seconds, 2),
        }
        (root / MARKER).write_text(json.dumps(info, indent=2), encoding="utf-8")
        return BuiltEnv(root, python, cached=False, seconds=seconds)
