"""The modules a wheel installs, read from the index without downloading the wheel.

``--resolve`` knows every distribution pip installs, but the shipped data
(``dists.json.gz``) lists the modules only of MWAA's constraint set: a resolved
``polygon-api-client`` (module ``polygon``) or ``scikit-learn`` (``sklearn``) left the import
checks guessing by name. For each resolved distribution outside the data this module reads
the file list of its wheel for the target (``name-version-*.whl`` from the index's simple API,
PEP 691 JSON): a wheel is a zip whose central directory sits at its end, so two or three
HTTP range requests of a few kilobytes give every path, and the module roots follow from the
paths as the data generator computes them (:func:`taxiway.mwaa.generate_dists.module_roots`).

Results are cached per distribution and version under ``$TAXIWAY_CACHE_DIR`` (else
``$XDG_CACHE_HOME/taxiway`` or ``~/.cache/taxiway``) in ``doctor/wheel-modules/``
(:func:`cache_root`). A wheel
that cannot be read (no wheel, no network, a private index) is left out: its modules stay
unknown, and the import checks keep their warning.
"""

from __future__ import annotations

import io
import json
import os
import re
import urllib.request
import zipfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from taxiway.mwaa import MwaaRelease, normalize

#: PyPI unless the user's uv/pip configuration names another index (the one uv resolved from)
_PYPI = "https://pypi.org/simple"


def _index() -> str:
    url = os.environ.get("UV_INDEX_URL") or os.environ.get("PIP_INDEX_URL") or _PYPI
    return url.rstrip("/")


_TIMEOUT = 15.0
_BLOCK = 64 * 1024
_WHEEL = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(?:-\d[^-]*)?-(?P<tags>[^-]+-[^-]+-[^-]+)\.whl$"
)


def cache_root() -> Path:
    """The doctor's cache: ``$TAXIWAY_CACHE_DIR/doctor``, else ``$XDG_CACHE_HOME`` or
    ``~/.cache``, ``taxiway/doctor``."""
    base = os.environ.get("TAXIWAY_CACHE_DIR")
    if base:
        root = Path(base).expanduser()
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "taxiway"
    return root / "doctor"


def cache_dir() -> Path:
    """Where read wheel file lists are kept (one small JSON per distribution and version)."""
    return cache_root() / "wheel-modules"


class _RangeFile(io.RawIOBase):
    """A read-only file over HTTP range requests, in blocks (what ``zipfile`` reads of a
    wheel to list it: the end-of-central-directory record and the central directory)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pos = 0
        self.blocks: dict[int, bytes] = {}
        tail = self._get(f"bytes=-{_BLOCK}")  # the central directory is at the end
        self.size = self._total
        self._tail_start = self.size - len(tail)
        self.blocks[self._tail_start] = tail

    def _get(self, byte_range: str) -> bytes:
        request = urllib.request.Request(self.url, headers={"Range": byte_range})
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            data: bytes = response.read()
            content_range = response.headers.get("Content-Range", "")
        total = content_range.rpartition("/")[2]
        self._total = int(total) if total.isdigit() else len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def read(self, size: int = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self.pos + size)
        out = bytearray()
        while self.pos < end:
            if self.pos >= self._tail_start:
                tail = self.blocks[self._tail_start]
                chunk = tail[self.pos - self._tail_start : end - self._tail_start]
            else:
                start = (self.pos // _BLOCK) * _BLOCK
                if start not in self.blocks:
                    stop = min(start + _BLOCK, self._tail_start) - 1
                    self.blocks[start] = self._get(f"bytes={start}-{stop}")
                block = self.blocks[start]
                chunk = block[self.pos - start : min(end - start, len(block))]
            if not chunk:
                break
            out += chunk
            self.pos += len(chunk)
        return bytes(out)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _tag_rank(tags: str, python: str) -> int | None:
    """How well a wheel's tags fit MWAA's CPython on Linux x86_64 (lower is better; None:
    not installable there)."""
    py, abi, plat = tags.split("-")
    cp = "cp" + python.replace(".", "")
    pys = set(py.split("."))
    plats = plat.split(".")
    if plat == "any":
        return 0 if pys & {"py3", "py2", cp, "py" + python.replace(".", "")} else 3
    if not any(p.startswith(("manylinux", "linux")) and p.endswith("x86_64") for p in plats):
        return None
    if cp in pys:
        return 1
    if abi == "abi3":
        return 2
    return None


def wheel_url(name: str, version: str, python: str) -> str | None:
    """The URL of the wheel of ``name==version`` that best fits the target, from the index."""
    request = urllib.request.Request(
        f"{_index()}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        doc = json.load(response)
    best: tuple[int, str] | None = None
    for entry in doc.get("files", []):
        m = _WHEEL.match(str(entry.get("filename", "")))
        if m is None or normalize(m.group("name")) != normalize(name):
            continue
        if m.group("version") != version:
            continue
        rank = _tag_rank(m.group("tags"), python)
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, str(entry["url"]))
    return best[1] if best else None


def wheel_modules(name: str, version: str, python: str) -> tuple[str, ...] | None:
    """The module roots of ``name==version``'s wheel (cached); None when unreadable."""
    from taxiway.mwaa.generate_dists import module_roots

    cached = cache_dir() / f"{normalize(name)}-{version}-py{python}.json"
    if cached.is_file():
        try:
            return tuple(json.loads(cached.read_text(encoding="utf-8"))["modules"])
        except (OSError, ValueError, KeyError):
            pass
    try:
        url = wheel_url(name, version, python)
        if url is None:
            return None
        with zipfile.ZipFile(_RangeFile(url)) as zf:  # type: ignore[arg-type]
            paths = zf.namelist()
    except (OSError, ValueError, zipfile.BadZipFile, KeyError):
        return None
    modules = tuple(module_roots(paths))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps({"modules": list(modules)}), encoding="utf-8")
    except OSError:
        pass  # a read-only home: the next run reads the index again
    return modules


def modules_of(dists: Mapping[str, str], release: MwaaRelease) -> dict[str, tuple[str, ...]]:
    """``{name: modules}`` for each ``{name: version}`` whose wheel could be read."""
    if not dists:
        return {}
    items = sorted(dists.items())
    with ThreadPoolExecutor(max_workers=min(8, len(items))) as pool:
        found = pool.map(lambda kv: wheel_modules(kv[0], kv[1], release.python), items)
    return {name: mods for (name, _), mods in zip(items, found, strict=True) if mods is not None}
