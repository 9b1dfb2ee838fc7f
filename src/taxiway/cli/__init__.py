"""The `taxiway` command line (typer). Only :mod:`taxiway.cli.render` prints."""
