"""Airflow's deprecation shims, judged by what they forward to.

Airflow 2 keeps the 1.10 module names importable (``airflow.contrib.*``,
``airflow.hooks.*_hook``, ``airflow.operators.*_operator``, ``airflow.kubernetes.secret``):
from 2.4 on as virtual modules whose names are imported from a provider when accessed,
before that as real files that import the provider at their top. Either way the import
fails when that provider is not installed, and works (with a deprecation warning) when it
is. The shipped ``apis.json.gz`` of each version (:mod:`taxiway.mwaa.generate_apis`) lists
both kinds; this module reads that part of it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Imported by nearly every shim for its own machinery, never what it forwards to.
_MACHINERY = ("airflow.exceptions", "airflow.utils.deprecation", "airflow.utils.decorators")


@dataclass(frozen=True)
class AirflowShims:
    """The shims of one Airflow version (see the module docstring)."""

    forwards: Mapping[str, Mapping[str, str]]  # virtual module -> {name: dotted target}
    imports: Mapping[str, tuple[str, ...]]  # real module -> airflow.* modules it imports
    deprecated: frozenset[str]  # real modules that warn when imported

    def forward(self, module: str, name: str) -> str | None:
        """Where ``from module import name`` really comes from, for a virtual shim."""
        target = self.forwards.get(module, {}).get(name)
        return target or None

    def replacement(self, module: str) -> str | None:
        """The module a deprecated real module stands in for (its first non-machinery import)."""
        if module not in self.deprecated:
            return None
        for imported in self.imports.get(module, ()):
            if not imported.startswith(_MACHINERY):
                return imported
        return None


@cache
def shims(version: str) -> AirflowShims | None:
    """The shims of MWAA ``version``'s Airflow, or None without shipped data."""
    path = resources.files("taxiway.mwaa") / "data" / version / "apis.json.gz"
    if not path.is_file():
        return None
    doc = json.loads(gzip.decompress(path.read_bytes()))
    return AirflowShims(
        {m: dict(names) for m, names in (doc.get("forwards") or {}).items()},
        {m: tuple(mods) for m, mods in (doc.get("imports") or {}).items()},
        frozenset(doc.get("deprecated") or ()),
    )
