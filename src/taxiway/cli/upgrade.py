"""`taxiway upgrade-check PROJECT --from X --to Y`: the doctor and the import test on both sides.

``--to`` is an MWAA version; ``--from`` is any Airflow version the project runs on today
(an MWAA version, or e.g. an on-prem 2.1.2: then its Airflow constraints file stands in for
MWAA's image data, and the report says what that leaves uncompared). Down moves work the
same way. Exit 0: no regression; 1: regressions (a DAG file that stops importing, an error
finding that appears, a requirement line that stops installing); 2: bad usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from taxiway.cli.options import QUIET
from taxiway.errors import UsageError

if TYPE_CHECKING:
    from taxiway.upgrade import UpgradeReport

_CACHE = typer.Option(
    None,
    "--cache-dir",
    envvar="TAXIWAY_CACHE_DIR",
    help="Where environments are cached (default ~/.cache/taxiway/local).",
)
#: packages listed in the text table however many change (the rest are counted)
_ALWAYS_SHOWN = ("apache-airflow", "apache-airflow-providers-")


def register(app: typer.Typer) -> None:
    """Add ``upgrade-check`` to the root app."""
    app.command("upgrade-check")(upgrade_check)


def upgrade_check(
    project: Path = typer.Argument(..., help="Project folder (dags/, requirements.txt, ...)."),
    from_version: str | None = typer.Option(
        None,
        "--from",
        help="The Airflow version the project runs on today: an MWAA version or any Airflow "
        "release (default: `mwaa` in the project's taxiway.toml or [tool.taxiway]).",
    ),
    to_version: str = typer.Option(
        ..., "--to", help="The MWAA version to move to (higher or lower)."
    ),
    fmt: str = typer.Option("text", "--format", help="text (tables) or json."),
    quiet: bool = QUIET,
    static: bool = typer.Option(
        False, "--static", help="Only the doctor (offline, seconds): no environment is built."
    ),
    from_python: str | None = typer.Option(
        None,
        "--from-python",
        help="Python minor of a non-MWAA `--from` (default: that of the nearest older MWAA).",
    ),
    from_constraints: str | None = typer.Option(
        None,
        "--from-constraints",
        help="Constraints file or URL of a non-MWAA `--from` (default: apache/airflow's "
        "constraints-X file, downloaded); a `pip freeze` of the old environment works too.",
    ),
    cache_dir: Path | None = _CACHE,
    no_startup: bool = typer.Option(
        False, "--no-startup", help="Do not run the startup script (its exports are then missing)."
    ),
    unsafe_host_startup: bool = typer.Option(
        False,
        "--unsafe-host-startup",
        help="Run the startup script and the project's code on this machine, unsandboxed.",
    ),
) -> None:
    """Compare a project on two Airflow versions: DAG imports, findings, built-in packages and
    requirements that change."""
    from taxiway import projectfile
    from taxiway.cli import render
    from taxiway.runner.project import find_layout
    from taxiway.upgrade import upgrade_check as run
    from taxiway.upgrade.sides import sides

    if fmt not in ("text", "json"):
        raise UsageError(f"Unknown format `{fmt}` for `upgrade-check`; use text or json.")
    if no_startup and unsafe_host_startup:
        raise UsageError("Pass `--no-startup` or `--unsafe-host-startup`, not both.")
    if not project.is_dir():
        raise UsageError(f"Project folder `{project}` does not exist; pass an Airflow project.")
    config = projectfile.load(project)
    before = from_version or config.mwaa
    if not before:
        raise UsageError(
            "No `--from` version: pass `--from VERSION` (what the project runs on today) or "
            'set `mwaa = "VERSION"` in its taxiway.toml.'
        )
    pair = sides(before, to_version, from_python, from_constraints)
    layout = find_layout(project, config.requirements, config.dags, config.plugins, config.startup)
    if layout.empty:
        raise UsageError(
            f"`{project}` has no requirements.txt, dags/, plugins/, plugins.zip or startup.sh; "
            "pass the folder that mirrors your MWAA bucket."
        )
    mode = "skip" if no_startup else ("host" if unsafe_host_startup else "sandbox")
    report = run(
        project, layout, pair, static, cache=cache_dir, progress=render.info, startup_mode=mode
    )
    if fmt == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        _print_text(report, project)
    raise typer.Exit(1 if report.regressions else 0)


def _print_text(report: UpgradeReport, project: Path) -> None:
    from taxiway.cli import render

    a, b = report.before.side, report.after.side
    va, vb = a.version, b.version
    kind = {True: "MWAA", False: "Airflow, not MWAA"}
    line = render.raw  # plain lines whole, never wrapped at 80 columns in a pipe
    line(
        f"upgrade-check {project}: {va} ({kind[a.mwaa]}) -> {vb} ({kind[b.mwaa]}), "
        f"{report.direction}\n"
    )
    if report.dags:
        rows = [(r.name, r.before, r.after, r.change, r.detail) for r in report.dags]
        render.show(render.table("DAG files", ("file", va, vb, "change", "error"), rows))
    if report.findings:
        rows = [
            (
                what,
                f.severity.value,
                f.code,
                f"{f.file}:{f.line}" if f.file and f.line else (f.file or ""),
                f.message.splitlines()[0],
            )
            for what, f in report.findings
        ]
        title = f"Findings that appear on {vb} or are gone from {va}"
        render.show(render.table(title, ("change", "severity", "code", "where", "message"), rows))
    changed = [r for r in report.requirements if r.change != "same"]
    if report.requirements:
        reqs = [(r.name, r.before, r.after, r.change) for r in report.requirements]
        render.show(render.table("Requirement lines", ("line", va, vb, "change"), reqs))
    shown = [r for r in report.packages if r.name.startswith(_ALWAYS_SHOWN)]
    if shown:
        pkgs = [(r.name, r.before, r.after, r.change) for r in shown]
        title = "Built-in Airflow and providers" + ("" if a.mwaa else f" ({va}: constraints pins)")
        render.show(render.table(title, ("package", va, vb, "change"), pkgs))
    others = len(report.packages) - len(shown)
    if others:
        line(f"{others} other built-in package(s) change version (`--format json` lists them).\n")
    line("compared: " + "; ".join(report.compared()) + "\n")
    for note in report.not_compared():
        line(f"not compared: {note}\n")
    broken = sum(1 for r in report.dags if r.change == "broken")
    errors = len(report.new_errors)
    line(
        f"{report.regressions} regression(s) moving {va} -> {vb}: {broken} DAG file(s) stop "
        f"importing, {errors} other new error finding(s), "
        f"{sum(1 for r in changed if r.change == 'no-longer-installs')} requirement line(s) "
        "stop installing.\n"
    )
