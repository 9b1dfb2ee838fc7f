"""Options that mean the same in every command that has them (one definition each)."""

from __future__ import annotations

import typer

from taxiway.cli.render import QUIET_HELP, quiet_option

# `taxiway -q CMD` and `taxiway CMD -q` are the same switch
QUIET = typer.Option(False, "--quiet", "-q", callback=quiet_option, help=QUIET_HELP)
