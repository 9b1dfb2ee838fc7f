"""The DAG side's view of taxiway.yaml: which environment, its buckets and names.

Read once per parse (a small local file). The environment comes from `TAXIWAY_ENV`, set in
MWAA's startup script (`taxiway deploy` writes `export TAXIWAY_ENV=...`) or the local shell.
Bucket names end in the AWS account id (`taxiway.naming`); the account id comes from
`TAXIWAY_ACCOUNT_ID` or from `deployment.json`, which `taxiway deploy` writes next to this
file, so parsing a DAG never calls AWS.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

# taxiway/naming.py itself (a symlink in the repo, a copy in the bundle): stdlib only
from taxiway_dags import naming

HERE = Path(__file__).resolve().parent
REPORTS = ("campaign_daily_kpis", "attribution_last_click", "daily_funnel", "data_quality_hourly")
DEPLOYMENT_FILE = HERE / "deployment.json"

#: where catchup starts when the settings name no start hour
DEFAULT_START = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DagEnv:
    name: str
    target: str
    project: str
    topic: str
    attribution_window_days: int
    late_event_lookback_days: int
    future_tolerance_hours: int
    start: datetime
    #: a longer landing line is quarantined as `line-too-long` (pipeline.max_line_bytes)
    max_line_bytes: int = 1048576
    #: replay every hour from `start` to now once unpaused (TAXIWAY_DAG_CATCHUP=false turns
    #: it off: `taxiway airflow` does, and backfills the landing hours on disk instead)
    catchup: bool = True
    topics_dir: str = "topics"
    settle_minutes: int = 10
    curate_timeout_minutes: int = 120
    account_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def bucket(self, role: str) -> str:
        """`<project>-<env>-<role>-<account_id>`: the one rule in `taxiway.naming`."""
        if not self.account_id:
            raise ValueError(
                f"No AWS account id for environment `{self.name}`: deploy the DAGs with "
                "`taxiway deploy` (it writes taxiway_dags/deployment.json) or set "
                "TAXIWAY_ACCOUNT_ID."
            )
        return str(naming.bucket(self.project, self.name, role, self.account_id))

    @property
    def cluster_name(self) -> str:
        return str(naming.emr_cluster(self.project, self.name))

    @property
    def glue_database(self) -> str:
        return str(naming.glue_database(self.project, self.name))

    @property
    def workgroup(self) -> str:
        return str(naming.athena_workgroup(self.project, self.name))

    @property
    def region(self) -> str | None:
        region = self.raw.get("region")
        return str(region) if region else None


def _settings_file() -> Path:
    explicit = os.environ.get("TAXIWAY_CONFIG")
    if explicit:
        return Path(explicit)
    return HERE.parent / "taxiway.yaml"


def deployment() -> dict[str, Any]:
    """What `taxiway deploy` recorded about the target ({} in the repo)."""
    if not DEPLOYMENT_FILE.is_file():
        return {}
    # A few hundred bytes beside the DAGs on the worker's disk: cheap at parse time.
    doc = json.loads(DEPLOYMENT_FILE.read_text(encoding="utf-8"))  # taxiway: ignore[top-level-code]
    return doc if isinstance(doc, dict) else {}


def _start_hour(text: str | None) -> datetime:
    """The DAG's start: ``YYYY-MM-DDTHH`` (UTC) from the settings or TAXIWAY_DAG_START."""
    if not text:
        return DEFAULT_START
    try:
        return datetime.strptime(str(text)[:13], "%Y-%m-%dT%H").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(
            f"The DAG's start hour `{text}` is not YYYY-MM-DDTHH; fix pipeline.start_hour in "
            "taxiway.yaml or TAXIWAY_DAG_START."
        ) from exc


def _flag(name: str, default: bool) -> bool:
    """An on/off environment variable: true/false, 1/0, yes/no, on/off (case-insensitive)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} `{text}` is not true or false.")


def current(name: str | None = None) -> DagEnv:
    """The environment this Airflow runs for (`TAXIWAY_ENV`, default `local`)."""
    deployed = deployment()
    env_name = name or os.environ.get("TAXIWAY_ENV") or deployed.get("env") or "local"
    doc = yaml.safe_load(_settings_file().read_text(encoding="utf-8"))
    envs = doc.get("environments", {})
    if env_name not in envs:
        raise ValueError(
            f"TAXIWAY_ENV `{env_name}` is not an environment of taxiway.yaml "
            f"({', '.join(envs)}); set TAXIWAY_ENV to one of them."
        )
    account = os.environ.get("TAXIWAY_ACCOUNT_ID") or (
        deployed.get("account_id") if deployed.get("env") == env_name else None
    )
    pipeline = doc.get("pipeline", {})
    return DagEnv(
        name=env_name,
        target=envs[env_name]["target"],
        project=doc.get("project", "taxiway"),
        topic=pipeline.get("topic", "events"),
        attribution_window_days=int(pipeline.get("attribution_window_days", 7)),
        late_event_lookback_days=int(pipeline.get("late_event_lookback_days", 7)),
        future_tolerance_hours=int(pipeline.get("future_tolerance_hours", 1)),
        max_line_bytes=int(pipeline.get("max_line_bytes", 1048576)),
        start=_start_hour(os.environ.get("TAXIWAY_DAG_START") or pipeline.get("start_hour")),
        catchup=_flag("TAXIWAY_DAG_CATCHUP", True),
        topics_dir=str(pipeline.get("topics_dir", "topics")).strip("/"),
        settle_minutes=int(pipeline.get("settle_minutes", 10)),
        curate_timeout_minutes=int(pipeline.get("curate_timeout_minutes", 120)),
        account_id=str(account) if account else None,
        raw=envs[env_name],
    )
