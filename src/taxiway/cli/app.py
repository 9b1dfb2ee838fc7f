"""Entry point: ``taxiway``. Sub-apps live in sibling modules; heavy imports stay inside commands."""

from __future__ import annotations

import sys

import typer

from taxiway import __version__
from taxiway.cli import deploy, doctor, local, migrate, pipeline
from taxiway.errors import TaxiwayError

app = typer.Typer(
    name="taxiway",
    help="Event analytics on Airflow, locally (DuckDB) and on Amazon MWAA; "
    "plus the toolkit that gets an Airflow project onto MWAA safely.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"taxiway {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    _state["debug"] = debug


pipeline.register(app)
deploy.register(app)
app.add_typer(doctor.app, name="doctor")
app.add_typer(local.app, name="local")
app.add_typer(migrate.app, name="migrate")


def main() -> None:
    """Run the CLI; a TaxiwayError becomes one red line and exit code 2."""
    try:
        app()
    except TaxiwayError as exc:
        if _state["debug"]:
            raise
        from taxiway.cli.render import fail

        fail(str(exc))
        sys.exit(2)


if __name__ == "__main__":
    main()
