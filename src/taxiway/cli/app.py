"""Entry point: ``taxiway``. Sub-apps live in sibling modules; heavy imports stay inside commands."""

from __future__ import annotations

import sys

import typer

from taxiway import __version__
from taxiway.cli import (
    airflow_ui,
    convert,
    dashboard,
    deploy,
    doctor,
    ingest,
    init,
    local,
    migrate,
    pipeline,
    preflight,
    twin,
    upgrade,
)
from taxiway.errors import TaxiwayError

app = typer.Typer(
    name="taxiway",
    help="Event analytics on Airflow, locally (DuckDB) and on Amazon MWAA; "
    "plus the toolkit that gets an Airflow project onto MWAA safely.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"taxiway {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    quiet: bool = typer.Option(
        False,
        "--quiet",
        "-q",
        help="Print only errors: no progress, no info or warning findings, no summary "
        "(the exit code is unchanged). Also accepted after any command that prints findings.",
    ),
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    from taxiway.cli import render

    _state["debug"] = debug
    if quiet:
        render.set_quiet(True)


pipeline.register(app)
dashboard.register(app)
airflow_ui.register(app)
deploy.register(app)
app.add_typer(doctor.app, name="doctor")
app.add_typer(ingest.app, name="ingest")
app.add_typer(local.app, name="local")
app.add_typer(migrate.app, name="migrate")
app.add_typer(convert.app, name="convert")
preflight.register(app)
twin.register(app)
init.register(app)
upgrade.register(app)


def cli_command() -> typer.core.TyperGroup:
    """The click command tree of ``app``, as users see it.

    Help shows a flag as a flag (typer would print ``<bool>`` beside ``--dry-run``), and
    help texts are plain text: rich markup would eat ``[tool.taxiway]``.
    """
    from rich.markup import escape

    root = typer.main.get_command(app)

    def visit(cmd: typer.core.TyperCommand | typer.core.TyperGroup) -> None:
        helper = cmd.get_help_option(typer.Context(cmd))  # created once, then cached
        for param in [*cmd.params, *([helper] if helper is not None else [])]:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
            if getattr(param, "help", None):
                param.help = escape(param.help)  # type: ignore[attr-defined]
        for sub in getattr(cmd, "commands", {}).values():
            visit(sub)

    visit(root)  # type: ignore[arg-type]
    return root  # type: ignore[return-value]


def main() -> None:
    """Run the CLI; every error it can explain becomes one red line and exit code 2.

    This is the one place errors leave the CLI: a TaxiwayError as it is, an OSError (an
    unreadable or missing path the user gave) with the path it concerns, and a missing
    optional library as the install command of its extra. ``--debug`` re-raises.
    """
    # typer 0.29 vendors click; its usage errors are typer._click's, not click's
    from typer._click.exceptions import UsageError as ClickUsageError

    try:
        code = cli_command().main(prog_name="taxiway", standalone_mode=False)
    except ClickUsageError as exc:  # one line, as ruff and uv print them; exit 2
        from taxiway.cli.render import fail

        command = exc.ctx.command_path if exc.ctx is not None else "taxiway"
        if exc.format_message():  # empty after a bare group name: its help was printed
            fail(f"{exc.format_message()} (see `{command} --help`)")
        sys.exit(2)
    except typer.Abort:
        sys.exit(130)  # Ctrl-C at a prompt
    except (TaxiwayError, OSError, ModuleNotFoundError) as exc:
        error = _explain(exc)
        if _state["debug"] or error is None:
            raise
        from taxiway.cli.render import fail

        fail(error)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def _explain(exc: BaseException) -> str | None:
    """The one-line message for an error the CLI reports itself, or None to re-raise."""
    if isinstance(exc, TaxiwayError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError):
        from taxiway.extras import missing_extra

        missing = missing_extra(exc)
        return str(missing) if missing else None
    if isinstance(exc, OSError):
        what = exc.strerror or exc.__class__.__name__
        if exc.filename is None:
            return f"{what}: {exc}; check the paths and permissions you passed."
        return f"Cannot use `{exc.filename}`: {what}; check the path and its permissions."
    return None


if __name__ == "__main__":
    main()
