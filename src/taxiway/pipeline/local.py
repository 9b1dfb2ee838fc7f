"""The local pipeline as plain functions: what `taxiway run` and the local DAG tasks call.

Every curate leaves the warehouse's lake views (``events``, ``quarantine``,
``hourly_counts``, ``runs``) current, reports or not, so ``taxiway run --skip-reports``
followed by ``taxiway query`` works.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from taxiway.config import Settings
from taxiway.errors import UsageError
from taxiway.lake.lock import OnWait
from taxiway.lake.manifest import RunManifest


def curate_hours(
    settings: Settings,
    env: str,
    root: Path,
    hours: list[datetime],
    engine: str | None = None,
    *,
    wait: bool = True,
    on_wait: OnWait | None = None,
) -> RunManifest:
    """Curate landing hours of a local environment with its engine (DuckDB by default).

    Waits for (or with ``wait=False`` fails on) a run that holds the lake lock, then
    registers the lake views in the warehouse.
    """
    from taxiway.catalog.local import DuckDBCatalog
    from taxiway.engines.base import Engine
    from taxiway.lake.layout import Lake
    from taxiway.pipeline.curate import curate

    environment = settings.env(env)
    if environment.target != "local":
        raise UsageError(
            f"Environment `{env}` runs on AWS (EMR steps, Athena) through Airflow on MWAA; "
            "`taxiway run` drives local environments. Trigger the `taxiway_hourly` DAG instead."
        )
    name = engine or environment.engine
    impl: Engine
    if name == "duckdb":
        from taxiway.engines.duckdb import DuckDBEngine

        impl = DuckDBEngine(
            future_tolerance_hours=settings.pipeline.future_tolerance_hours,
            max_line_bytes=settings.pipeline.max_line_bytes,
        )
    elif name in ("spark", "spark-emr"):
        from taxiway.engines.spark import SparkEngine

        impl = SparkEngine(
            future_tolerance_hours=settings.pipeline.future_tolerance_hours,
            max_line_bytes=settings.pipeline.max_line_bytes,
        )
    else:
        raise UsageError(f"Engine `{name}` is unknown; use `duckdb` or `spark`.")
    manifest = curate(
        root,
        hours,
        impl,
        topic=settings.pipeline.topic,
        late_event_lookback_days=settings.pipeline.late_event_lookback_days,
        wait=wait,
        on_wait=on_wait,
    )
    DuckDBCatalog(Lake(root, settings.pipeline.topic)).sync()
    return manifest


def refresh_catalog(settings: Settings, root: Path) -> dict[str, int]:
    """Register the lake in the warehouse file and rebuild the reports."""
    from taxiway.catalog.local import DuckDBCatalog
    from taxiway.lake.layout import Lake

    catalog = DuckDBCatalog(Lake(root, settings.pipeline.topic))
    return catalog.refresh(attribution_window_days=settings.pipeline.attribution_window_days)


def build_report(settings: Settings, root: Path, report: str) -> int:
    """Rebuild one report table in the warehouse (and its Parquet copy); return its rows."""
    from taxiway.catalog.local import DuckDBCatalog
    from taxiway.lake.layout import Lake

    catalog = DuckDBCatalog(Lake(root, settings.pipeline.topic))
    counts = catalog.refresh(
        attribution_window_days=settings.pipeline.attribution_window_days, only=[report]
    )
    return int(counts[report])
