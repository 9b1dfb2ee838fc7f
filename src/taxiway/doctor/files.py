"""The one walk over a project's Python files, shared by the doctor, the local runner and
``migrate`` (one copy: no module imports another checker just for this)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

SKIP_DIRS = frozenset({"__pycache__", "node_modules", "venv"})


def python_files(root: Path) -> Iterator[Path]:
    """``*.py`` below ``root``, sorted, skipping caches, virtualenvs and hidden folders."""
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if any(p in SKIP_DIRS or p.startswith(".") for p in rel[:-1]) or rel[-1].startswith("."):
            continue
        yield path


def local_modules(*folders: Path | None) -> frozenset[str]:
    """Top-level module names importable from folders MWAA puts on ``sys.path``."""
    names: set[str] = set()
    for folder in folders:
        if folder is None or not folder.is_dir():
            continue
        for child in folder.iterdir():
            if child.suffix == ".py":
                names.add(child.stem)
            elif child.is_dir() and not child.name.startswith((".", "__")):
                names.add(child.name)  # a package or a namespace package
    return frozenset(names)
