"""Build (or reuse) the cached virtual environment for one target with uv.

Layout of one cache entry, ``<cache>/<mwaa-V-pyX.Y-key>/``::

    venv/                   the environment
    constraints.txt         MWAA's Airflow constraints (what -c resolves to)
    essentials.txt          MWAA's non-overridable pins
    requirements.txt        the user's requirements, rewritten (absolute includes)
    pycache/                bytecode of the DAG import (shared with siblings: ``bytecode``)
    taxiway-env.json        written last: its presence means "complete"
    last-used               touched by every run that uses the environment (``local envs``)
    uses/<digest>           one per project that used it: its path; its time the last use
    homes/<project>/        AIRFLOW_HOME of ``local start`` and ``local run``, per project

Entries are built under an exclusive lock on the entry's own folder (no lock file is left
beside it), so two runs never install into the same folder at once; a run using an entry
holds a shared lock, so ``local prune`` never removes an environment in use. A failed build
leaves no marker and no folder, so the next run starts clean.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taxiway.errors import ToolchainError, UsageError
from taxiway.runner.interpreters import uv_bin, uv_env
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.target import (
    MWAA_PLUGINS_DIR,
    PLUGINS_PLACEHOLDER,
    EnvSpec,
    data_text,
    requirement_name,
)

MARKER = "taxiway-env.json"
IMAGE_FILE = "image-requirements.txt"  # the image's other built-ins (see install_commands)
LAST_USED = "last-used"
USES = "uses"


@dataclass(frozen=True)
class BuiltEnv:
    """A usable environment: where it is and how we got it.

    ``partial`` is set when requirements.txt did not install and the environment holds
    every line but those uv named (see :mod:`taxiway.runner.partial`).
    """

    root: Path
    python: Path
    cached: bool
    seconds: float
    partial: Partial | None = None

    def image_missing(self) -> list[str]:
        """The image's built-ins that did not install on this machine (see ``ensure``)."""
        marker = self.root / MARKER
        if not marker.is_file():
            return []
        return list(json.loads(marker.read_text(encoding="utf-8")).get("image_missing") or [])

    @property
    def bin(self) -> Path:
        return self.python.parent


@dataclass(frozen=True)
class InstallFailure:
    """uv could not install; ``step`` is "airflow", "image" or "requirements"."""

    step: str
    command: list[str]
    message: str


@dataclass(frozen=True)
class Partial:
    """How requirements.txt failed, and the lines left out so the rest installs."""

    failure: InstallFailure
    left_out: tuple[tuple[int, str], ...]  # (line number in requirements.txt, its text)

    def to_json(self) -> dict[str, object]:
        return {
            "step": self.failure.step,
            "command": self.failure.command,
            "message": self.failure.message,
            "left_out": [list(item) for item in self.left_out],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Partial:
        failure = InstallFailure(str(data["step"]), list(data["command"]), str(data["message"]))
        return cls(failure, tuple((int(n), str(t)) for n, t in data["left_out"]))


@contextmanager
def locked(root: Path, shared: bool = False, wait: bool = True) -> Iterator[bool]:
    """Lock the folder ``root`` (created when missing); yields False when ``wait`` is off and
    another run holds it.

    The lock is on the folder itself, so nothing is left beside it. A folder removed while
    we waited (a failed build, a prune) is a different inode from the one now at ``root``:
    lock again.
    """
    mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
    while True:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            os.close(fd)
            yield False
            return
        try:
            same = os.stat(root).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield True
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def in_use(built: BuiltEnv, project: Path | None = None) -> Iterator[None]:
    """Hold ``built`` against ``local prune`` while a run uses it; record the use (by
    ``project``, when given: ``local prune`` tells superseded environments by it)."""
    with locked(built.root, shared=True):
        touch_used(built.root, project)
        yield


def touch_used(root: Path, project: Path | None = None) -> None:
    """Record a use of the environment at ``root`` (the ``last-used`` file's time), and
    by which project."""
    (root / LAST_USED).touch()
    if project is not None:
        text = str(project.resolve())
        record = root / USES / hashlib.sha256(text.encode()).hexdigest()[:16]
        record.parent.mkdir(exist_ok=True)
        record.write_text(text + "\n", encoding="utf-8")


def _clear(root: Path) -> None:
    """Empty ``root`` but keep the folder: it is the lock other runs wait on."""
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


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
    """The uv commands, in order: Airflow and providers, the image's other built-ins,
    then the user's requirements."""
    constraints, essentials, requirements = write_inputs(spec, root)
    common = ["pip", "install", "--no-config", "--python", str(python)]
    steps = [("airflow", [*common, *spec.base, "-c", str(constraints)])]
    if spec.image:
        image = root / IMAGE_FILE
        image.write_text("\n".join(spec.image) + "\n", encoding="utf-8")
        # the image's own pins win over the constraints file (older images differ: boto3)
        pins = {
            name: line
            for line in spec.constraints.splitlines()
            if (name := requirement_name(line)) is not None
        }
        pins.update({name: f"{name}=={v}" for name, v in spec.release.builtins.items()})
        image_constraints = root / "image-constraints.txt"
        image_constraints.write_text(
            "".join(f"{line}\n" for _, line in sorted(pins.items())), encoding="utf-8"
        )
        steps.append(("image", [*common, "-r", str(image), "-c", str(image_constraints)]))
    if requirements is not None:
        user = [*common, "-r", str(requirements), "-c", str(essentials)]
        if spec.user is not None and spec.user.add_mwaa_constraints:
            user += ["-c", str(constraints)]
        steps.append(("requirements", user))
    return steps


def _cached(root: Path, python: Path, started: float, partial: bool) -> BuiltEnv | InstallFailure:
    info = json.loads((root / MARKER).read_text(encoding="utf-8"))
    touch_used(root)
    left = Partial.from_json(info["partial"]) if info.get("partial") else None
    if left is not None and not partial:
        return left.failure  # a partial environment is only for `local test`
    return BuiltEnv(root, python, True, time.perf_counter() - started, left)


def ensure(
    spec: EnvSpec,
    cache: Path,
    rebuild: bool = False,
    progress: Progress = quiet,
    partial: bool = False,
) -> BuiltEnv | InstallFailure:
    """Reuse the cached environment for ``spec`` or build it; an install error is returned.

    With ``partial``, requirements that do not install are left out line by line (the
    failure is kept in the returned environment's ``partial``); without it such an
    environment counts as the failure it records.
    """
    root = cache / spec.dirname
    python = root / "venv" / "bin" / "python"
    started = time.perf_counter()
    with locked(root):
        if (root / MARKER).is_file() and python.exists() and not rebuild:
            return _cached(root, python, started, partial)
        _clear(root)
        progress(f"Creating a Python {spec.python} environment in {root}")
        out = _run_uv(
            ["venv", "--no-config", "--quiet", "--python", spec.interpreter, str(root / "venv")]
        )
        if out.returncode != 0:
            raise ToolchainError(
                f"`uv venv` failed for interpreter `{spec.interpreter}`: "
                f"{resolver_message(out.stderr)}"
            )
        left: Partial | None = None
        image_missing: list[str] | None = None
        for step, args in install_commands(spec, root, python):
            label = {
                "airflow": f"Installing apache-airflow {spec.release.version} and "
                f"{len(spec.base) - 1} MWAA providers",
                "image": f"Installing the image's {len(spec.image)} other built-in packages",
            }.get(step, "Installing requirements.txt the way MWAA does")
            progress(label)
            step_started = time.perf_counter()
            out = _run_uv(args)
            if out.returncode != 0:
                progress(f"  failed after {time.perf_counter() - step_started:.1f} s")
                failure = InstallFailure(step, [uv_bin(), *args], resolver_message(out.stderr))
                if step == "image":
                    # one that does not build here (psycopg2 without pg_config) must not
                    # cost the environment: the rest is installed and the gap recorded
                    image_missing = _image_without(root, args, failure, progress)
                    if image_missing is not None:
                        continue
                if partial and step == "requirements":
                    left = _leave_out(root, args, failure, progress)
                if left is None:
                    # A half-built environment is useless and large: drop it now (the
                    # folder too; a run waiting on its lock notices and starts over).
                    shutil.rmtree(root, ignore_errors=True)
                    return failure
                continue
            progress(f"  done in {time.perf_counter() - step_started:.1f} s")
        from taxiway.runner import bytecode

        bytecode.seed(root, spec.release.version, spec.python)  # the sibling's, by hard link
        seconds = time.perf_counter() - started
        info = {
            "mwaa": spec.release.version,
            "python": spec.python,
            "interpreter": spec.interpreter,
            "key": spec.key,
            "built_at": time.time(),
            "build_seconds": round(seconds, 2),
            "partial": left.to_json() if left is not None else None,
            "image_missing": image_missing or [],
        }
        (root / MARKER).write_text(json.dumps(info, indent=2), encoding="utf-8")
        touch_used(root)
        return BuiltEnv(root, python, cached=False, seconds=seconds, partial=left)


def _image_without(
    root: Path, args: list[str], failure: InstallFailure, progress: Progress
) -> list[str] | None:
    """Install the image's built-ins without those uv names; None when that fails too."""
    from taxiway.runner.partial import install_partially

    left = install_partially(
        root / IMAGE_FILE, failure.message, lambda: _run_uv(args), resolver_message
    )
    if left is None:
        return None
    names = [text for _, text in left]
    progress(f"  MWAA's image has {', '.join(names)}; not installable here, left out")
    return names


def _leave_out(
    root: Path, args: list[str], failure: InstallFailure, progress: Progress
) -> Partial | None:
    """Install the requirements without the lines uv names (see ``partial``)."""
    from taxiway.runner.partial import install_partially

    def attempt() -> subprocess.CompletedProcess[str]:
        progress("Installing the other requirements lines, to import the DAGs anyway")
        return _run_uv(args)

    left = install_partially(root / "requirements.txt", failure.message, attempt, resolver_message)
    if left is None:
        return None
    progress(f"  done without {', '.join(text for _, text in left)}")
    return Partial(failure, tuple(left))
