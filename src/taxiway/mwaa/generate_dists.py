"""Generate ``data/<version>/dists.json.gz``: what each distribution of a MWAA version's
constraint set imports as and depends on (maintainer tool, not used at run time).

Usage (installs the wheels with uv into a scratch folder, one version at a time)::

    python -m taxiway.mwaa.generate_dists 3.3.1 2.11.2 --work /tmp/mwaa-dists

For each version the distributions are the built-in packages and every pin of the Airflow
constraints file: exactly what pip may install on MWAA without the user naming a version.
They are installed with ``uv pip install --no-deps --only-binary :all: --target`` for the
version's Python and platform (nothing is imported, nothing is built), then read:

- ``RECORD``: the modules the wheel puts on ``sys.path`` (its *roots*: ``osgeo`` for GDAL,
  ``google.cloud.storage`` below the ``google`` namespace, ``airflow.providers.amazon``);
- ``METADATA``: ``Requires-Dist`` with its markers evaluated for MWAA's Python on Linux
  x86_64, split into the base dependencies and those of each extra.

A pin with no wheel for the target (an sdist only: ``mysqlclient``, ``pyhive``) is read from
its sdist's ``PKG-INFO`` (or ``*.egg-info/requires.txt``) and ``top_level.txt`` when it has
them; otherwise it is written with ``"modules": null`` (unknown), which the doctor treats as
something it cannot verify, never as missing.

Output (gzip JSON, sorted for stable diffs)::

    {"version": "3.3.1", "python": "3.12",
     "distributions": {"pandas": {"version": "2.3.3", "modules": ["pandas"],
                                  "requires": ["numpy", "python-dateutil", ...],
                                  "extras": {"excel": ["openpyxl", ...], ...}}, ...}}

A requirement keeps its own extras (``"apache-airflow-providers-common-sql[pandas]"``).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import shutil
import subprocess
import tarfile
import urllib.request
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement

from taxiway.mwaa import MwaaRelease, normalize, release

# uv's reasons for a pin it cannot install as a wheel: only an sdist, or no such release
# on the index any more (yanked or deleted, as mysql-connector-python 8.0.22 is).
_NO_WHEEL = re.compile(
    r"Because (?:there is no version of )?([A-Za-z0-9][A-Za-z0-9._-]*)==\S+ "
    r"(?:has no (?:usable )?wheels|and you require)"
)
_IMPORTABLE = (".py", ".so", ".pyd")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def pins_for(version: str) -> dict[str, str]:
    """{distribution: version}: the constraints, with the image's built-in versions on top."""
    target = release(version)
    return dict(sorted({**target.constraints, **target.builtins}.items()))


def platform_of(target: MwaaRelease) -> str:
    """uv's ``--python-platform`` for the image (the same rule as ``doctor --resolve``)."""
    return "x86_64-manylinux_2_34" if target.base_os.endswith("2023") else "x86_64-manylinux2014"


def _uv() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


def _python_version(target: MwaaRelease) -> str:
    """The image's full Python version; where only the minor is known, any patch of it
    (``3.7.99``), so a pin requiring ``>=3.7.1`` is not refused for ``3.7.0``."""
    return target.python_full if target.python_full.count(".") == 2 else f"{target.python}.99"


def install(target: MwaaRelease, pins: dict[str, str], dest: Path) -> list[str]:
    """Install every pin's wheel into ``dest``; return the pins that have no wheel."""
    todo = dict(pins)
    no_wheel: list[str] = []
    while todo:
        reqs = dest.parent / f"{dest.name}.txt"
        reqs.write_text("".join(f"{n}=={v}\n" for n, v in todo.items()), encoding="utf-8")
        cmd = [_uv(), "pip", "install", "--no-deps", "--only-binary", ":all:", "--target"]
        cmd += [str(dest), "--python-version", _python_version(target)]
        cmd += ["--python-platform", platform_of(target), "--no-progress", "-r", str(reqs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            break
        m = _NO_WHEEL.search(proc.stderr)
        if m is None:
            raise SystemExit(f"uv failed for MWAA {target.version}:\n{proc.stderr[-2000:]}")
        name = normalize(m.group(1))
        no_wheel.append(name)
        todo.pop(name, None)
    return sorted(no_wheel)


def module_roots(paths: list[str]) -> list[str]:
    """The modules a distribution's files put on ``sys.path`` (see the module docstring).

    A folder with an ``__init__.py`` that holds nothing but one sub-package is followed into
    it (``airflow/providers/__init__.py`` in a provider wheel does not make the wheel own
    every provider); a folder without one is a namespace, so each child counts on its own.
    """
    dirs: dict[tuple[str, ...], tuple[set[str], set[str]]] = {(): (set(), set())}
    for path in paths:
        parts = path.split("/")
        if (
            not parts[-1].endswith(_IMPORTABLE)
            or parts[0].endswith((".dist-info", ".data", ".egg-info"))
            or parts[0] in ("..", "")
            or "__pycache__" in parts
        ):
            continue
        name = parts[-1].split(".", 1)[0]
        folders = parts[:-1]
        if not all(_IDENT.match(p) for p in [*folders, name]):
            continue
        for i in range(len(folders)):
            dirs.setdefault(tuple(folders[: i + 1]), (set(), set()))
            dirs[tuple(folders[:i])][1].add(folders[i])
        dirs[tuple(folders)][0].add(name)

    def walk(prefix: tuple[str, ...]) -> list[str]:
        modules, subdirs = dirs[prefix]
        own = modules - {"__init__"}
        if prefix and "__init__" in modules:
            if not own and len(subdirs) == 1:
                return walk((*prefix, next(iter(subdirs))))
            return [".".join(prefix)]
        out = [".".join((*prefix, m)) for m in sorted(own)]
        for sub in sorted(subdirs):
            out += walk((*prefix, sub))
        return out

    return walk(())


def _requirements(
    lines: list[str], env: dict[str, str], extras: list[str]
) -> tuple[list[str], dict[str, list[str]]]:
    """Base requirements and those of each extra, markers evaluated for ``env``."""
    base: list[str] = []
    by_extra: dict[str, list[str]] = {}
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        dep = normalize(req.name) + (f"[{','.join(sorted(req.extras))}]" if req.extras else "")
        marker: Marker | None = req.marker
        if marker is None or marker.evaluate({**env, "extra": ""}):
            base.append(dep)
            continue
        for extra in extras:
            if marker.evaluate({**env, "extra": extra}):
                by_extra.setdefault(normalize(extra), []).append(dep)
    return sorted(set(base)), {k: sorted(set(v)) for k, v in sorted(by_extra.items())}


def read_installed(dest: Path, env: dict[str, str]) -> dict[str, dict[str, object]]:
    """One entry per ``*.dist-info`` folder below ``dest``."""
    out: dict[str, dict[str, object]] = {}
    for info in sorted(dest.glob("*.dist-info")):
        meta = Parser().parsestr((info / "METADATA").read_text(encoding="utf-8", errors="replace"))
        record = (info / "RECORD").read_text(encoding="utf-8", errors="replace")
        paths = [line.rsplit(",", 2)[0] for line in record.splitlines() if line]
        extras = meta.get_all("Provides-Extra") or []
        requires, by_extra = _requirements(meta.get_all("Requires-Dist") or [], env, extras)
        out[normalize(str(meta["Name"]))] = {
            "version": str(meta["Version"]),
            "modules": module_roots(paths),
            "requires": requires,
            "extras": by_extra,
        }
    return out


def _sdist_url(name: str, version: str) -> str | None:
    """The sdist of ``name==version`` from the index's simple API (PEP 691 JSON)."""
    request = urllib.request.Request(
        f"https://pypi.org/simple/{name}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        doc = json.load(r)
    stem = f"{name}-{version}.".replace("-", "_").lower()
    for f in doc.get("files", []):
        filename = str(f.get("filename", ""))
        if filename.replace("-", "_").lower().startswith(stem) and filename.endswith(
            (".tar.gz", ".zip")
        ):
            return str(f["url"])
    return None


def _sdist_members(data: bytes, url: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if url.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for n in zf.namelist():
                out[n] = zf.read(n) if n.endswith(("PKG-INFO", ".txt")) else b""
        return out
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for member in tf.getmembers():
            wanted = member.isfile() and member.name.endswith(("PKG-INFO", ".txt"))
            extracted = tf.extractfile(member) if wanted else None
            out[member.name] = extracted.read() if extracted else b""
    return out


def read_sdist(name: str, version: str, env: dict[str, str]) -> dict[str, object]:
    """What an sdist-only pin says about itself; ``None`` for what it does not say."""
    entry: dict[str, object] = {"version": version, "modules": None, "requires": None}
    try:
        url = _sdist_url(name, version)
        if url is None:
            return entry
        with urllib.request.urlopen(url, timeout=60) as r:
            members = _sdist_members(r.read(), url)
    except OSError as exc:  # urllib's HTTPError too: the pin stays unknown
        print(f"{name}=={version}: no sdist read ({exc})")
        return entry
    text = {n: b.decode("utf-8", errors="replace") for n, b in members.items() if b}
    pkg_info = [t for n, t in text.items() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
    meta = Parser().parsestr(pkg_info[0]) if pkg_info else None
    lines = (meta.get_all("Requires-Dist") or []) if meta else []
    extras = (meta.get_all("Provides-Extra") or []) if meta else []
    egg = [n.rsplit("/", 1)[0] for n in text if n.endswith(".egg-info/PKG-INFO")]
    if not lines and egg:
        lines, extras = _egg_requires(text.get(f"{egg[0]}/requires.txt", ""))
    if lines or egg or (meta and meta.get("Metadata-Version", "1") >= "2.2"):
        requires, by_extra = _requirements(lines, env, extras)
        entry["requires"], entry["extras"] = requires, by_extra
    tops = [t for n, t in text.items() if n.endswith(".egg-info/top_level.txt")]
    if tops:
        entry["modules"] = sorted({m.strip() for m in tops[0].splitlines() if m.strip()})
    else:
        entry["modules"] = _sdist_layout(list(members)) or None
    return entry


_NOT_MODULES = frozenset({"setup", "conftest", "tests", "test", "docs", "examples", "build"})


def _sdist_layout(names: list[str]) -> list[str]:
    """Packages and modules at the top of an sdist (or of its ``src/``): its likely roots."""
    found: set[str] = set()
    for name in names:
        parts = name.split("/")[1:]  # below `<name>-<version>/`
        if parts[:1] == ["src"]:
            parts = parts[1:]
        if (len(parts) == 2 and parts[1] == "__init__.py") or (
            len(parts) == 1 and parts[0].endswith(".py")
        ):
            module = parts[0].removesuffix(".py")
            if _IDENT.match(module) and module not in _NOT_MODULES:
                found.add(module)
    return sorted(found)


def _egg_requires(text: str) -> tuple[list[str], list[str]]:
    """``requires.txt`` (``[extra:marker]`` sections) as Requires-Dist lines and extras."""
    lines: list[str] = []
    extras: list[str] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            extra, _, marker = section.partition(":")
            if extra:
                extras.append(extra)
            continue
        if not line:
            continue
        extra, _, marker = section.partition(":")
        parts = [f'extra == "{extra}"'] if extra else []
        parts += [f"({marker})"] if marker else []
        lines.append(f"{line}; {' and '.join(parts)}" if parts else line)
    return lines, extras


def generate(version: str, work: Path) -> dict[str, object]:
    """The dists document of one MWAA version (see the module docstring)."""
    from taxiway.doctor.reqcheck import marker_environment

    target = release(version)
    env = marker_environment(target)
    pins = pins_for(version)
    dest = work / version
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    try:
        no_wheel = install(target, pins, dest)
        dists = read_installed(dest, env)
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    for name in no_wheel:
        dists[name] = read_sdist(name, pins[name], env)
    missing = sorted(set(pins) - set(dists))
    for name in missing:  # a wheel whose metadata names it differently: keep it unknown
        dists[name] = {"version": pins[name], "modules": None, "requires": None}
    return {
        "version": version,
        "python": target.python,
        "distributions": dict(sorted(dists.items())),
    }


def main(argv: list[str] | None = None) -> None:
    """Write ``data/<version>/dists.json.gz`` for each version given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("versions", nargs="+")
    parser.add_argument("--work", type=Path, default=Path("/tmp/mwaa-dists"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args(argv)
    for version in args.versions:
        doc = generate(version, args.work)
        dest = args.out / version / "dists.json.gz"
        payload = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        dest.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
        dists: dict[str, dict[str, object]] = doc["distributions"]  # type: ignore[assignment]
        unknown = sorted(n for n, d in dists.items() if d["modules"] is None)
        print(f"{dest}: {len(dists)} distributions, {dest.stat().st_size} bytes; "
              f"modules unknown: {', '.join(unknown) or 'none'}")  # fmt: skip


if __name__ == "__main__":
    main()
