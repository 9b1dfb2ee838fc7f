"""A whole MWAA project: find its parts and run every static check on them.

The layout MWAA expects in its S3 bucket, mirrored in a folder: ``requirements.txt`` (or
``requirements/requirements.txt``), ``dags/``, ``plugins/`` or ``plugins.zip``, and
``startup.sh`` (or ``startup/startup.sh``).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from taxiway.doctor.imports import ImportContext
from taxiway.doctor.reqcheck import classify
from taxiway.doctor.requirements import ParsedRequirements, parse_requirements
from taxiway.errors import UsageError
from taxiway.findings import Finding
from taxiway.mwaa import MwaaRelease, release


@dataclass(frozen=True)
class ProjectLayout:
    """Where a project's parts are; None where a part is absent."""

    root: Path
    requirements: Path | None
    dags: Path | None
    plugins: Path | None  # a folder or a zip
    startup: Path | None

    @property
    def empty(self) -> bool:
        return not (self.requirements or self.dags or self.plugins or self.startup)


def _first(root: Path, *candidates: str, want_dir: bool = False) -> Path | None:
    for name in candidates:
        path = root / name
        if (want_dir and path.is_dir()) or (not want_dir and path.is_file()):
            return path
    return None


def find_layout(project_dir: Path) -> ProjectLayout:
    """Find the requirements file, dags folder, plugins folder or zip and startup script."""
    if not project_dir.is_dir():
        raise UsageError(f"Project folder `{project_dir}` does not exist; pass an Airflow project.")
    return ProjectLayout(
        root=project_dir,
        requirements=_first(project_dir, "requirements.txt", "requirements/requirements.txt"),
        dags=_first(project_dir, "dags", want_dir=True),
        # The zip is what MWAA receives, so it wins over a source folder next to it.
        plugins=_first(project_dir, "plugins.zip") or _first(project_dir, "plugins", want_dir=True),
        startup=_first(project_dir, "startup.sh", "startup/startup.sh"),
    )


def plugin_modules(plugins: Path | None) -> frozenset[str]:
    """Top-level module names a plugins folder or zip puts on ``sys.path``."""
    if plugins is None:
        return frozenset()
    if plugins.is_dir():
        from taxiway.doctor.dags import local_modules

        return local_modules(plugins)
    if not zipfile.is_zipfile(plugins):
        return frozenset()
    with zipfile.ZipFile(plugins) as zf:
        tops = {PurePosixPath(n).parts[0] for n in zf.namelist() if n.strip("/")}
    return frozenset(t[:-3] if t.endswith(".py") else t for t in tops)


def import_context(
    target: MwaaRelease,
    parsed: ParsedRequirements | None,
    dags: Path | None,
    plugins: Path | None,
) -> ImportContext:
    """What the target offers a project: built-ins, its requirements, its own modules."""
    from taxiway.doctor.dags import local_modules

    names = set(target.builtins)
    if target.builtins_source == "derived":
        # 2.4.3-2.8.1 have no package list, only Airflow and its providers: count every
        # constrained package as present rather than flag Airflow's own dependencies.
        names |= set(target.constraints)
    if parsed is not None:
        names |= {
            r.name
            for r in parsed.requirements
            if r.name and classify(r, target).code != "marker-skipped"
        }
    return ImportContext(
        python=target.python,
        airflow_major=target.airflow_major,
        distributions=frozenset(names),
        local_modules=local_modules(dags) | plugin_modules(plugins),
    )


def check_layout(layout: ProjectLayout, target: MwaaRelease) -> list[Finding]:
    """Every static check on every part of ``layout``."""
    from taxiway.doctor.dags import check_dags
    from taxiway.doctor.plugins import check_plugins
    from taxiway.doctor.reqcheck import check_requirements
    from taxiway.doctor.startup import check_startup

    out: list[Finding] = []
    parsed = parse_requirements(layout.requirements) if layout.requirements else None
    if parsed is not None:
        out.extend(check_requirements(parsed, target))
    context = import_context(target, parsed, layout.dags, layout.plugins)
    if layout.dags is not None:
        out.extend(check_dags(layout.dags, target, context, display_root=layout.root))
    if layout.plugins is not None:
        out.extend(check_plugins(layout.plugins, target, context))
    if layout.startup is not None:
        out.extend(check_startup(layout.startup, target))
    return out


def check_project(project_dir: Path, mwaa_version: str) -> list[Finding]:
    """Static checks of a whole project against one MWAA version (no network, no Airflow)."""
    layout = find_layout(project_dir)
    if layout.empty:
        raise UsageError(
            f"`{project_dir}` has no requirements.txt, dags/, plugins/, plugins.zip or "
            "startup.sh; pass the folder that mirrors your MWAA bucket."
        )
    return check_layout(layout, release(mwaa_version))
