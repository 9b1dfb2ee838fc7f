"""The DAG side's view of taxiway.yaml: which environment, its buckets and names.

Read once per parse (a small local file); the environment comes from `TAXIWAY_ENV`, set in
MWAA's startup script (`export TAXIWAY_ENV=production`) or the local shell.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPORTS = ("campaign_daily_kpis", "attribution_last_click", "daily_funnel", "data_quality_hourly")


@dataclass(frozen=True)
class DagEnv:
    name: str
    target: str
    project: str
    topic: str
    attribution_window_days: int
    late_event_lookback_days: int
    raw: dict[str, Any] = field(default_factory=dict)

    def bucket(self, role: str) -> str:
        return f"{self.project}-{self.name}-{role}"

    @property
    def cluster_name(self) -> str:
        return f"{self.project}-{self.name}"

    @property
    def glue_database(self) -> str:
        return f"{self.project}_{self.name}"

    @property
    def workgroup(self) -> str:
        return f"{self.project}-{self.name}"


def _settings_file() -> Path:
    explicit = os.environ.get("TAXIWAY_CONFIG")
    if explicit:
        return Path(explicit)
    return HERE.parent / "taxiway.yaml"


def current(name: str | None = None) -> DagEnv:
    """The environment this Airflow runs for (`TAXIWAY_ENV`, default `local`)."""
    env_name = name or os.environ.get("TAXIWAY_ENV", "local")
    doc = yaml.safe_load(_settings_file().read_text(encoding="utf-8"))
    envs = doc.get("environments", {})
    if env_name not in envs:
        raise ValueError(
            f"TAXIWAY_ENV `{env_name}` is not an environment of taxiway.yaml "
            f"({', '.join(envs)}); set TAXIWAY_ENV to one of them."
        )
    pipeline = doc.get("pipeline", {})
    return DagEnv(
        name=env_name,
        target=envs[env_name]["target"],
        project=doc.get("project", "taxiway"),
        topic=pipeline.get("topic", "events"),
        attribution_window_days=int(pipeline.get("attribution_window_days", 7)),
        late_event_lookback_days=int(pipeline.get("late_event_lookback_days", 7)),
        raw=envs[env_name],
    )
