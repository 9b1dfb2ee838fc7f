"""Callables of the local target's tasks: thin calls into the `taxiway` package (DuckDB)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def _missing(exc: ImportError) -> RuntimeError:
    return RuntimeError(
        "The local target's tasks run the `taxiway` package, which is not installed here "
        f"({exc}). Install it (`uv sync`) or, on MWAA, set TAXIWAY_ENV to an aws environment "
        "(sandbox, test or production) so the DAG uses EMR and Athena operators."
    )


def _hour(data_interval_start: Any) -> datetime:
    start = datetime.fromtimestamp(data_interval_start.timestamp(), tz=UTC)
    return start.replace(minute=0, second=0, microsecond=0)


def curate(env: str, data_interval_start: Any = None, **_: Any) -> dict[str, int]:
    """Curate the run's landing hour; the returned counts go to XCom."""
    from pathlib import Path

    try:
        from taxiway import config
        from taxiway.pipeline.local import curate_hours
    except ImportError as exc:
        raise _missing(exc) from exc

    settings = config.load()
    root = Path(config.data_dir(settings, env))
    manifest = curate_hours(settings, env, root, [_hour(data_interval_start)])
    return manifest.totals


def register_partitions(env: str, **_: Any) -> None:
    """Refresh the warehouse views over the lake (the local stand-in for Glue partitions)."""
    from pathlib import Path

    try:
        from taxiway import config
        from taxiway.catalog.local import DuckDBCatalog
        from taxiway.lake.layout import Lake
    except ImportError as exc:
        raise _missing(exc) from exc

    settings = config.load()
    catalog = DuckDBCatalog(Lake(Path(config.data_dir(settings, env)), settings.pipeline.topic))
    catalog.sync()  # under the lake lock: never beside a curate's publish


def build_report(env: str, report: str, **_: Any) -> int:
    """Rebuild one report table (and its Parquet copy); return its row count."""
    from pathlib import Path

    try:
        from taxiway import config
        from taxiway.pipeline.local import build_report as build
    except ImportError as exc:
        raise _missing(exc) from exc

    settings = config.load()
    return build(settings, Path(config.data_dir(settings, env)), report)
