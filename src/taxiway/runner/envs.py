"""``taxiway local envs`` and ``local prune``: the cached environments, as the disk holds them.

Every requirements edit builds a new environment (the cache key hashes the requirements).
uv hard-links installed files from its own cache, so one environment that ``du`` counts as
278 MB may add only ~40 MB to the disk. Sizes here are counted by inode: ``bytes`` counts
each hard-linked file once within the environment, ``own_bytes`` only the files no other
path links to (what removing the environment frees), and the listing's ``disk_bytes``
counts every environment together with hard links once.

Each run records which project used an environment (``uses/<digest>``, its time the last
use). An environment is *superseded* when every project that used it has since used a newer
one for the same MWAA version: that is the requirements edit's leftover, and what
``prune`` removes by default. ``--older-than`` also removes environments unused that long.
Environments in use (a shared lock held by ``test``/``start``/``run``) are never removed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway.errors import UsageError
from taxiway.runner.environment import LAST_USED, MARKER, USES, locked
from taxiway.runner.target import cache_root

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhm]?)\s*$")
_UNIT = {"d": 86400.0, "h": 3600.0, "m": 60.0, "": 86400.0}


@dataclass
class EnvInfo:
    """One cache entry: what it is for, its size and its uses."""

    name: str
    root: Path
    mwaa: str | None
    python: str | None
    complete: bool
    last_used: float
    bytes: int = 0
    own_bytes: int = 0
    projects: dict[str, float] = field(default_factory=dict)  # project -> last use
    superseded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.root),
            "mwaa": self.mwaa,
            "python": self.python,
            "complete": self.complete,
            "last_used": self.last_used,
            "bytes": self.bytes,
            "own_bytes": self.own_bytes,
            "projects": sorted(self.projects),
            "superseded": self.superseded,
        }


@dataclass
class Listing:
    """Every environment of a cache, newest use first, and their size together."""

    cache: Path
    envs: list[EnvInfo]
    disk_bytes: int  # together, hard links once (files shared with uv's cache included)
    own_bytes: int  # what removing them all frees

    def to_dict(self) -> dict[str, Any]:
        return {
            "cache": str(self.cache),
            "disk_bytes": self.disk_bytes,
            "own_bytes": self.own_bytes,
            "environments": [e.to_dict() for e in self.envs],
        }


def _walk(root: Path) -> list[os.stat_result]:
    """lstat of every entry under ``root`` (the folder included), never following links."""
    found = [os.lstat(root)]
    stack = [str(root)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            found.append(info)
            if stat.S_ISDIR(info.st_mode):
                stack.append(entry.path)
    return found


def disk_usage(roots: list[Path]) -> tuple[int, int, dict[Path, tuple[int, int]]]:
    """Bytes on disk of ``roots`` by inode: (all together, only theirs, {root: (bytes, own)}).

    "Own" blocks are those no path outside links to: what removing the folder(s) frees.
    """
    per_root: dict[Path, tuple[int, int]] = {}
    everywhere: dict[tuple[int, int], list[os.stat_result]] = {}
    for root in roots:
        links: dict[tuple[int, int], list[os.stat_result]] = {}
        for info in _walk(root):
            links.setdefault((info.st_dev, info.st_ino), []).append(info)
        size = own = 0
        for key, infos in links.items():
            blocks = infos[0].st_blocks * 512
            size += blocks
            own += blocks if _only_here(infos) else 0
            everywhere.setdefault(key, []).extend(infos)
        per_root[root] = (size, own)
    total = sum(infos[0].st_blocks * 512 for infos in everywhere.values())
    own_total = sum(infos[0].st_blocks * 512 for infos in everywhere.values() if _only_here(infos))
    return total, own_total, per_root


def _only_here(infos: list[os.stat_result]) -> bool:
    """True when the walk saw every link of the inode (a folder: always its own)."""
    return stat.S_ISDIR(infos[0].st_mode) or len(infos) >= infos[0].st_nlink


def _marker(root: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


def _uses(root: Path) -> dict[str, float]:
    uses: dict[str, float] = {}
    folder = root / USES
    if folder.is_dir():
        for record in folder.iterdir():
            try:
                uses[record.read_text(encoding="utf-8").strip()] = record.stat().st_mtime
            except OSError:
                continue
    return uses


def _info(root: Path) -> EnvInfo:
    marker = _marker(root)
    last = root / LAST_USED
    last_used = (
        last.stat().st_mtime
        if last.is_file()
        else float(marker.get("built_at") or root.stat().st_mtime)
    )
    return EnvInfo(
        name=root.name,
        root=root,
        mwaa=marker.get("mwaa") or _version_from_name(root.name),
        python=marker.get("python"),
        complete=bool(marker),
        last_used=last_used,
        projects=_uses(root),
    )


def _version_from_name(name: str) -> str | None:
    m = re.match(r"mwaa-([^-]+)-py", name)
    return m.group(1) if m else None


def mark_superseded(envs: list[EnvInfo]) -> None:
    """Flag each environment whose every project has used a newer one for its version."""
    for env in envs:
        if not env.projects:
            continue
        env.superseded = all(
            any(
                other is not env
                and other.mwaa == env.mwaa
                and other.projects.get(project, 0.0) > used
                for other in envs
            )
            for project, used in env.projects.items()
        )


def list_envs(cache: Path | None = None, sizes: bool = True) -> Listing:
    """The environments in ``cache`` (default: the runner's), most recently used first."""
    cache = cache or cache_root()
    roots = sorted(p for p in cache.iterdir() if p.is_dir()) if cache.is_dir() else []
    envs = [_info(root) for root in roots]
    total = own = 0
    if sizes:
        total, own, per_root = disk_usage(roots)
        for env in envs:
            env.bytes, env.own_bytes = per_root[env.root]
    mark_superseded(envs)
    envs.sort(key=lambda e: e.last_used, reverse=True)
    return Listing(cache, envs, total, own)


@dataclass
class PruneResult:
    """What ``prune`` removed (with why), skipped because in use, and kept."""

    removed: list[tuple[EnvInfo, str]] = field(default_factory=list)
    busy: list[EnvInfo] = field(default_factory=list)
    kept: int = 0

    @property
    def freed_bytes(self) -> int:
        return sum(env.own_bytes for env, _ in self.removed)


def _reason(env: EnvInfo, older_than: float | None, now: float) -> str | None:
    if env.superseded:
        return "superseded"
    if not env.complete:
        return "incomplete"
    if older_than is not None and now - env.last_used > older_than:
        return f"unused for {age(env.last_used, now)}"
    return None


def prune(
    cache: Path | None = None, older_than: float | None = None, dry_run: bool = False
) -> PruneResult:
    """Remove superseded and incomplete environments, and those unused for ``older_than``
    seconds; skip any in use. Lock files older taxiway versions left beside them go too."""
    cache = cache or cache_root()
    listing = list_envs(cache)
    result = PruneResult()
    now = time.time()
    for env in listing.envs:
        why = _reason(env, older_than, now)
        if why is None:
            result.kept += 1
            continue
        if dry_run:
            result.removed.append((env, why))
            continue
        with locked(env.root, wait=False) as free:
            if not free:
                result.busy.append(env)
                continue
            shutil.rmtree(env.root, ignore_errors=True)
        result.removed.append((env, why))
    if not dry_run and cache.is_dir():
        for stale in cache.glob("*.lock"):  # earlier taxiway versions left one beside each entry
            stale.unlink(missing_ok=True)
    return result


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``90m`` or a number of days, in seconds."""
    m = _AGE.match(text)
    if m is None:
        raise UsageError(f"`--older-than {text}` is not an age; pass e.g. `30d`, `12h` or `90m`.")
    return float(m.group(1)) * _UNIT[m.group(2)]


def megabytes(n: int) -> str:
    return f"{n / 1e6:.1f}"


def age(then: float, now: float | None = None) -> str:
    """How long ago ``then`` was, in the largest sensible unit."""
    seconds = max((now if now is not None else time.time()) - then, 0.0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
