"""The ``airflow.*`` modules and provider names of an MWAA version (``data/<v>/apis.json.gz``).

Generated offline from the wheels by :mod:`taxiway.mwaa.generate_apis`: every module of
Airflow (core, task SDK, the virtual modules of its deprecation shims) and of each provider
the version's constraints pin, with the public names of each provider module. The doctor
uses it to report imports that raise on MWAA although the distribution is installed: a
module Airflow removed, or an operator a provider dropped. Versions without the file get
no such checks (``apis(v)`` is None), never a false alarm.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class AirflowApis:
    """What ``import airflow...`` finds on one MWAA version."""

    version: str
    distributions: dict[str, str]  # the wheels read: {name: version}
    modules: dict[str, frozenset[str] | None]  # None: any name (core or dynamic module)

    def provider_of(self, module: str) -> str | None:
        """The provider distribution that ships ``module`` (longest package match)."""
        parts = module.split(".")
        if len(parts) < 3 or parts[:2] != ["airflow", "providers"]:
            return None
        for n in (3, 2, 1):
            name = "apache-airflow-providers-" + "-".join(parts[2 : 2 + n])
            if len(parts) >= 2 + n and name.replace("_", "-") in self.distributions:
                return name.replace("_", "-")
        return None

    def has_module(self, module: str) -> bool:
        """Whether ``module`` exists (a file, a package or a deprecation shim)."""
        return module in self.modules

    def missing_names(self, module: str, names: tuple[str, ...]) -> list[str]:
        """Names of ``from module import ...`` that the module does not define."""
        known = self.modules.get(module)
        if known is None:
            return []
        return [
            n
            for n in names
            if not n.startswith(("_", "*"))
            and n not in known
            and f"{module}.{n}" not in self.modules
        ]


@cache
def apis(version: str) -> AirflowApis | None:
    """The shipped data of MWAA ``version``, or None when none was generated for it."""
    path = resources.files("taxiway.mwaa") / "data" / version / "apis.json.gz"
    if not path.is_file():
        return None
    doc = json.loads(gzip.decompress(path.read_bytes()))
    modules = {
        name: (frozenset(names) if names is not None else None)
        for name, names in doc["modules"].items()
    }
    return AirflowApis(doc["version"], dict(doc["distributions"]), modules)
