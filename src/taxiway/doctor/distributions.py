"""What pip leaves installed on MWAA, offline: the shipped distribution data of each version.

``src/taxiway/mwaa/data/<version>/dists.json.gz`` (written by
:mod:`taxiway.mwaa.generate_dists` from the wheels of the version's built-in packages and
constraint pins) gives every distribution pip can install there without a version of the
user's own: the modules it puts on ``sys.path`` and what it requires, per extra, with the
markers already evaluated for MWAA's Python on Linux x86_64.

:func:`installed` walks the requirements from the built-ins and the project's requirements
through those dependencies, as pip does under MWAA's constraints. What the data cannot
follow (a requirement outside the constraint set, a URL, an sdist whose metadata says
nothing) is kept in ``Installed.unverified``: the doctor then cannot say that a module is
missing, only that it could not find it (a warning, never an error). With the resolver's
answer (``--resolve``: :func:`resolved`) every installed distribution is known by name, and
only the modules of those outside the data are unknown (``Installed.modules_unknown``).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources

#: how an unverified requirement that names no distribution (a URL or a path) is listed
URL_REQUIREMENT = "a URL or path requirement"

_EXTRAS = re.compile(r"^([^\[]+)(?:\[([^\]]*)\])?$")
# In every virtual environment MWAA builds for Python 3.11 and older, and required by name
# by some built-ins on 3.12, but left out of Airflow's constraints files: they need nothing
# themselves, so the data not listing them hides nothing.
_BOOTSTRAP = frozenset({"pip", "setuptools", "wheel"})


@dataclass(frozen=True)
class Distribution:
    """One distribution of the data: its modules (None: unknown) and requirements."""

    name: str
    version: str
    modules: tuple[str, ...] | None
    requires: tuple[str, ...] | None  # "name" or "name[extra,...]"; None: unknown
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DistData:
    """The shipped distribution data of one MWAA version."""

    version: str
    python: str
    dists: Mapping[str, Distribution]

    @cached_property
    def by_module(self) -> dict[str, tuple[str, ...]]:
        """Module root -> the distributions that install it."""
        index: dict[str, list[str]] = {}
        for dist in self.dists.values():
            for root in dist.modules or ():
                index.setdefault(root, []).append(dist.name)
        return {root: tuple(names) for root, names in index.items()}

    def modules(self, name: str) -> tuple[str, ...] | None:
        """The modules of distribution ``name`` (None: not in the data, or unknown)."""
        dist = self.dists.get(name)
        return dist.modules if dist is not None else None

    def providers_of(self, module: str) -> tuple[str, ...]:
        """Distributions of the data that install ``module`` (or a package below it)."""
        parts = module.split(".")
        for n in range(len(parts), 0, -1):
            found = self.by_module.get(".".join(parts[:n]))
            if found:
                return found
        below = module + "."
        return tuple(
            sorted({d for r, ds in self.by_module.items() if r.startswith(below) for d in ds})
        )


@cache
def dist_data(version: str) -> DistData | None:
    """The shipped data of MWAA ``version``, or None when none was generated for it."""
    path = resources.files("taxiway.mwaa") / "data" / version / "dists.json.gz"
    if not path.is_file():
        return None
    doc = json.loads(gzip.decompress(path.read_bytes()))
    dists = {}
    for name, entry in doc["distributions"].items():
        modules = entry.get("modules")
        requires = entry.get("requires")
        dists[name] = Distribution(
            name,
            str(entry["version"]),
            tuple(modules) if modules is not None else None,
            tuple(requires) if requires is not None else None,
            {k: tuple(v) for k, v in (entry.get("extras") or {}).items()},
        )
    return DistData(str(doc["version"]), str(doc["python"]), dists)


def split_extras(requirement: str) -> tuple[str, frozenset[str]]:
    """``"name[a,b]"`` -> ``("name", {"a", "b"})``."""
    m = _EXTRAS.match(requirement)
    if m is None:
        return requirement, frozenset()
    extras = frozenset(e.strip() for e in (m.group(2) or "").split(",") if e.strip())
    return m.group(1), extras


@dataclass(frozen=True)
class Installed:
    """The distributions pip leaves installed, and how each got there.

    ``unverified``: installed distributions whose requirements the data does not know, so
    any distribution might come with them. ``modules_unknown``: installed distributions
    whose modules the data does not list (they may provide a module under any name).
    ``via``: for a distribution that only comes as a dependency, the built-in or requirement
    that pulls it in.
    """

    data: DistData
    dists: frozenset[str]
    unverified: frozenset[str]
    via: Mapping[str, str]
    modules_unknown: frozenset[str] = frozenset()

    def module_provider(self, module: str) -> str | None:
        """The installed distribution whose modules contain ``module``, per the data."""
        parts = module.split(".")
        for n in range(len(parts), 0, -1):
            for name in self.data.by_module.get(".".join(parts[:n]), ()):
                if name in self.dists:
                    return name
        below = module + "."
        for root, names in self.data.by_module.items():
            if root.startswith(below):
                for name in names:
                    if name in self.dists:
                        return name  # a namespace package (`google`) one of them fills
        return None

    def without_module_data(self) -> list[str]:
        """Installed distributions whose modules the data does not list."""
        out = []
        for name in sorted(self.dists):
            dist = self.data.dists.get(name)
            if dist is None or dist.modules is None:
                out.append(name)
        return out

    def origin(self, name: str) -> str:
        """``pandas`` or ``numpy (required by pandas)`` for messages."""
        return f"`{name}` (required by `{self.via[name]}`)" if name in self.via else f"`{name}`"


def installed(
    data: DistData,
    builtins: Iterable[str],
    requirements: Iterable[tuple[str | None, frozenset[str]]],
) -> Installed:
    """Follow the requirements of the built-ins and of ``requirements`` ((name, extras);
    name None for a URL or path requirement) through the data."""
    seen: dict[str, set[str]] = {}
    via: dict[str, str] = {}
    unverified: set[str] = set()
    todo: list[tuple[str, frozenset[str], str | None]] = [(b, frozenset(), None) for b in builtins]
    for name, extras in requirements:
        if name is None:
            unverified.add(URL_REQUIREMENT)
            continue
        todo.append((name, extras, None))
    while todo:
        name, extras, parent = todo.pop()
        known = seen.get(name)
        if known is not None and extras <= known:
            continue
        new_extras = extras - known if known is not None else extras
        seen.setdefault(name, set()).update(extras)
        if parent is not None and name not in via:
            via[name] = parent
        dist = data.dists.get(name)
        if dist is None and name in _BOOTSTRAP:
            continue
        if dist is None or dist.requires is None:
            unverified.add(name)
            continue
        deps = list(dist.requires) if known is None else []
        for extra in new_extras:
            deps += dist.extras.get(extra, ())
        for dep in deps:
            dep_name, dep_extras = split_extras(dep)
            todo.append((dep_name, dep_extras, parent or name))
    unknown_modules = {n for n in seen if n not in _BOOTSTRAP and _modules_of(data, n) is None}
    return Installed(data, frozenset(seen), frozenset(unverified), via, frozenset(unknown_modules))


def _modules_of(data: DistData, name: str) -> tuple[str, ...] | None:
    dist = data.dists.get(name)
    return dist.modules if dist is not None else None


def resolved(data: DistData, names: Iterable[str]) -> Installed:
    """What the resolver says pip installs (every distribution, dependencies included):
    nothing is unverified but the modules of the distributions outside the data."""
    seen = frozenset(names)
    unknown = frozenset(n for n in seen if n not in _BOOTSTRAP and _modules_of(data, n) is None)
    return Installed(data, seen, frozenset(), {}, unknown)


def with_modules(
    data: DistData, modules: Mapping[str, tuple[str, ...]], versions: Mapping[str, str]
) -> DistData:
    """``data`` plus distributions whose modules were read elsewhere (their wheels:
    :mod:`taxiway.doctor.wheelmeta`); their requirements stay unknown."""
    if not modules:
        return data
    extra = {
        name: Distribution(name, versions.get(name, ""), mods, None)
        for name, mods in modules.items()
    }
    return DistData(data.version, data.python, {**data.dists, **extra})


def installed_with_other_versions(
    data: DistData,
    builtins: Iterable[str],
    requirements: list[tuple[str | None, frozenset[str]]],
    pins: Mapping[str, str],
) -> Installed:
    """:func:`installed`, where a distribution outside this version's data (a requirement
    or a dependency that no Airflow constraints of the version pin: ``scikit-learn`` on
    2.10.3) is read from another MWAA version's data that has it (its wheel's modules and
    requirements, as generated for that version): the one with the same version as the pin,
    else the newest. So ``joblib`` is known to come with ``scikit-learn`` offline.

    A distribution borrowed at another version than the one installed stays in
    ``unverified``: what it provides counts, but a module nothing provides is still only
    a warning (that version's dependencies may differ).
    """
    from taxiway import mwaa

    extra: dict[str, Distribution] = {}
    inexact: set[str] = set()
    tried: set[str] = set()
    current = data
    found = installed(current, builtins, requirements)
    while True:
        todo = sorted(
            n
            for n in found.unverified
            if n not in data.dists and n not in tried and n != URL_REQUIREMENT
        )
        if not todo:
            break
        tried.update(todo)
        for name in todo:
            borrowed = _borrow(name, pins.get(name), data.version, mwaa.versions())
            if borrowed is not None:
                extra[name], exact = borrowed
                if not exact:
                    inexact.add(name)
        if not extra.keys() & set(todo):
            break
        current = DistData(data.version, data.python, {**data.dists, **extra})
        found = installed(current, builtins, requirements)
    if not extra:
        return found
    return Installed(
        found.data,
        found.dists,
        found.unverified | (inexact & found.dists),
        found.via,
        found.modules_unknown,
    )


def _borrow(
    name: str, pin: str | None, own: str, versions: list[str]
) -> tuple[Distribution, bool] | None:
    """``name`` from another version's data: the pinned version's when one has it, else the
    closest below the pin (above when none is), else (unpinned) the newest; with whether its
    version is the pinned one."""
    from packaging.version import InvalidVersion, Version

    entries = []
    for version in reversed(versions):
        other = dist_data(version) if version != own else None
        dist = other.dists.get(name) if other is not None else None
        if dist is not None and dist.requires is not None and dist.modules is not None:
            entries.append(dist)
    if not entries:
        return None
    if pin is None:
        return entries[0], False
    try:
        want = Version(pin)
        keyed = [(Version(d.version), d) for d in entries]
    except InvalidVersion:
        return entries[0], False
    for got, dist in keyed:
        if got == want:
            return dist, True
    below = [(got, d) for got, d in keyed if got < want]
    if below:
        return max(below, key=lambda kv: kv[0])[1], False
    return min(keyed, key=lambda kv: kv[0])[1], False
