"""`taxiway dashboard`: build the offline HTML dashboard from the local warehouse."""

from __future__ import annotations

from pathlib import Path

import typer

from taxiway.cli import render
from taxiway.cli.pipeline import ConfigFile, DataDir, _root, _settings


def dashboard(
    out: Path = typer.Option(
        None, "--out", help="HTML file to write (default: <data dir>/dashboard.html)."
    ),
    open_it: bool = typer.Option(False, "--open", help="Open it in the default browser."),
    data_dir: str | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """One offline HTML page of the warehouse: KPIs, campaigns, funnel, attribution, health.

    The page is self-contained (the chart library is inlined), so it opens without a network.
    """
    from taxiway.extras import need

    need("pipeline", "dashboard")
    from taxiway.dashboard import build
    from taxiway.lake.layout import Lake

    settings = _settings(config)
    root = _root(settings, data_dir)
    lake = Lake(root, settings.pipeline.topic)
    path = build(lake.warehouse, out or root / "dashboard.html")
    render.info(f"dashboard: {path.resolve()}")
    if open_it:
        import webbrowser

        if not webbrowser.open(path.resolve().as_uri()):
            render.info("no browser found here; open the file above by hand")


def register(app: typer.Typer) -> None:
    """Attach ``taxiway dashboard`` to the root app."""
    app.command("dashboard")(dashboard)
