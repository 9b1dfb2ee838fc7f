"""Share compiled bytecode between environments of one target, by hard link.

The DAG import compiles Airflow, its providers and the standard library into the
environment's ``pycache/`` (``PYTHONPYCACHEPREFIX``): about 30 MB, the largest part of what
a requirements edit adds to the disk, since uv hard-links the installed sources from its own
cache. A new environment of the same MWAA version and Python gets, before its first import,
hard links to the bytecode a sibling compiled for the *same* source files (the same inode,
which uv's hard links make the common case; the same path for the interpreter's standard
library). Python validates each ``.pyc`` against its source (mtime and size) and replaces a
stale one by writing a new file and renaming it, so a shared file is never changed in place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from taxiway.runner.sandbox import MWAA_HOME

PYCACHE = "pycache"


def _same_file(a: Path, b: Path) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _sibling(root: Path, mwaa: str, python: str) -> Path | None:
    """The most recently used complete environment of the same target with bytecode."""
    best: tuple[float, Path] | None = None
    for other in root.parent.iterdir():
        if other == root or not (other / PYCACHE).is_dir():
            continue
        try:
            info = json.loads((other / "taxiway-env.json").read_text(encoding="utf-8"))
            used = (other / "last-used").stat().st_mtime
        except (OSError, ValueError):
            continue
        if (info.get("mwaa"), info.get("python")) == (mwaa, python) and (
            best is None or used > best[0]
        ):
            best = (used, other)
    return best[1] if best else None


def seed(root: Path, mwaa: str, python: str) -> int:
    """Hard-link a sibling's bytecode into ``root``'s pycache; how many files were linked."""
    sibling = _sibling(root, mwaa, python)
    if sibling is None:
        return 0
    source_prefix, target_prefix = sibling / PYCACHE, root / PYCACHE
    theirs, ours = str(sibling).lstrip("/"), str(root).lstrip("/")
    project = MWAA_HOME.lstrip("/")  # the projects' DAG files: theirs, not the target's
    linked = 0
    for dirpath, _, files in os.walk(source_prefix):
        rel = Path(dirpath).relative_to(source_prefix).as_posix()
        if rel == project or rel.startswith(project + "/"):
            continue
        mapped = ours + rel[len(theirs) :] if rel == theirs or rel.startswith(theirs + "/") else rel
        for name in files:
            stem, dot, _ = name.partition(".cpython-")
            if not dot or not name.endswith(".pyc"):
                continue
            if not _same_file(Path("/", rel, stem + ".py"), Path("/", mapped, stem + ".py")):
                continue
            target = target_prefix / mapped / name
            if target.exists():
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(Path(dirpath) / name, target)
            except OSError:
                return linked  # another file system, or no hard links here: nothing to share
            linked += 1
    return linked
