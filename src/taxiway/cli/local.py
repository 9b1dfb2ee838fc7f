"""`taxiway local`: install, import-test and run an Airflow project as a target MWAA version would.

No Docker: uv builds a cached virtual environment per target, and the project's own code
(startup script, DAG files, Airflow commands) runs in a bubblewrap sandbox laid out like
MWAA's container. Heavy work happens in :mod:`taxiway.runner`, imported inside the commands
so ``taxiway --help`` stays fast. ``--mwaa`` and the project's paths default to the project
config (``taxiway.toml`` or ``[tool.taxiway]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from taxiway.cli.options import QUIET
from taxiway.cli.render import OutputFormat
from taxiway.errors import UsageError

if TYPE_CHECKING:
    from taxiway.findings import Finding
    from taxiway.runner.project import Layout

app = typer.Typer(
    help="Docker-free MWAA local runner: install, import-test and run a project with uv, "
    "its code in a sandbox.",
    no_args_is_help=True,
)

_PROJECT = typer.Argument(
    ...,
    help="Project folder (dags/, requirements.txt, plugins/, startup.sh; or the "
    "aws-mwaa-local-runner layout: requirements/requirements.txt, startup_script/startup.sh).",
)
_MWAA = typer.Option(
    None,
    "--mwaa",
    help="Target MWAA Airflow version, e.g. 2.11.2 or 3.3.1 (default: `mwaa` in the "
    "project's taxiway.toml or [tool.taxiway]).",
)
_PYTHON = typer.Option(
    None, "--python", help="Interpreter path or version to build with (default: MWAA's)."
)
_REBUILD = typer.Option(False, "--rebuild", help="Ignore the cached environment; build anew.")
_REQUIREMENTS = typer.Option(
    None, "--requirements", "-r", help="The requirements file, when not found in the project."
)
_DAGS = typer.Option(None, "--dags", help="The dags folder, when not `dags/`.")
_PLUGINS = typer.Option(None, "--plugins", help="The plugins folder or plugins.zip.")
_STARTUP = typer.Option(None, "--startup", help="The startup script.")
_CACHE = typer.Option(
    None,
    "--cache-dir",
    envvar="TAXIWAY_CACHE_DIR",
    help="Where environments are cached (default ~/.cache/taxiway/local).",
)
_VARIABLES = typer.Option(
    None,
    "--variables",
    help="Airflow Variables (the JSON `airflow variables export` writes), as AIRFLOW_VAR_*; "
    "AIRFLOW_VAR_* and AIRFLOW_CONN_* in the environment pass through too.",
)
_NO_STARTUP = typer.Option(
    False, "--no-startup", help="Do not run the startup script (its exports are then missing)."
)
_UNSAFE = typer.Option(
    False,
    "--unsafe-host-startup",
    help="Run the startup script and the project's code on this machine, unsandboxed, as "
    "your user (when bubblewrap cannot be installed).",
)
_NETWORK = typer.Option(
    False, "--startup-network", help="Give the sandboxed startup script the network."
)
_STARTUP_TIMEOUT = typer.Option(
    300.0, "--startup-timeout", help="Stop the startup script after this many seconds."
)


@dataclass(frozen=True)
class _Target:
    version: str
    layout: Layout
    startup_mode: str


def _target(
    project: Path,
    mwaa: str | None,
    paths: tuple[Path | None, Path | None, Path | None, Path | None],
    no_startup: bool = False,
    unsafe_host_startup: bool = False,
) -> _Target:
    """The MWAA version and the layout: flags first, then the project config."""
    from taxiway import projectfile
    from taxiway.runner.project import find_layout

    if not project.is_dir():
        raise UsageError(f"Project folder `{project}` does not exist; pass an Airflow project.")
    if no_startup and unsafe_host_startup:
        raise UsageError("Pass `--no-startup` or `--unsafe-host-startup`, not both.")
    config = projectfile.load(project)
    version = projectfile.mwaa_version(mwaa, config)
    names = ("requirements", "dags", "plugins", "startup")
    chosen: list[Path | None] = []
    for name, given in zip(names, paths, strict=True):
        configured: Path | None = getattr(config, name)
        if given is None and configured is not None and not configured.exists():
            raise UsageError(
                f"`{config.source}` sets `{name}` to `{configured}`, which does not exist; "
                "fix the path in the file or pass the flag."
            )
        chosen.append(given if given is not None else configured)
    layout = find_layout(project, *chosen)
    mode = "skip" if no_startup else ("host" if unsafe_host_startup else "sandbox")
    return _Target(version, layout, mode)


def _stderr_findings(findings: list[Finding]) -> int:
    """Findings as one header line each on stderr (stdout is the command's)."""
    from taxiway.cli import render
    from taxiway.findings import exit_code, sort_findings

    for f in sort_findings(findings):
        render.err_console.print(render.finding_header(f), soft_wrap=True)
        if f.severity.value != "info":
            render.info(f.message.splitlines()[0])
    return exit_code(findings)


@app.command("test")
def test_cmd(
    project: Path = _PROJECT,
    mwaa_version: str | None = _MWAA,
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    quiet: bool = QUIET,
    python: str | None = _PYTHON,
    rebuild: bool = _REBUILD,
    cache_dir: Path | None = _CACHE,
    slow: float = typer.Option(
        2.0, "--slow", help="Warn about DAG files that take longer than this to parse (s)."
    ),
    startup_timeout: float = _STARTUP_TIMEOUT,
    doctor: bool = typer.Option(
        True, "--doctor/--no-doctor", help="Include the doctor's static findings."
    ),
    variables: Path | None = _VARIABLES,
    dag_file: Path | None = typer.Option(
        None, "--dag-file", help="Import only this file of the DAG folder (e.g. dags/x.py)."
    ),
    dag_id: str | None = typer.Option(
        None, "--dag-id", help="Report only the DAG with this id (the folder is parsed)."
    ),
    no_startup: bool = _NO_STARTUP,
    unsafe_host_startup: bool = _UNSAFE,
    startup_network: bool = _NETWORK,
    requirements: Path | None = _REQUIREMENTS,
    dags: Path | None = _DAGS,
    plugins: Path | None = _PLUGINS,
    startup: Path | None = _STARTUP,
) -> None:
    """Install the project as MWAA would, run startup.sh (sandboxed), then import every DAG
    and plugin with its exports."""
    from taxiway.cli import render
    from taxiway.runner.check import load_variables, local_test

    if dag_file is not None and dag_id is not None:
        raise UsageError("Pass `--dag-file` or `--dag-id`, not both.")
    target = _target(
        project,
        mwaa_version,
        (requirements, dags, plugins, startup),
        no_startup,
        unsafe_host_startup,
    )
    values = load_variables(variables) if variables is not None else None
    report = local_test(
        project,
        target.version,
        python=python,
        cache=cache_dir,
        rebuild=rebuild,
        progress=render.info,
        slow_seconds=slow,
        startup_timeout=startup_timeout,
        with_doctor=doctor,
        layout=target.layout,
        variables=values,
        startup_mode=target.startup_mode,
        startup_network=startup_network,
        dag_file=dag_file,
        dag_id=dag_id,
    )
    if fmt is OutputFormat.text and report.imports and report.imports.files:
        rows = [(f.file, f.seconds, f.dags, f.tasks) for f in report.imports.files]
        render.show(render.table("DAG files (DagBag)", ("file", "parse s", "DAGs", "tasks"), rows))
    title = f"taxiway local test: MWAA {target.version}"
    code = render.print_findings(report.findings, fmt, title, extra=report.extra())
    if fmt is OutputFormat.text:
        render.info(f"total {report.timings.get('total', 0.0):.1f} s")
    raise typer.Exit(code)


@app.command("start")
def start_cmd(
    project: Path = _PROJECT,
    mwaa_version: str | None = _MWAA,
    python: str | None = _PYTHON,
    rebuild: bool = _REBUILD,
    cache_dir: Path | None = _CACHE,
    port: int = typer.Option(8080, "--port", help="Port of the Airflow UI."),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address the Airflow UI listens on (`0.0.0.0`: every interface, reachable "
        "from the network).",
    ),
    variables: Path | None = _VARIABLES,
    no_startup: bool = _NO_STARTUP,
    unsafe_host_startup: bool = _UNSAFE,
    startup_network: bool = _NETWORK,
    startup_timeout: float = _STARTUP_TIMEOUT,
    requirements: Path | None = _REQUIREMENTS,
    dags: Path | None = _DAGS,
    plugins: Path | None = _PLUGINS,
    startup: Path | None = _STARTUP,
) -> None:
    """Run startup.sh, then a real Airflow (standalone) on the project; Ctrl-C stops it."""
    from taxiway.cli import render
    from taxiway.runner import server
    from taxiway.runner.check import load_variables

    target = _target(
        project,
        mwaa_version,
        (requirements, dags, plugins, startup),
        no_startup,
        unsafe_host_startup,
    )
    code = server.serve(
        project,
        target.version,
        python=python,
        cache=cache_dir,
        rebuild=rebuild,
        port=port,
        progress=render.info,
        on_findings=lambda fs: render.print_findings(fs, OutputFormat.text, "taxiway local start"),
        layout=target.layout,
        variables=load_variables(variables) if variables is not None else None,
        host=host,
        startup_mode=target.startup_mode,
        startup_network=startup_network,
        startup_timeout=startup_timeout,
    )
    raise typer.Exit(code)


@app.command(
    "run",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def run_cmd(
    ctx: typer.Context,
    project: Path = _PROJECT,
    mwaa_version: str | None = _MWAA,
    python: str | None = _PYTHON,
    rebuild: bool = _REBUILD,
    cache_dir: Path | None = _CACHE,
    variables: Path | None = _VARIABLES,
    no_startup: bool = _NO_STARTUP,
    unsafe_host_startup: bool = _UNSAFE,
    startup_network: bool = _NETWORK,
    startup_timeout: float = _STARTUP_TIMEOUT,
    requirements: Path | None = _REQUIREMENTS,
    dags: Path | None = _DAGS,
    plugins: Path | None = _PLUGINS,
    startup: Path | None = _STARTUP,
) -> None:
    """Run any command in the project's environment after startup.sh, with its exports:
    `taxiway local run . -- airflow dags test my_dag 2026-01-01`."""
    from taxiway.cli import render
    from taxiway.runner.check import load_variables
    from taxiway.runner.commands import run_command

    target = _target(
        project,
        mwaa_version,
        (requirements, dags, plugins, startup),
        no_startup,
        unsafe_host_startup,
    )
    code = run_command(
        project,
        target.version,
        list(ctx.args),
        python=python,
        cache=cache_dir,
        rebuild=rebuild,
        progress=render.info,
        on_findings=_stderr_findings,
        layout=target.layout,
        variables=load_variables(variables) if variables is not None else None,
        startup_mode=target.startup_mode,
        startup_network=startup_network,
        startup_timeout=startup_timeout,
    )
    raise typer.Exit(code)


@app.command("envs")
def envs_cmd(
    cache_dir: Path | None = _CACHE,
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """List the cached environments: MWAA version, size on disk, last use."""
    import json
    import sys

    from taxiway.cli import render
    from taxiway.runner import envs

    listing = envs.list_envs(cache_dir)
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(listing.to_dict(), indent=2) + "\n")
        raise typer.Exit(0)
    rows = [
        (
            e.name,
            e.mwaa or "?",
            ".".join((e.python or "?").split(".")[:2]),
            envs.megabytes(e.own_bytes),
            envs.megabytes(e.bytes),
            envs.age(e.last_used) + (" (superseded)" if e.superseded else ""),
        )
        for e in listing.envs
    ]
    columns = ("environment", "MWAA", "Python", "own MB", "MB", "last used")
    render.show(render.table(f"Environments in {listing.cache}", columns, rows))
    render.show(
        f"{len(listing.envs)} environment(s): {envs.megabytes(listing.own_bytes)} MB of their "
        f"own (what removing them frees), {envs.megabytes(listing.disk_bytes)} MB with the "
        "files uv's cache shares (hard links counted once). `taxiway local prune` removes "
        "superseded ones."
    )
    raise typer.Exit(0)


@app.command("prune")
def prune_cmd(
    cache_dir: Path | None = _CACHE,
    older_than: str | None = typer.Option(
        None,
        "--older-than",
        help="Also remove environments not used for this long (`30d`, `12h`, `90m`).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be removed."),
) -> None:
    """Remove superseded environments (a project has used a newer one for the same MWAA
    version since) and, with `--older-than`, unused ones; never one in use."""
    from taxiway.cli import render
    from taxiway.runner import envs

    age = envs.parse_age(older_than) if older_than is not None else None
    result = envs.prune(cache_dir, age, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    for env, why in result.removed:
        render.info(f"{verb} {env.name} ({why}, {envs.megabytes(env.own_bytes)} MB)")
    for env in result.busy:
        render.info(f"Kept {env.name}: in use by another taxiway run")
    render.info(
        f"{verb} {len(result.removed)} environment(s), "
        f"{envs.megabytes(result.freed_bytes)} MB; {result.kept} kept."
    )
    raise typer.Exit(0)


@app.command("package-requirements")
def package_cmd(
    project: Path = _PROJECT,
    mwaa_version: str | None = _MWAA,
    out: Path = typer.Option(Path("plugins.zip"), "--out", help="The zip to write."),
    requirements_out: Path | None = typer.Option(
        None,
        "--requirements-out",
        help="Where to write the matching requirements.txt (default: next to --out).",
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    quiet: bool = QUIET,
    requirements: Path | None = _REQUIREMENTS,
) -> None:
    """Download wheels for MWAA's platform (manylinux x86_64) into a plugins zip."""
    from taxiway.cli import render
    from taxiway.runner.package import package_requirements

    target = _target(project, mwaa_version, (requirements, None, None, None))
    result = package_requirements(
        project,
        target.version,
        out,
        requirements_out,
        progress=render.info,
        requirements=target.layout.requirements if requirements is None else requirements,
    )
    code = render.print_findings(
        result.findings,
        fmt,
        f"taxiway local package-requirements: MWAA {target.version}",
        extra=result.extra(),
    )
    raise typer.Exit(code)
