"""`taxiway preflight`: placeholder until its issue lands."""

from __future__ import annotations

import typer

app = typer.Typer(help="preflight (not yet implemented).", no_args_is_help=True)
