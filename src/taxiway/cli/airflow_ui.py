"""`taxiway airflow`: a real Airflow UI on the project's DAGs, with the local data."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer

from taxiway.cli import render
from taxiway.cli.pipeline import ConfigFile, DataDir, _root, _settings


def airflow(
    port: int = typer.Option(8080, "--port", help="Port of the Airflow UI and API."),
    home: Path = typer.Option(
        None, "--home", help="AIRFLOW_HOME (default: .airflow/ beside taxiway.yaml)."
    ),
    backfill: bool = typer.Option(
        True,
        "--backfill/--no-backfill",
        help="Unpause taxiway_hourly and backfill the landing hours on disk.",
    ),
    data_dir: str | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Start a real Airflow UI on dags/ with the local target; Ctrl-C stops it.

    Runs Airflow standalone (api-server, scheduler, dag-processor, triggerer), prints the URL
    and the login, and backfills taxiway_hourly over the landing hours on disk.
    """
    from taxiway.extras import need

    need("pipeline", "airflow")
    from taxiway.lake.layout import Lake
    from taxiway.ui import airflow as ui

    settings = _settings(config)
    root = _root(settings, data_dir)
    hours = ui.landing_hours(Lake(root, settings.pipeline.topic))
    site = replace(ui.site(settings, root, port, home), dag_start=hours[0] if hours else None)
    code = ui.serve(site, hours, render.info, backfill=backfill)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Attach ``taxiway airflow`` to the root app."""
    app.command("airflow")(airflow)
