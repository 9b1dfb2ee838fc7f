"""The one project config of the toolkit: ``taxiway.toml`` or ``[tool.taxiway]`` in pyproject.toml.

A user's Airflow project says once what every command would otherwise need as flags::

    # taxiway.toml (or the same keys under [tool.taxiway] in pyproject.toml)
    mwaa = "2.10.3"                 # target MWAA version (`--mwaa`)
    environment = "orders-prod"     # MWAA environment name (`--environment`)
    region = "eu-west-1"            # AWS region (`--region`)
    profile = "orders"              # AWS profile (`--profile`)
    requirements = "requirements/requirements.txt"   # paths, relative to the file
    dags = "dags"
    plugins = "plugins"
    startup = "startup_script/startup.sh"

A flag always wins over the file. ``taxiway.toml`` wins over ``pyproject.toml`` when a project
has both (the file named after the tool is the more specific one). Unknown keys are refused
with the file and the key, like every settings file of taxiway.

This module is the toolkit's; the reference platform's ``taxiway.yaml`` is a different file
read by :mod:`taxiway.config`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from taxiway.errors import ConfigError, UsageError

FILE = "taxiway.toml"
_STRINGS = ("mwaa", "environment", "region", "profile")
_PATHS = ("requirements", "dags", "plugins", "startup")


@dataclass(frozen=True)
class ProjectConfig:
    """What the project's config file says; None where it says nothing."""

    root: Path
    source: Path | None = None  # the file read, None when the project has none
    mwaa: str | None = None
    environment: str | None = None
    region: str | None = None
    profile: str | None = None
    requirements: Path | None = None
    dags: Path | None = None
    plugins: Path | None = None
    startup: Path | None = None


def _table(path: Path) -> dict[str, object] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read `{path}`: {exc}; fix the TOML syntax.") from exc
    if path.name == FILE:
        return data
    tool = data.get("tool", {})
    section = tool.get("taxiway") if isinstance(tool, dict) else None
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"`{path}`: [tool.taxiway] must be a table of keys.")
    return section


def load(project_dir: Path) -> ProjectConfig:
    """The config of ``project_dir`` (``taxiway.toml``, else pyproject's ``[tool.taxiway]``)."""
    root = project_dir.resolve()
    for name in (FILE, "pyproject.toml"):
        path = root / name
        if not path.is_file():
            continue
        table = _table(path)
        if table is None:
            continue
        return _parse(root, path, table)
    return ProjectConfig(root)


def _parse(root: Path, path: Path, table: dict[str, object]) -> ProjectConfig:
    where = "" if path.name == FILE else "[tool.taxiway] "
    unknown = sorted(set(table) - set(_STRINGS) - set(_PATHS))
    if unknown:
        known = ", ".join(f"`{k}`" for k in (*_STRINGS, *_PATHS))
        raise ConfigError(f"`{path}`: unknown key {where}`{unknown[0]}`; the keys are {known}.")
    values: dict[str, object] = {}
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"`{path}`: {where}`{key}` must be a non-empty string, not {value!r}."
            )
        values[key] = (root / value).resolve() if key in _PATHS else value.strip()
    return ProjectConfig(root, path, **values)  # type: ignore[arg-type]


def mwaa_version(
    given: str | None,
    config: ProjectConfig | None,
    environment_version: str | None = None,
    environment: str | None = None,
) -> str:
    """The target MWAA version: ``--mwaa``, else the environment's, else the config's.

    ``environment_version`` is the Airflow version AWS reports for ``--environment``. Never
    the newest by default: with none of the three, a usage error says how to choose.
    """
    if given:
        return given
    if environment_version:
        return environment_version
    if config is not None and config.mwaa:
        return config.mwaa
    where = f"`{config.source}`" if config is not None and config.source else f"`{FILE}`"
    hint = f" or `--environment {environment}`" if environment else ""
    raise UsageError(
        f'No target MWAA version: pass `--mwaa VERSION`{hint}, or set `mwaa = "VERSION"` '
        f"in {where} (`taxiway doctor versions` lists them)."
    )
