"""`taxiway doctor`: placeholder until its issue lands."""

from __future__ import annotations

import typer

app = typer.Typer(help="doctor (not yet implemented).", no_args_is_help=True)
