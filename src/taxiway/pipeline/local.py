"""The local pipeline as plain functions: what `taxiway run` and the local DAG tasks call."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from taxiway.config import Settings
from taxiway.errors import UsageError
from taxiway.lake.manifest import RunManifest


def curate_hours(
    settings: Settings, env: str, root: Path, hours: list[datetime], engine: str | None = None
) -> RunManifest:
    """Curate landing hours of a local environment with its engine (DuckDB by default)."""
    from taxiway.pipeline.curate import curate

    environment = settings.env(env)
    if environment.target != "local":
        raise UsageError(
            f"Environment `{env}` runs on AWS (EMR steps, Athena) through Airflow on MWAA; "
            "`taxiway run` drives local environments. Trigger the `taxiway_hourly` DAG instead."
        )
    name = engine or environment.engine
    if name == "duckdb":
        from taxiway.engines.duckdb import DuckDBEngine

        return curate(
            root,
            hours,
            DuckDBEngine(future_tolerance_hours=settings.pipeline.future_tolerance_hours),
            topic=settings.pipeline.topic,
            late_event_lookback_days=settings.pipeline.late_event_lookback_days,
        )
    if name in ("spark", "spark-emr"):
        from taxiway.engines.spark import SparkEngine

        return curate(
            root,
            hours,
            SparkEngine(future_tolerance_hours=settings.pipeline.future_tolerance_hours),
            topic=settings.pipeline.topic,
            late_event_lookback_days=settings.pipeline.late_event_lookback_days,
        )
    raise UsageError(f"Engine `{name}` is unknown; use `duckdb` or `spark`.")


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
    from taxiway.pipeline.reports import build_reports

    catalog = DuckDBCatalog(Lake(root, settings.pipeline.topic))
    con = catalog.connect()
    try:
        catalog.register(con)
        counts = build_reports(
            con,
            str(catalog.lake.reports_dir),
            attribution_window_days=settings.pipeline.attribution_window_days,
            only=[report],
        )
    finally:
        con.close()
    return int(counts[report])
