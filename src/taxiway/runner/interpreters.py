"""Find a Python interpreter for the target's minor version, or the nearest one.

uv finds interpreters on PATH and its own managed ones, but not every pyenv version (pyenv
shims for non-global versions fail when run), so after asking uv we also look where
interpreters are usually installed. Python downloads stay off: the runner must work
where only a package index is reachable.

Asking uv walks every interpreter on PATH (behind pyenv, each shim is a chain of shell
scripts: 1-2 s, and then every usual place is tried), so an exact match is remembered in the runner's cache (``interpreters.json``),
per minor version and PATH, and checked by running it (tens of milliseconds) before use.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from taxiway.errors import ToolchainError

_VERSION_SNIPPET = "import sys; print('.'.join(map(str, sys.version_info[:3])))"


@dataclass(frozen=True)
class Interpreter:
    """A runnable Python: its path and full version ("3.12.1")."""

    path: str
    version: str

    @property
    def minor(self) -> str:
        v = Version(self.version)
        return f"{v.major}.{v.minor}"


def uv_bin() -> str:
    """The uv executable shipped with the ``uv`` Python package (a taxiway dependency)."""
    try:
        import uv

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError) as exc:
        raise ToolchainError(
            "`uv` is not available; install it with `pip install uv` (taxiway depends on it)."
        ) from exc


def uv_env() -> dict[str, str]:
    """The environment for uv subprocesses: no Python downloads, no inherited venv."""
    env = dict(os.environ)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    return env


def probe(path: str) -> Interpreter | None:
    """Run ``path`` to learn its version; None when it does not run (a broken shim)."""
    try:
        out = subprocess.run(
            [path, "-c", _VERSION_SNIPPET],
            capture_output=True,
            text=True,
            timeout=20,
            env=uv_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = out.stdout.strip()
    if out.returncode != 0 or not version:
        return None
    try:
        Version(version)
    except InvalidVersion:
        return None  # not a Python that printed its version: a wrapper or a broken shim
    return Interpreter(path=str(Path(path).resolve()), version=version)


def _uv_find(minor: str) -> Interpreter | None:
    try:
        out = subprocess.run(
            [uv_bin(), "python", "find", "--no-config", minor],
            capture_output=True,
            text=True,
            timeout=60,
            env=uv_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return probe(out.stdout.strip().splitlines()[-1])


def _candidate_paths() -> list[str]:
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    dirs = [
        f"{pyenv_root}/versions/*/bin",
        str(Path.home() / ".local/share/uv/python/*/bin"),
        "/usr/local/bin",
        "/usr/bin",
        "/opt/homebrew/bin",
    ]
    paths: list[str] = []
    for d in dirs:
        for name in ("python3.[0-9]", "python3.[0-9][0-9]"):
            paths += sorted(glob.glob(f"{d}/{name}"))
    return [p for p in paths if os.access(p, os.X_OK)]


def available() -> dict[str, Interpreter]:
    """Every runnable interpreter found in the usual places, by minor version."""
    found: dict[str, Interpreter] = {}
    for path in _candidate_paths():
        interp = probe(path)
        if interp and interp.minor not in found:
            found[interp.minor] = interp
    return found


def _distance(minor: str, wanted: str) -> tuple[int, int]:
    a, b = Version(minor), Version(wanted)
    gap = abs((a.major - b.major) * 100 + a.minor - b.minor)
    # On a tie prefer the newer interpreter: Airflow's next minor is closer to MWAA's
    # behaviour than an interpreter the target no longer supports.
    return (gap, 0 if a > b else 1)


def _memo_key(minor: str) -> str:
    path = os.environ.get("PATH", "")
    return f"{minor} {hashlib.sha256(path.encode()).hexdigest()[:12]}"


def _remembered(memo: Path | None, minor: str) -> Interpreter | None:
    """The interpreter uv found for ``minor`` with this PATH, if it still runs as that."""
    if memo is None:
        return None
    try:
        path = json.loads(memo.read_text()).get(_memo_key(minor))
    except (OSError, ValueError, AttributeError):
        return None
    interp = probe(path) if isinstance(path, str) else None
    return interp if interp is not None and interp.minor == minor else None


def _remember(memo: Path | None, minor: str, interp: Interpreter) -> None:
    if memo is None:
        return
    try:
        known = json.loads(memo.read_text())
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    known[_memo_key(minor)] = interp.path
    with contextlib.suppress(OSError):  # a read-only cache only costs the next run the lookup
        memo.parent.mkdir(parents=True, exist_ok=True)
        scratch = memo.with_name(f".{memo.name}.{os.getpid()}")
        scratch.write_text(json.dumps(known, indent=1, sort_keys=True))
        scratch.replace(memo)  # atomic: a concurrent reader sees the old or the new file


def find(
    wanted: str, explicit: str | None = None, memo: Path | None = None
) -> tuple[Interpreter, bool]:
    """The interpreter to build with and whether it matches ``wanted`` ("3.12").

    ``explicit`` (a path or a version) wins when given. ``memo`` (a JSON file in the
    runner's cache) remembers an exact match, found by uv or in the usual places. Raises ToolchainError when no
    Python 3 interpreter runs at all.
    """
    if explicit:
        interp = probe(explicit) if os.sep in explicit else _uv_find(explicit)
        if interp is None:
            raise ToolchainError(
                f"Python interpreter `{explicit}` does not run; pass a path to a working "
                "`python3.X` with `--python`."
            )
        return interp, interp.minor == wanted
    known = _remembered(memo, wanted)
    if known is not None:
        return known, True
    exact = _uv_find(wanted)
    if exact is not None and exact.minor == wanted:
        _remember(memo, wanted, exact)
        return exact, True
    pool = available()
    if wanted in pool:
        _remember(memo, wanted, pool[wanted])
        return pool[wanted], True
    if not pool:
        raise ToolchainError(
            f"No Python interpreter found (wanted `{wanted}`); install one, e.g. "
            f"`uv python install {wanted}` or `pyenv install {wanted}`, or pass `--python`."
        )
    nearest = min(pool, key=lambda m: _distance(m, wanted))
    return pool[nearest], False
