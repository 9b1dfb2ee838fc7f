"""Connection id -> connection type, read from ``airflow connections export`` output and from
``AIRFLOW_CONN_*`` values: which SQL tasks run on Oracle is decided by the connection's type,
never guessed from its name (``warehouse`` may be Oracle, ``oracle_archive`` may be Postgres).

Only the type is read; logins, passwords and hosts are never kept or printed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from taxiway.errors import UsageError

ORACLE_TYPES = frozenset({"oracle"})
ENV_PREFIX = "AIRFLOW_CONN_"


def _type_of_value(value: object) -> str | None:
    """The type of one connection as Airflow serializes it: a JSON/YAML mapping or a URI."""
    if isinstance(value, Mapping):
        kind = value.get("conn_type")
        return str(kind).lower() if kind else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("{"):
        try:
            return _type_of_value(json.loads(text))
        except json.JSONDecodeError:
            return None
    scheme = urlsplit(text).scheme
    # Airflow's URI form writes underscores in types as dashes (`google-cloud-platform://`).
    return scheme.replace("-", "_").lower() or None


def read_export(path: Path) -> dict[str, str]:
    """``conn_id -> conn_type`` from an ``airflow connections export`` file (json, yaml, env)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read connections file `{path}`: {exc}.") from exc
    suffix = path.suffix.lower()
    if suffix == ".env":
        out: dict[str, str] = {}
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            conn_id, _, value = line.partition("=")
            kind = _type_of_value(value)
            if kind:
                out[conn_id.strip()] = kind
        return out
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UsageError(
            f"`{path}` is not a valid connections export: {str(exc).splitlines()[0]}; "
            "write it with `airflow connections export FILE` (json, yaml or env)."
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise UsageError(
            f"`{path}` must map connection ids to connections, as `airflow connections "
            "export` writes it."
        )
    return {str(k): kind for k, v in data.items() if (kind := _type_of_value(v))}


def from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``conn_id -> conn_type`` from ``AIRFLOW_CONN_<ID>`` variables (ids as Airflow reads
    them: the lower-cased suffix; lookups compare upper-cased)."""
    out: dict[str, str] = {}
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            kind = _type_of_value(value)
            if kind:
                out[name[len(ENV_PREFIX) :].lower()] = kind
    return out


class ConnectionTypes:
    """Lookup of connection types; an id found nowhere has type None (unknown)."""

    def __init__(self, types: Mapping[str, str]) -> None:
        self._types = {k.upper(): v for k, v in types.items()}

    def type_of(self, conn_id: str) -> str | None:
        return self._types.get(conn_id.upper())

    def is_oracle(self, conn_id: str) -> bool | None:
        kind = self.type_of(conn_id)
        return None if kind is None else kind in ORACLE_TYPES

    def __len__(self) -> int:
        return len(self._types)
