"""`taxiway local`: install and import-test an Airflow project as a target MWAA version would.

No Docker: uv builds a cached virtual environment per target. Heavy work happens in
:mod:`taxiway.runner`, imported inside the commands so ``taxiway --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from taxiway.cli.render import OutputFormat

app = typer.Typer(
    help="Docker-free MWAA local runner: install, import-test and run a project with uv.",
    no_args_is_help=True,
)

_PROJECT = typer.Argument(
    ...,
    help="Project folder (dags/, requirements.txt, plugins/, startup.sh; or the "
    "aws-mwaa-local-runner layout: requirements/requirements.txt, startup_script/startup.sh).",
)
_MWAA = typer.Option(..., "--mwaa", help="Target MWAA Airflow version, e.g. 2.11.2 or 3.3.1.")
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


@app.command("test")
def test_cmd(
    project: Path = _PROJECT,
    mwaa_version: str = _MWAA,
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    python: str | None = _PYTHON,
    rebuild: bool = _REBUILD,
    cache_dir: Path | None = _CACHE,
    slow: float = typer.Option(
        2.0, "--slow", help="Warn about DAG files that take longer than this to parse (s)."
    ),
    startup_timeout: float = typer.Option(
        300.0, "--startup-timeout", help="Stop the startup script after this many seconds."
    ),
    doctor: bool = typer.Option(
        True, "--doctor/--no-doctor", help="Include the doctor's static findings."
    ),
    variables: Path | None = typer.Option(
        None,
        "--variables",
        help="Airflow Variables for the DAG files (the JSON `airflow variables export` "
        "writes); AIRFLOW_VAR_* and AIRFLOW_CONN_* in the environment pass through too.",
    ),
    requirements: Path | None = _REQUIREMENTS,
    dags: Path | None = _DAGS,
    plugins: Path | None = _PLUGINS,
    startup: Path | None = _STARTUP,
) -> None:
    """Install the project as MWAA would, import every DAG and plugin, run startup.sh."""
    from taxiway.cli import render
    from taxiway.runner.check import load_variables, local_test
    from taxiway.runner.project import find_layout

    layout = find_layout(project, requirements, dags, plugins, startup)
    values = load_variables(variables) if variables is not None else None
    report = local_test(
        project,
        mwaa_version,
        python=python,
        cache=cache_dir,
        rebuild=rebuild,
        progress=render.info,
        slow_seconds=slow,
        startup_timeout=startup_timeout,
        with_doctor=doctor,
        layout=layout,
        variables=values,
    )
    if fmt is OutputFormat.text and report.imports and report.imports.files:
        rows = [(f.file, f.seconds, f.dags, f.tasks) for f in report.imports.files]
        render.show(render.table("DAG files (DagBag)", ("file", "parse s", "DAGs", "tasks"), rows))
    title = f"taxiway local test: MWAA {mwaa_version}"
    code = render.print_findings(report.findings, fmt, title, extra=report.extra())
    if fmt is OutputFormat.text:
        render.info(f"total {report.timings.get('total', 0.0):.1f} s")
    raise typer.Exit(code)


@app.command("start")
def start_cmd(
    project: Path = _PROJECT,
    mwaa_version: str = _MWAA,
    python: str | None = _PYTHON,
    rebuild: bool = _REBUILD,
    cache_dir: Path | None = _CACHE,
    port: int = typer.Option(8080, "--port", help="Port of the Airflow UI."),
    variables: Path | None = typer.Option(
        None, "--variables", help="Airflow Variables (`airflow variables export` JSON)."
    ),
    requirements: Path | None = _REQUIREMENTS,
    dags: Path | None = _DAGS,
    plugins: Path | None = _PLUGINS,
    startup: Path | None = _STARTUP,
) -> None:
    """Run a real Airflow (standalone) on the project; Ctrl-C stops it."""
    from taxiway.cli import render
    from taxiway.runner import server
    from taxiway.runner.check import load_variables
    from taxiway.runner.project import find_layout

    layout = find_layout(project, requirements, dags, plugins, startup)

    code = server.serve(
        project,
        mwaa_version,
        python=python,
        cache=cache_dir,
        rebuild=rebuild,
        port=port,
        progress=render.info,
        on_findings=lambda fs: render.print_findings(fs, OutputFormat.text, "taxiway local start"),
        layout=layout,
        variables=load_variables(variables) if variables is not None else None,
    )
    raise typer.Exit(code)


@app.command("package-requirements")
def package_cmd(
    project: Path = _PROJECT,
    mwaa_version: str = _MWAA,
    out: Path = typer.Option(Path("plugins.zip"), "--out", help="The zip to write."),
    requirements_out: Path | None = typer.Option(
        None,
        "--requirements-out",
        help="Where to write the matching requirements.txt (default: next to --out).",
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    requirements: Path | None = _REQUIREMENTS,
) -> None:
    """Download wheels for MWAA's platform (manylinux x86_64) into a plugins zip."""
    from taxiway.cli import render
    from taxiway.runner.package import package_requirements

    result = package_requirements(
        project,
        mwaa_version,
        out,
        requirements_out,
        progress=render.info,
        requirements=requirements,
    )
    code = render.print_findings(
        result.findings,
        fmt,
        f"taxiway local package-requirements: MWAA {mwaa_version}",
        extra=result.extra(),
    )
    raise typer.Exit(code)
