"""Settings: ``taxiway.yaml`` -> frozen, validated dataclasses.

Unknown keys and bad values raise :class:`ConfigError` naming the file and the key path
(``taxiway.yaml: environments.local.data_dri: unknown key``). Secrets never live here.
The storage root of the local environment defaults to ``./data`` and is overridden by
``--data-dir`` or ``TAXIWAY_DATA_DIR``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway.errors import ConfigError

DEFAULT_FILE = "taxiway.yaml"
SIZING_KEYS = frozenset(
    {
        "emr_primary_instance_type",
        "emr_core_instance_type",
        "emr_core_instance_count",
        "mwaa_environment_class",
        "mwaa_min_workers",
        "mwaa_max_workers",
        "mwaa_schedulers",
    }
)


@dataclass(frozen=True)
class PipelineSettings:
    topic: str = "events"
    late_event_lookback_days: int = 7
    attribution_window_days: int = 7
    #: the Kafka Connect S3 sink's ``topics.dir`` in the landing bucket (AWS)
    topics_dir: str = "topics"
    #: minutes after an hour ends before it is curated: the sink's last flush
    settle_minutes: int = 10
    #: the first landing hour the hourly DAG curates (``YYYY-MM-DDTHH``, UTC); catchup starts here
    start_hour: str = "2026-11-01T00"
    #: how long the curate task waits for its EMR step before failing (sizes the waiter)
    curate_timeout_minutes: int = 120
    #: an event_ts later than its landing hour's end plus this is quarantined (clock skew)
    future_tolerance_hours: int = 1
    #: a landing line longer than this (bytes, newline not counted) is quarantined as
    #: `line-too-long` while it is read, never held whole (Kafka's default message limit)
    max_line_bytes: int = 1048576


@dataclass(frozen=True)
class Environment:
    """One target environment. ``target`` is ``local`` or ``aws``."""

    name: str
    target: str
    engine: str
    data_dir: str | None = None
    region: str | None = None
    mwaa_version: str | None = None
    emr_release: str | None = None
    emr_idle_timeout_minutes: int | None = None
    sizing: dict[str, Any] = field(default_factory=dict)

    def bucket(self, role: str, account_id: str, project: str = "taxiway") -> str:
        """S3 bucket name for ``role`` (landing, curated, ...) in ``account_id``: naming.py."""
        from taxiway import naming

        return naming.bucket(project, self.name, role, account_id)


@dataclass(frozen=True)
class Settings:
    project: str
    pipeline: PipelineSettings
    environments: dict[str, Environment]
    source: str = DEFAULT_FILE

    def env(self, name: str) -> Environment:
        if name not in self.environments:
            raise ConfigError(
                f"{self.source}: environments.{name}: no such environment; "
                f"choose one of {', '.join(self.environments)}."
            )
        return self.environments[name]


_ENV_KEYS: dict[str, type | tuple[type, ...]] = {
    "target": str,
    "engine": str,
    "data_dir": str,
    "region": str,
    "mwaa_version": str,
    "emr_release": str,
    "emr_idle_timeout_minutes": int,
    "sizing": dict,
}
_PIPELINE_KEYS: dict[str, type] = {
    "topic": str,
    "late_event_lookback_days": int,
    "attribution_window_days": int,
    "topics_dir": str,
    "settle_minutes": int,
    "start_hour": str,
    "curate_timeout_minutes": int,
    "future_tolerance_hours": int,
    "max_line_bytes": int,
}


def _check(source: str, path: str, data: dict[str, Any], schema: dict[str, Any]) -> None:
    for key, value in data.items():
        if key not in schema:
            raise ConfigError(
                f"{source}: {path}.{key}: unknown key; allowed: {', '.join(sorted(schema))}."
            )
        expected = schema[key]
        if isinstance(value, bool) or not isinstance(value, expected):
            name = expected.__name__ if isinstance(expected, type) else str(expected)
            raise ConfigError(
                f"{source}: {path}.{key}: expected {name}, got {type(value).__name__} `{value!r}`."
            )


def parse(data: Any, source: str = DEFAULT_FILE) -> Settings:
    """Validate a decoded YAML document."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping.")
    _check(source, "(root)", data, {"project": str, "pipeline": dict, "environments": dict})
    pipe_raw = data.get("pipeline") or {}
    _check(source, "pipeline", pipe_raw, _PIPELINE_KEYS)
    pipeline = PipelineSettings(**pipe_raw)
    for key in (
        "late_event_lookback_days",
        "attribution_window_days",
        "settle_minutes",
        "future_tolerance_hours",
    ):
        if getattr(pipeline, key) < 0:
            raise ConfigError(f"{source}: pipeline.{key}: must be >= 0.")
    if pipeline.max_line_bytes < 1:
        raise ConfigError(f"{source}: pipeline.max_line_bytes: must be >= 1.")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d", pipeline.start_hour):
        raise ConfigError(
            f"{source}: pipeline.start_hour: `{pipeline.start_hour}` is not an hour; "
            "write it as YYYY-MM-DDTHH (UTC), e.g. 2026-11-01T00."
        )
    envs: dict[str, Environment] = {}
    for name, raw in (data.get("environments") or {}).items():
        path = f"environments.{name}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: {path}: must be a mapping.")
        _check(source, path, raw, _ENV_KEYS)
        target = raw.get("target")
        if target not in ("local", "aws"):
            raise ConfigError(f"{source}: {path}.target: must be `local` or `aws`, got `{target}`.")
        engine = raw.get("engine", "duckdb" if target == "local" else "spark-emr")
        if engine not in ("duckdb", "spark", "spark-emr"):
            raise ConfigError(
                f"{source}: {path}.engine: must be duckdb, spark or spark-emr, got `{engine}`."
            )
        for key in raw.get("sizing") or {}:
            if key not in SIZING_KEYS:
                raise ConfigError(
                    f"{source}: {path}.sizing.{key}: unknown key; allowed: "
                    f"{', '.join(sorted(SIZING_KEYS))}."
                )
        if target == "aws":
            for key in ("region", "mwaa_version", "emr_release"):
                if key not in raw:
                    raise ConfigError(f"{source}: {path}.{key}: required for an aws environment.")
        envs[name] = Environment(name=name, **{**raw, "engine": engine})
    if not envs:
        raise ConfigError(f"{source}: environments: at least one environment is required.")
    return Settings(
        project=data.get("project", "taxiway"),
        pipeline=pipeline,
        environments=envs,
        source=source,
    )


def find_settings_file(start: Path | None = None) -> Path | None:
    """``$TAXIWAY_CONFIG`` or the nearest ``taxiway.yaml`` at or above ``start`` (cwd)."""
    if os.environ.get("TAXIWAY_CONFIG"):
        return Path(os.environ["TAXIWAY_CONFIG"])
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_FILE
        if candidate.is_file():
            return candidate
    return None


_BUILTIN_DEFAULT = {
    "project": "taxiway",
    "environments": {"local": {"target": "local", "data_dir": "./data", "engine": "duckdb"}},
}


def load(path: Path | str | None = None) -> Settings:
    """Load settings from ``path`` (or the discovered file, or built-in local defaults)."""
    import yaml

    file = Path(path) if path else find_settings_file()
    if file is None:
        return parse(_BUILTIN_DEFAULT, "(built-in defaults)")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{file}: not found.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
    return parse(data, str(file))


def data_dir(settings: Settings, env: str = "local", override: str | None = None) -> str:
    """The storage root: ``--data-dir`` > ``TAXIWAY_DATA_DIR`` > the environment's data_dir."""
    if override:
        return override
    if os.environ.get("TAXIWAY_DATA_DIR"):
        return os.environ["TAXIWAY_DATA_DIR"]
    configured = settings.env(env).data_dir or "./data"
    if settings.source.endswith(DEFAULT_FILE) and not Path(configured).is_absolute():
        # relative paths are relative to the settings file, not the caller's cwd
        return str(Path(settings.source).parent / configured)
    return configured
