"""`taxiway init [DIR]`: a new MWAA project laid out like MWAA's bucket, for one MWAA version.

Writes ``dags/`` (one example DAG and ``.airflowignore``), ``requirements.txt`` with the
version's ``-c`` constraints line, ``startup.sh``, ``taxiway.toml``, a
``.pre-commit-config.yaml`` running the doctor and a GitHub Actions workflow running the
doctor and ``taxiway local test``. Exit 0: written; 1: files of the scaffold exist already
(listed; nothing written; ``--force`` replaces them); 2: bad usage.
"""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``init`` to the root app."""
    app.command("init")(init)


def init(
    folder: Path = typer.Argument(Path("."), help="Folder of the new project (created)."),
    mwaa_version: str | None = typer.Option(
        None,
        "--mwaa",
        help="Target MWAA Airflow version (`taxiway doctor versions` lists them); "
        "default: the newest supported one.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace files of the scaffold that already exist."
    ),
) -> None:
    """Create a new MWAA project: example DAG, requirements.txt with MWAA's constraints,
    startup.sh, taxiway.toml, pre-commit and CI configs."""
    from taxiway import scaffold
    from taxiway.cli import render

    release = scaffold.choose_version(mwaa_version)
    files = scaffold.plan(folder, release)
    taken = scaffold.existing(folder, files)
    if taken and not force:
        render.fail(
            f"{len(taken)} file(s) of the new project already exist in `{folder}`; "
            "nothing was written. Pass `--force` to replace them:"
        )
        for path in taken:
            render.info(f"  {path}")
        raise typer.Exit(1)
    scaffold.write(folder, files)
    replaced = set(taken)
    for f in files:
        render.info(f"{'replaced' if f.path in replaced else 'created'} {f.path}")
    where = "." if folder.resolve() == Path.cwd().resolve() else str(folder)
    render.info(
        f"New MWAA {release.version} project in `{where}` (Airflow {release.version}, "
        f"Python {release.python}), {len(files)} files. Next: "
        f"`taxiway doctor project {where}`, then `taxiway local test {where}`."
    )
    raise typer.Exit(0)
