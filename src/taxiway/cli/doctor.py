"""`taxiway doctor`: check an Airflow project against a target MWAA version, offline.

Each command prints findings (``--format text|json|markdown|junit|github``) and exits 0 (no
error finding), 1 (error findings) or 2 (the doctor could not run). The target version is
``--mwaa``, else the project config's ``mwaa`` (``taxiway.toml`` or ``[tool.taxiway]``: the
project folder's for ``doctor project``, the current folder's for the other commands);
never silently the newest. The doctor's modules are imported inside the commands so
``taxiway --help`` stays fast.
"""

from __future__ import annotations

import os
from dataclasses import replace
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
    from taxiway.projectfile import ProjectConfig

app = typer.Typer(
    help="Check requirements, DAGs, plugins and the startup script against an MWAA version.",
    no_args_is_help=True,
)

_MWAA_HELP = (
    "Target MWAA Airflow version (`taxiway doctor versions` lists them); default: `mwaa` in "
    "the project's taxiway.toml or [tool.taxiway]."
)
_FORMAT_HELP = (
    "Output format: text (linter style), json, markdown (a review), junit (CI), "
    "github (workflow annotations)."
)
_SELECT_HELP = "Report only these codes (comma-separated, repeatable), e.g. pin-conflict."
_IGNORE_HELP = "Never report these codes (comma-separated, repeatable), e.g. not-builtin."
_QUIET_HELP = "Print only error findings and no summary (the exit code is unchanged)."

_MWAA = typer.Option(None, "--mwaa", help=_MWAA_HELP)
_FORMAT = typer.Option(OutputFormat.text, "--format", help=_FORMAT_HELP)
_SELECT = typer.Option(None, "--select", help=_SELECT_HELP)
_IGNORE = typer.Option(None, "--ignore", help=_IGNORE_HELP)
_QUIET = typer.Option(False, "--quiet", "-q", help=_QUIET_HELP)
_TARGET = typer.Option(
    "mwaa",
    "--target",
    help="mwaa (a provisioned environment, --mwaa's version) or mwaa-serverless (MWAA "
    "Serverless: supported operators, ignored DAG parameters, schedules, what it reads).",
)


def _serverless(target: str, mwaa_version: str | None) -> bool:
    if target not in ("mwaa", "mwaa-serverless"):
        raise UsageError(f"Unknown target `{target}`; use mwaa or mwaa-serverless.")
    if target == "mwaa-serverless" and mwaa_version:
        raise UsageError("`--mwaa` picks a provisioned version; Serverless has its own.")
    return target == "mwaa-serverless"


def _config(folder: Path) -> ProjectConfig:
    from taxiway import projectfile

    return projectfile.load(folder)


def _target(version: str | None, config: ProjectConfig) -> MwaaRelease:
    """``--mwaa``, else the config's ``mwaa``; a usage error when neither says."""
    from taxiway import mwaa, projectfile

    return mwaa.release(projectfile.mwaa_version(version, config))


def _emit(
    findings: list[Finding],
    fmt: OutputFormat,
    title: str,
    target: MwaaRelease,
    base: Path,
    choice: tuple[list[str] | None, list[str] | None, bool],
    platform: str = "mwaa",
) -> None:
    """Filter (``--select``/``--ignore``/``--quiet``, ignore comments below ``base``), print
    and exit with the status of what is left."""
    from taxiway.cli.render import print_findings
    from taxiway.doctor.selection import parse_codes, select, without_ignored

    chosen, ignored, quiet = choice
    shown = select(
        without_ignored(findings, base),
        parse_codes(chosen, "--select"),
        parse_codes(ignored, "--ignore"),
    )
    if quiet:
        shown = [f for f in shown if f.severity.value == "error"]
    if fmt is OutputFormat.github:
        # Annotations need paths from the repository root (where workflows run).
        shown = [_from_cwd(f, base) for f in shown]
    extra: dict[str, object] = {"mwaa_version": target.version, "python": target.python}
    if platform != "mwaa":
        extra["target"] = platform
    if fmt is OutputFormat.json:
        from taxiway.findings import breakdown

        extra.update(breakdown(shown))
    if quiet and fmt is OutputFormat.text:
        from taxiway.cli.render import print_finding
        from taxiway.findings import exit_code, sort_findings

        for f in sort_findings(shown):
            print_finding(f)
        raise typer.Exit(exit_code(shown))
    raise typer.Exit(print_findings(shown, fmt, title, extra, summary=True))


def _from_cwd(finding: Finding, base: Path) -> Finding:
    if not finding.file or ":" in finding.file or Path(finding.file).is_absolute():
        return finding  # `plugins.zip:x.py`: no file of the checkout to annotate
    return replace(finding, file=Path(os.path.relpath(base / finding.file)).as_posix())


def _write_fix(
    parsed: ParsedRequirements,
    target: MwaaRelease,
    out: Path,
    unsafe: bool = False,
    quiet: bool = False,
) -> None:
    from taxiway.cli.render import info
    from taxiway.doctor.fix import fixed_requirements

    text = fixed_requirements(parsed, target, unsafe)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot write `{out}`: {exc}; choose another --fix path.") from exc
    kept = sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))
    if not quiet:
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
    rows_as(fmt, columns, rows, title="MWAA versions")


@app.command("requirements")
def requirements(
    file: Path = typer.Argument(..., help="A pip requirements file."),
    mwaa_version: str | None = _MWAA,
    fix: Path | None = typer.Option(
        None, "--fix", help="Write the minimal requirements.txt for the target here."
    ),
    resolve: bool = typer.Option(
        False, "--resolve", help="Also resolve with uv for the target's Python (needs PyPI)."
    ),
    unsafe_fixes: bool = typer.Option(
        False, "--unsafe-fixes", help="With --fix: also move pins to another major version."
    ),
    fmt: OutputFormat = _FORMAT,
    select: list[str] | None = _SELECT,
    ignore: list[str] | None = _IGNORE,
    quiet: bool = _QUIET,
) -> None:
    """Check a requirements.txt: built-in duplicates, pins MWAA cannot honour, constraints."""
    from taxiway.doctor.reqcheck import check_requirements
    from taxiway.doctor.requirements import parse_requirements

    parsed = parse_requirements(file)
    target = _target(mwaa_version, _config(Path.cwd()))
    findings = check_requirements(parsed, target)
    if resolve:
        from taxiway.doctor.resolve import resolve as run_resolve

        findings += run_resolve(parsed, target)
    if fix is not None:
        _write_fix(parsed, target, fix, unsafe_fixes, quiet)
        # What is left: the fixed file's findings, by which the command exits.
        file = fix
        findings = check_requirements(parse_requirements(fix), target)
    title = f"doctor requirements {file} (MWAA {target.version})"
    _emit(findings, fmt, title, target, file.parent, (select, ignore, quiet))


def _context(
    target: MwaaRelease, requirements: Path | None, dags: Path | None, plugins: Path | None
) -> ImportContext:
    from taxiway.doctor.project import import_context
    from taxiway.doctor.requirements import parse_requirements

    parsed = parse_requirements(requirements) if requirements else None
    return import_context(target, parsed, dags, plugins)


_DAG_FIX_HELP = (
    "Apply ruff's safe AIR3 fixes (3.x targets) and the import rewrites taxiway knows "
    "(2.x targets), print the diff, then report what is left."
)
_UNSAFE_HELP = "With --fix or --diff: also ruff's unsafe AIR3 fixes (moves to providers)."


def _fix_dags(
    folder: Path,
    target: MwaaRelease,
    context: ImportContext,
    *,
    write: bool,
    unsafe: bool,
    fmt: OutputFormat,
    quiet: bool = False,
) -> None:
    """``--fix``/``--diff``: print the diff (stdout for text, else stderr) and write it.

    ``quiet`` as ruff's ``--quiet``: ``--diff`` prints the diff alone, ``--fix`` nothing
    (what is left is the findings)."""
    import sys

    from taxiway.cli.render import info
    from taxiway.doctor.dagfix import fix_dags

    fixes = fix_dags(folder, target, context, unsafe=unsafe)
    if write:
        fixes.write()
    if quiet and write:
        return
    stream = sys.stdout if fmt is OutputFormat.text else sys.stderr
    stream.write(fixes.diff())
    stream.flush()
    if quiet:
        return
    verb = "fixed" if write else "--fix would change"
    info(f"{verb} {len(fixes.files)} file(s) in {folder}")
    if fixes.unsafe_left:
        info(f"{fixes.unsafe_left} more fix(es) available with --unsafe-fixes (review the diff)")


@app.command("dags")
def dags(
    folder: Path = typer.Argument(..., help="The dags folder."),
    mwaa_version: str | None = _MWAA,
    requirements: Path | None = typer.Option(
        None, "--requirements", "-r", help="requirements.txt whose packages count as installed."
    ),
    fmt: OutputFormat = _FORMAT,
    select: list[str] | None = _SELECT,
    ignore: list[str] | None = _IGNORE,
    quiet: bool = _QUIET,
    target_name: str = _TARGET,
    fix: bool = typer.Option(False, "--fix", help=_DAG_FIX_HELP),
    diff: bool = typer.Option(
        False, "--diff", help="Print what --fix would change; write nothing."
    ),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help=_UNSAFE_HELP),
) -> None:
    """Check DAG files statically: imports, Airflow 3 removals (ruff AIR3), parse-time work."""
    from taxiway.doctor.dags import check_dags

    if not folder.is_dir():
        raise UsageError(f"DAG folder `{folder}` does not exist; pass your dags/ folder.")
    if _serverless(target_name, mwaa_version):
        if fix or diff:
            raise UsageError("`--fix` and `--diff` go with `--target mwaa`.")
        _serverless_project(folder.parent, dags=folder, fmt=fmt, choice=(select, ignore, quiet))
    config = _config(Path.cwd())
    target = _target(mwaa_version, config)
    context = _context(target, requirements or config.requirements, folder, None)
    if unsafe_fixes and not (fix or diff):
        raise UsageError("`--unsafe-fixes` goes with `--fix` or `--diff`.")
    if fix or diff:
        _fix_dags(folder, target, context, write=fix, unsafe=unsafe_fixes, fmt=fmt, quiet=quiet)
    findings = check_dags(folder, target, context)
    title = f"doctor dags {folder} (MWAA {target.version})"
    _emit(findings, fmt, title, target, folder.parent, (select, ignore, quiet))


@app.command("plugins")
def plugins(
    location: Path = typer.Argument(..., help="The plugins folder or plugins.zip."),
    mwaa_version: str | None = _MWAA,
    requirements: Path | None = typer.Option(
        None, "--requirements", "-r", help="requirements.txt whose packages count as installed."
    ),
    fmt: OutputFormat = _FORMAT,
    select: list[str] | None = _SELECT,
    ignore: list[str] | None = _IGNORE,
    quiet: bool = _QUIET,
) -> None:
    """Check plugins: zip layout, AirflowPlugin contents, removable plugins, Airflow 3 UI."""
    from taxiway.doctor.plugins import check_plugins

    if not location.exists():
        raise UsageError(f"Plugins `{location}` does not exist; pass plugins/ or plugins.zip.")
    config = _config(Path.cwd())
    target = _target(mwaa_version, config)
    context = _context(target, requirements or config.requirements, None, location)
    findings = check_plugins(location, target, context)
    title = f"doctor plugins {location} (MWAA {target.version})"
    _emit(findings, fmt, title, target, location.parent, (select, ignore, quiet))


@app.command("startup")
def startup(
    file: Path = typer.Argument(..., help="The startup script (startup.sh)."),
    mwaa_version: str | None = _MWAA,
    fmt: OutputFormat = _FORMAT,
    select: list[str] | None = _SELECT,
    ignore: list[str] | None = _IGNORE,
    quiet: bool = _QUIET,
) -> None:
    """Check a startup script: bash syntax, shebang, reserved variables, package manager."""
    from taxiway.doctor.startup import check_startup

    if not file.is_file():
        raise UsageError(f"Startup script `{file}` does not exist; pass your startup.sh.")
    target = _target(mwaa_version, _config(Path.cwd()))
    findings = check_startup(file, target)
    title = f"doctor startup {file} (MWAA {target.version})"
    _emit(findings, fmt, title, target, file.parent, (select, ignore, quiet))


_PROJECT_REQ = typer.Option(
    None, "--requirements", "-r", help="The requirements file, when not found in the project."
)
_PROJECT_DAGS = typer.Option(None, "--dags", help="The dags folder, when not `dags/`.")
_PROJECT_PLUGINS = typer.Option(None, "--plugins", help="The plugins folder or plugins.zip.")
_PROJECT_STARTUP = typer.Option(None, "--startup", help="The startup script.")


def _paths(
    config: ProjectConfig, given: tuple[Path | None, Path | None, Path | None, Path | None]
) -> list[Path | None]:
    """Each part's path: the flag, else the project config's (which must exist)."""
    chosen: list[Path | None] = []
    for name, flag in zip(("requirements", "dags", "plugins", "startup"), given, strict=True):
        configured: Path | None = getattr(config, name)
        if flag is None and configured is not None and not configured.exists():
            raise UsageError(
                f"`{config.source}` sets `{name}` to `{configured}`, which does not exist; "
                "fix the path in the file or pass the flag."
            )
        chosen.append(flag if flag is not None else configured)
    return chosen


@app.command("project")
def project(
    folder: Path = typer.Argument(Path("."), help="Folder mirroring the MWAA bucket."),
    mwaa_version: str | None = _MWAA,
    fix: Path | None = typer.Option(
        None, "--fix", help="Write the minimal requirements.txt for the target here."
    ),
    resolve: bool = typer.Option(
        False, "--resolve", help="Also resolve the requirements with uv (needs PyPI)."
    ),
    unsafe_fixes: bool = typer.Option(
        False, "--unsafe-fixes", help="With --fix: also major-version pins and unsafe AIR3 fixes."
    ),
    requirements: Path | None = _PROJECT_REQ,
    dags: Path | None = _PROJECT_DAGS,
    plugins: Path | None = _PROJECT_PLUGINS,
    startup: Path | None = _PROJECT_STARTUP,
    fmt: OutputFormat = _FORMAT,
    select: list[str] | None = _SELECT,
    ignore: list[str] | None = _IGNORE,
    quiet: bool = _QUIET,
    target_name: str = _TARGET,
) -> None:
    """Check a whole project: requirements, dags/, plugins/ or plugins.zip, startup script.

    Finds MWAA's bucket layout and the aws-mwaa-local-runner layout
    (requirements/requirements.txt, startup_script/startup.sh); explicit paths win, then
    the paths of the project config.
    """
    from taxiway.doctor.project import check_layout, find_layout
    from taxiway.doctor.requirements import parse_requirements

    if not folder.is_dir():
        raise UsageError(f"Project folder `{folder}` does not exist; pass an Airflow project.")
    folder = folder.resolve()  # the project config's paths are absolute
    config = _config(folder)
    layout = find_layout(folder, *_paths(config, (requirements, dags, plugins, startup)))
    if _serverless(target_name, mwaa_version):
        if fix is not None or resolve:
            raise UsageError("`--fix` and `--resolve` go with `--target mwaa`.")
        _serverless_project(folder, layout=layout, fmt=fmt, choice=(select, ignore, quiet))
    if layout.empty:
        raise UsageError(
            f"`{folder}` has no requirements.txt, dags/, plugins/, plugins.zip or startup.sh; "
            "pass the folder that mirrors your MWAA bucket (or --requirements/--dags/...)."
        )
    target = _target(mwaa_version, config)
    if (fix is not None or resolve) and layout.requirements is None:
        raise UsageError(
            f"`{folder}` has no requirements file to --fix or --resolve; pass --requirements."
        )
    resolved_findings: list[Finding] = []
    resolved: dict[str, str] | None = None
    parsed = parse_requirements(layout.requirements) if layout.requirements else None
    if resolve and parsed is not None and layout.requirements is not None:
        from taxiway.doctor.resolve import resolve_set

        found, resolved = resolve_set(parsed, target)
        rel = layout.rel(layout.requirements)
        resolved_findings = [replace(f, file=rel) if f.file else f for f in found]
    if unsafe_fixes and fix is None:
        raise UsageError("`--unsafe-fixes` goes with `--fix`.")
    if fix is not None and parsed is not None:
        # --fix: the DAG files in place (diff printed), the requirements to the path given;
        # the findings are then what is left (the fixed requirements file's).
        _write_fix(parsed, target, fix, unsafe_fixes, quiet)
        if layout.dags is not None:
            context = _context(target, layout.requirements, layout.dags, layout.plugins)
            _fix_dags(
                layout.dags, target, context, write=True, unsafe=unsafe_fixes, fmt=fmt, quiet=quiet
            )
        layout = replace(layout, requirements=fix.resolve())
    # What the resolver installs replaces the shipped data's guess of the dependencies.
    findings = check_layout(layout, target, resolved) + resolved_findings
    title = f"doctor project {folder} (MWAA {target.version})"
    _emit(findings, fmt, title, target, folder, (select, ignore, quiet))


def _serverless_project(
    folder: Path,
    *,
    fmt: OutputFormat,
    choice: tuple[list[str] | None, list[str] | None, bool],
    layout: object | None = None,
    dags: Path | None = None,
) -> None:
    """``--target mwaa-serverless``: the project against MWAA Serverless; exits."""
    from taxiway import mwaa
    from taxiway.doctor.project import ProjectLayout, find_layout
    from taxiway.serverless.check import check_project as check_serverless
    from taxiway.serverless.operators import ENGINE_MWAA

    if not isinstance(layout, ProjectLayout):
        layout = find_layout(folder, dags=dags)
    if layout.dags is None:
        raise UsageError(f"`{folder}` has no dags/ folder; pass --dags.")
    release = mwaa.release(ENGINE_MWAA)
    title = f"doctor {folder} (MWAA Serverless, Airflow {release.version})"
    _emit(check_serverless(layout), fmt, title, release, folder, choice, "mwaa-serverless")
