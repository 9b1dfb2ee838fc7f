"""What a project sends to MWAA: its requirements, plugins.zip, startup script and DAG files.

Pure and offline: a :class:`~taxiway.doctor.project.ProjectLayout` in, hashed files out.
A plugins *folder* becomes ``plugins.zip`` here, built so that the same folder gives the
same bytes on any machine and at any time (sorted entries, a fixed timestamp, fixed
permissions, no ``__pycache__``): an unchanged folder then has an unchanged hash, so a
deploy uploads nothing and MWAA does not restart. A ``plugins.zip`` the project already
has is sent as it is.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from taxiway.doctor.project import ProjectLayout
from taxiway.errors import UsageError

#: the parts UpdateEnvironment installs, in the order a deploy sends them
PARTS = ("requirements", "plugins", "startup")
#: where a part goes when the environment has no path for it yet (MWAA's own defaults)
DEFAULT_KEYS = {
    "requirements": "requirements.txt",
    "plugins": "plugins.zip",
    "startup": "startup.sh",
}

# 1980-01-01, the earliest time a zip entry can hold: nothing about the build machine leaks in
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Never part of what Airflow loads: bytecode caches, VCS and editor droppings. A DAG folder's
# own dotfiles (.airflowignore) are kept: MWAA reads them.
_SKIP_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".venv", ".mypy_cache"})
_SKIP_DIRS |= {".pytest_cache", ".ruff_cache", ".ipynb_checkpoints"}
_SKIP_FILES = frozenset({".DS_Store", "Thumbs.db"})
_SKIP_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class LocalFile:
    """One object a deploy may send: its bytes come from ``path`` or ``data``."""

    name: str  # what the user calls it: a project-relative path or `plugins/ (zipped)`
    sha256: str
    md5: str  # what S3 reports as the ETag of a single-part upload without SSE-KMS
    size: int
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    def body(self) -> bytes:
        """The bytes to upload."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    @classmethod
    def of_bytes(cls, name: str, data: bytes) -> LocalFile:
        return cls(name, _sha256(data), _md5(data), len(data), data=data)

    @classmethod
    def of_path(cls, name: str, path: Path) -> LocalFile:
        # Hash in chunks: a DAG folder may hold data files larger than one wants in memory.
        sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                sha.update(chunk)
                md5.update(chunk)
                size += len(chunk)
        return cls(name, sha.hexdigest(), md5.hexdigest(), size, path=path)


@dataclass(frozen=True)
class ProjectFiles:
    """Everything a project sends; a part is None when the project has none."""

    parts: dict[str, LocalFile | None]  # keys of PARTS
    dags: dict[str, LocalFile]  # path relative to the dags folder (POSIX) -> file

    def part(self, name: str) -> LocalFile | None:
        return self.parts.get(name)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _skipped(rel: Path) -> bool:
    *dirs, name = rel.parts
    return (
        any(d in _SKIP_DIRS for d in dirs)
        or name in _SKIP_FILES
        or name.endswith(_SKIP_SUFFIXES)
        or name in _SKIP_DIRS
    )


def tree(folder: Path) -> list[tuple[str, Path]]:
    """The files of ``folder`` a deploy sends, as (POSIX relative path, path), sorted."""
    out = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if _skipped(rel) or not path.is_file():
            continue
        out.append((rel.as_posix(), path))
    return sorted(out)


def plugins_zip(folder: Path) -> bytes:
    """``folder``'s files zipped the way MWAA expects (at the zip's root), deterministically.

    The same files give the same bytes: entries sorted by path, every timestamp 1980-01-01,
    mode 0644 (0755 for files the owner may execute), deflate at a fixed level.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for rel, path in tree(folder):
            info = zipfile.ZipInfo(rel, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = path.stat().st_mode & stat.S_IXUSR
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            info.create_system = 3  # unix: the mode above is read on every platform
            zf.writestr(
                info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9
            )
    return buffer.getvalue()


def collect(layout: ProjectLayout) -> ProjectFiles:
    """The files ``layout`` sends: the three parts and every DAG file (hashed, not read)."""
    if layout.dags is None:
        # Without a dags folder every DAG in the environment would be "stale" and removed:
        # refuse rather than empty the environment.
        raise UsageError(
            f"`{layout.root}` has no dags/ folder; pass the project that mirrors your MWAA "
            "bucket, or the folder with `--dags PATH` (or `dags = ...` in taxiway.toml)."
        )
    parts: dict[str, LocalFile | None] = dict.fromkeys(PARTS)
    if layout.requirements is not None:
        parts["requirements"] = LocalFile.of_path(
            layout.rel(layout.requirements), layout.requirements
        )
    if layout.startup is not None:
        parts["startup"] = LocalFile.of_path(layout.rel(layout.startup), layout.startup)
    if layout.plugins is not None:
        if layout.plugins.is_dir():
            name = f"{layout.rel(layout.plugins)}/ (zipped)"
            parts["plugins"] = LocalFile.of_bytes(name, plugins_zip(layout.plugins))
        elif zipfile.is_zipfile(layout.plugins):
            parts["plugins"] = LocalFile.of_path(layout.rel(layout.plugins), layout.plugins)
        else:
            raise UsageError(
                f"`{layout.rel(layout.plugins)}` is not a zip file; MWAA takes plugins as a "
                "zip: pass the plugins folder instead and taxiway zips it."
            )
    dags = {rel: LocalFile.of_path(layout.rel(path), path) for rel, path in tree(layout.dags)}
    return ProjectFiles(parts, dags)
