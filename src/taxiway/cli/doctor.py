"""`taxiway doctor`: check an Airflow project against a target MWAA version, offline.

Each command prints findings (``--format text|json|markdown|junit``) and exits 0 (no error
finding), 1 (error findings) or 2 (the doctor could not run). The doctor's modules are
imported inside the commands so ``taxiway --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from taxiway.cli.render import OutputFormat
from taxiway.errors import UsageError

if TYPE_CHECKING:
    from taxiway.doctor.imports import ImportContext
    from taxiway.doctor.requirements import ParsedRequirements
    from taxiway.findings import Finding
    from taxiway.mwaa import MwaaRelease

app = typer.Typer(
    help="Check requirements, DAGs, plugins and the startup script against an MWAA version.",
    no_args_is_help=True,
)

_MWAA_HELP = "Target MWAA Airflow version (`taxiway doctor versions` lists them); default: newest."
_FORMAT_HELP = "Output format: text (table), json, markdown (a review), junit (CI)."


def _target(version: str | None) -> MwaaRelease:
    from taxiway import mwaa

    return mwaa.release(version or mwaa.latest())


def _emit(findings: list[Finding], fmt: OutputFormat, title: str, target: MwaaRelease) -> None:
    from taxiway.cli.render import print_findings

    extra = {"mwaa_version": target.version, "python": target.python}
    raise typer.Exit(print_findings(findings, fmt, title, extra))


def _write_fix(parsed: ParsedRequirements, target: MwaaRelease, out: Path) -> None:
    from taxiway.cli.render import info
    from taxiway.doctor.fix import fixed_requirements

    text = fixed_requirements(parsed, target)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot write `{out}`: {exc}; choose another --fix path.") from exc
    kept = sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))
    info(f"wrote {out}: {kept} requirement/option line(s) for MWAA {target.version}")


@app.command("versions")
def versions(
    fmt: str = typer.Option("text", "--format", help="text, json or csv."),
) -> None:
    """List the MWAA versions the doctor knows, with Python and support status."""
    from taxiway import mwaa
    from taxiway.cli.render import rows_as

    if fmt not in ("text", "json", "csv"):
        raise UsageError(f"Unknown format `{fmt}` for `doctor versions`; use text, json or csv.")
    rows = []
    for v in mwaa.versions():
        r = mwaa.release(v)
        rows.append(
            (
                v,
                r.python_full,
                r.status,
                r.base_os,
                len(r.builtins),
                len(r.essentials),
                r.builtins_source,
            )
        )
    columns = ("mwaa", "python", "status", "base_os", "builtins", "essentials", "builtins_source")
    rows_as(fmt, columns, rows, title="MWAA versions (newest supported is the default target)")


@app.command("requirements")
def requirements(
    file: Path = typer.Argument(..., help="A pip requirements file."),
    mwaa_version: str | None = typer.Option(None, "--mwaa", help=_MWAA_HELP),
    fix: Path | None = typer.Option(
        None, "--fix", help="Write the minimal requirements.txt for the target here."
    ),
    resolve: bool = typer.Option(
        False, "--resolve", help="Also resolve with uv for the target's Python (needs PyPI)."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help=_FORMAT_HELP),
) -> None:
    """Check a requirements.txt: built-in duplicates and conflicts, constraints, pins."""
    from taxiway.doctor.reqcheck import check_requirements
    from taxiway.doctor.requirements import parse_requirements

    target = _target(mwaa_version)
    parsed = parse_requirements(file)
    findings = check_requirements(parsed, target)
    if resolve:
        from taxiway.doctor.resolve import resolve as run_resolve

        findings += run_resolve(parsed, target)
    if fix is not None:
        _write_fix(parsed, target, fix)
    _emit(findings, fmt, f"doctor requirements {file} (MWAA {target.version})", target)


def _context(
    target: MwaaRelease, requirements: Path | None, dags: Path | None, plugins: Path | None
) -> ImportContext:
    from taxiway.doctor.project import import_context
    from taxiway.doctor.requirements import parse_requirements

    parsed = parse_requirements(requirements) if requirements else None
    return import_context(target, parsed, dags, plugins)


@app.command("dags")
def dags(
    folder: Path = typer.Argument(..., help="The dags folder."),
    mwaa_version: str | None = typer.Option(None, "--mwaa", help=_MWAA_HELP),
    requirements: Path | None = typer.Option(
        None, "--requirements", "-r", help="requirements.txt whose packages count as installed."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help=_FORMAT_HELP),
) -> None:
    """Check DAG files statically: imports, Airflow 3 removals (ruff AIR3), parse-time work."""
    from taxiway.doctor.dags import check_dags

    if not folder.is_dir():
        raise UsageError(f"DAG folder `{folder}` does not exist; pass your dags/ folder.")
    target = _target(mwaa_version)
    context = _context(target, requirements, folder, None)
    findings = check_dags(folder, target, context)
    _emit(findings, fmt, f"doctor dags {folder} (MWAA {target.version})", target)


@app.command("plugins")
def plugins(
    location: Path = typer.Argument(..., help="The plugins folder or plugins.zip."),
    mwaa_version: str | None = typer.Option(None, "--mwaa", help=_MWAA_HELP),
    requirements: Path | None = typer.Option(
        None, "--requirements", "-r", help="requirements.txt whose packages count as installed."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help=_FORMAT_HELP),
) -> None:
    """Check plugins: zip layout, AirflowPlugin contents, removable plugins, Airflow 3 UI."""
    from taxiway.doctor.plugins import check_plugins

    if not location.exists():
        raise UsageError(f"Plugins `{location}` does not exist; pass plugins/ or plugins.zip.")
    target = _target(mwaa_version)
    context = _context(target, requirements, None, location)
    findings = check_plugins(location, target, context)
    _emit(findings, fmt, f"doctor plugins {location} (MWAA {target.version})", target)


@app.command("startup")
def startup(
    file: Path = typer.Argument(..., help="The startup script (startup.sh)."),
    mwaa_version: str | None = typer.Option(None, "--mwaa", help=_MWAA_HELP),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help=_FORMAT_HELP),
) -> None:
    """Check a startup script: bash syntax, shebang, reserved variables, package manager."""
    from taxiway.doctor.startup import check_startup

    target = _target(mwaa_version)
    findings = check_startup(file, target)
    _emit(findings, fmt, f"doctor startup {file} (MWAA {target.version})", target)


_PROJECT_REQ = typer.Option(
    None, "--requirements", "-r", help="The requirements file, when not found in the project."
)
_PROJECT_DAGS = typer.Option(None, "--dags", help="The dags folder, when not `dags/`.")
_PROJECT_PLUGINS = typer.Option(None, "--plugins", help="The plugins folder or plugins.zip.")
_PROJECT_STARTUP = typer.Option(None, "--startup", help="The startup script.")


@app.command("project")
def project(
    folder: Path = typer.Argument(Path("."), help="Folder mirroring the MWAA bucket."),
    mwaa_version: str | None = typer.Option(None, "--mwaa", help=_MWAA_HELP),
    fix: Path | None = typer.Option(
        None, "--fix", help="Write the minimal requirements.txt for the target here."
    ),
    resolve: bool = typer.Option(
        False, "--resolve", help="Also resolve the requirements with uv (needs PyPI)."
    ),
    requirements: Path | None = _PROJECT_REQ,
    dags: Path | None = _PROJECT_DAGS,
    plugins: Path | None = _PROJECT_PLUGINS,
    startup: Path | None = _PROJECT_STARTUP,
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help=_FORMAT_HELP),
) -> None:
    """Check a whole project: requirements, dags/, plugins/ or plugins.zip, startup script.

    Finds MWAA's bucket layout and the aws-mwaa-local-runner layout
    (requirements/requirements.txt, startup_script/startup.sh); explicit paths win.
    """
    from taxiway.doctor.project import check_layout, find_layout
    from taxiway.doctor.requirements import parse_requirements

    target = _target(mwaa_version)
    layout = find_layout(folder, requirements, dags, plugins, startup)
    if layout.empty:
        raise UsageError(
            f"`{folder}` has no requirements.txt, dags/, plugins/, plugins.zip or startup.sh; "
            "pass the folder that mirrors your MWAA bucket (or --requirements/--dags/...)."
        )
    findings = check_layout(layout, target)
    if (fix is not None or resolve) and layout.requirements is None:
        raise UsageError(
            f"`{folder}` has no requirements file to --fix or --resolve; pass --requirements."
        )
    if layout.requirements is not None and (fix is not None or resolve):
        parsed = parse_requirements(layout.requirements)
        if resolve:
            from taxiway.doctor.resolve import resolve as run_resolve

            findings += run_resolve(parsed, target)
        if fix is not None:
            _write_fix(parsed, target, fix)
    _emit(findings, fmt, f"doctor project {folder} (MWAA {target.version})", target)
