"""Pipeline commands: generate, run, query, demo."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the pipeline commands to the root app."""
