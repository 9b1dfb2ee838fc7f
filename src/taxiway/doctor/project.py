"""A whole MWAA project: find its parts and run every static check on them.

The layout MWAA expects in its S3 bucket, mirrored in a folder: ``requirements.txt``,
``dags/``, ``plugins/`` or ``plugins.zip``, and ``startup.sh``; or the aws-mwaa-local-runner
repository's layout (``requirements/requirements.txt``, ``startup_script/startup.sh``).
Explicit paths (``--requirements``, ``--dags``, ``--plugins``, ``--startup``) win.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from taxiway.doctor.imports import ImportContext
from taxiway.doctor.reqcheck import classify
from taxiway.doctor.requirements import ParsedRequirements, parse_requirements
from taxiway.doctor.selection import without_ignored
from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.mwaa import MwaaRelease, release

# Where each part is looked for, in order: MWAA's bucket layout first, then the
# aws-mwaa-local-runner repository's (`requirements/requirements.txt`,
# `startup_script/startup.sh`), which is what most MWAA users have checked out, then the
# older local runner's (v1.10/2.0.2: its entrypoint installs `dags/requirements.txt`).
REQUIREMENTS = ("requirements.txt", "requirements/requirements.txt", "dags/requirements.txt")
STARTUP = ("startup.sh", "startup/startup.sh", "startup_script/startup.sh")
PLUGINS_ZIP = ("plugins.zip", "plugins/plugins.zip")


@dataclass(frozen=True)
class ProjectLayout:
    """Where a project's parts are; None where a part is absent.

    The one layout: the doctor, ``local test``/``start`` and ``local package-requirements``
    all use it. ``explicit`` names the parts given on the command line.
    """

    root: Path
    requirements: Path | None
    dags: Path | None
    plugins: Path | None  # a folder or a zip
    startup: Path | None
    explicit: frozenset[str] = frozenset()
    other_requirements: tuple[Path, ...] = ()  # requirements*.txt seen elsewhere, not used

    @property
    def empty(self) -> bool:
        return not (self.requirements or self.dags or self.plugins or self.startup)

    @property
    def dags_folder(self) -> Path:
        """The folder Airflow parses: ``dags/``, or the project root without one."""
        return self.dags or self.root

    def rel(self, path: Path) -> str:
        """``path`` relative to the project root (POSIX), or as given when outside it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def _first(root: Path, *candidates: str, want_dir: bool = False) -> Path | None:
    for name in candidates:
        path = root / name
        if (want_dir and path.is_dir()) or (not want_dir and path.is_file()):
            return path
    return None


def _given(path: Path | None, part: str, flag: str) -> Path | None:
    if path is not None and not path.exists():
        raise UsageError(f"The {part} `{path}` given with `{flag}` does not exist.")
    return path


def _other_requirements(root: Path) -> tuple[Path, ...]:
    """``requirements*.txt`` files two levels down: likely the real one in another place."""
    found = [*root.glob("requirements*.txt"), *root.glob("*/requirements*.txt")]
    found += root.glob("*/*/requirements*.txt")
    return tuple(sorted(p for p in found if not any(q.startswith(".") for q in p.parts)))[:5]


def find_layout(
    project_dir: Path,
    requirements: Path | None = None,
    dags: Path | None = None,
    plugins: Path | None = None,
    startup: Path | None = None,
) -> ProjectLayout:
    """Find the requirements file, dags folder, plugins folder or zip and startup script;
    a part given explicitly (``--requirements`` ...) wins over discovery."""
    if not project_dir.is_dir():
        raise UsageError(f"Project folder `{project_dir}` does not exist; pass an Airflow project.")
    explicit = {
        name
        for name, value in (
            ("requirements", requirements),
            ("dags", dags),
            ("plugins", plugins),
            ("startup", startup),
        )
        if value is not None
    }
    found_requirements = _given(requirements, "requirements file", "--requirements") or _first(
        project_dir, *REQUIREMENTS
    )
    return ProjectLayout(
        root=project_dir,
        requirements=found_requirements,
        dags=_given(dags, "dags folder", "--dags") or _first(project_dir, "dags", want_dir=True),
        # The zip is what MWAA receives, so it wins over a source folder next to it.
        plugins=_given(plugins, "plugins folder or zip", "--plugins")
        or _first(project_dir, *PLUGINS_ZIP)
        or _first(project_dir, "plugins", want_dir=True),
        startup=_given(startup, "startup script", "--startup") or _first(project_dir, *STARTUP),
        explicit=frozenset(explicit),
        other_requirements=() if found_requirements else _other_requirements(project_dir),
    )


def layout_findings(layout: ProjectLayout) -> list[Finding]:
    """Say what was found where and what was not (a silent miss reads as "all fine")."""
    parts = []
    for name, path in (
        ("requirements", layout.requirements),
        ("dags", layout.dags),
        ("plugins", layout.plugins),
        ("startup script", layout.startup),
    ):
        parts.append(f"{name} `{layout.rel(path)}`" if path else f"no {name}")
    out = [
        Finding(
            "layout",
            Severity.INFO,
            layout.root.name or str(layout.root),
            "Checked " + ", ".join(parts) + ".",
            "Pass `--requirements`, `--dags`, `--plugins` or `--startup` for parts kept elsewhere.",
        )
    ]
    if layout.requirements is None and (layout.dags or layout.plugins):
        seen = ", ".join(f"`{layout.rel(p)}`" for p in layout.other_requirements)
        out.append(
            Finding(
                "requirements-not-found",
                Severity.WARNING,
                "requirements.txt",
                "No requirements file found at "
                + " or ".join(f"`{r}`" for r in REQUIREMENTS)
                + (f" (seen: {seen})" if seen else "")
                + "; imports are judged against MWAA's built-in packages only.",
                "Pass it with `--requirements PATH`.",
            )
        )
    return out


def plugin_modules(plugins: Path | None) -> frozenset[str]:
    """Top-level module names a plugins folder or zip puts on ``sys.path``."""
    if plugins is None:
        return frozenset()
    if plugins.is_dir():
        from taxiway.doctor.files import local_modules

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
    requirements_found: bool = True,
    project_root: Path | None = None,
    resolved: Mapping[str, str] | None = None,
) -> ImportContext:
    """What the target offers a project: built-ins, its requirements, its own modules.

    ``requirements_found=False`` (a project whose requirements file was not found) turns
    ``import-unavailable`` into warnings: without the file they are guesses.
    ``project_root``: the project's other top-level modules (``include/``, ``src``-less
    packages) are known to be missing on MWAA, which uploads only the dags and plugins.
    ``resolved``: what ``--resolve`` found pip installs; it replaces the data's guess of
    the requirements' dependencies.
    """
    from taxiway.doctor.distributions import dist_data, installed_with_other_versions
    from taxiway.doctor.files import local_modules

    names = set(target.builtins)
    pinned: dict[str, str] = {}
    required: list[tuple[str | None, frozenset[str]]] = []
    if parsed is not None:
        for r in parsed.requirements:
            if classify(r, target).code != "marker-skipped":
                required.append((r.name, frozenset(r.extras)))
                if r.name:
                    names.add(r.name)
                if r.name and r.pinned:
                    pinned[r.name] = r.pinned
    data = dist_data(target.version)
    found = (
        installed_with_other_versions(data, target.builtins, required, pinned)
        if data is not None
        else None
    )
    if data is not None and resolved is not None:
        from taxiway.doctor.distributions import resolved as resolved_set
        from taxiway.doctor.distributions import with_modules
        from taxiway.doctor.wheelmeta import modules_of

        # The resolver names every distribution; the modules of those outside the shipped
        # data come from their wheels' file lists (read from the index, cached).
        unknown = {n: v for n, v in resolved.items() if data.modules(n) is None}
        data = with_modules(data, modules_of(unknown, target), resolved)
        found = resolved_set(data, {*target.builtins, *resolved, *(found.dists if found else ())})
    if found is not None:
        names |= found.dists
    elif target.builtins_source == "derived":
        # 2.4.3-2.8.1 without shipped data: only Airflow and its providers are known, so
        # count every constrained package as present rather than flag Airflow's own
        # dependencies.
        names |= set(target.constraints)
    local = local_modules(dags) | plugin_modules(plugins)
    outside: frozenset[str] = frozenset()
    if project_root is not None and dags is not None and dags.resolve() != project_root.resolve():
        skip = {p.name for p in (dags, plugins) if p is not None} | {"tests", "test"}
        outside = local_modules(project_root) - local - skip
    return ImportContext(
        python=target.python,
        airflow_major=target.airflow_major,
        distributions=frozenset(names),
        local_modules=local,
        outside_modules=outside,
        dags_package=dags.resolve().name if dags is not None else "",
        requirements_found=parsed is not None or requirements_found,
        mwaa_version=target.version,
        pinned=pinned,
        installed=found,
        image_complete=target.builtins_source != "derived",
    )


def check_layout(
    layout: ProjectLayout, target: MwaaRelease, resolved: Mapping[str, str] | None = None
) -> list[Finding]:
    """Every static check on every part of ``layout`` (``resolved``: what ``--resolve``
    found pip installs, for the import checks)."""
    from taxiway.doctor.dags import check_dags
    from taxiway.doctor.plugins import check_plugins
    from taxiway.doctor.reqcheck import check_requirements
    from taxiway.doctor.startup import check_startup

    out: list[Finding] = layout_findings(layout)
    parsed = parse_requirements(layout.requirements) if layout.requirements else None
    if parsed is not None:
        rel = layout.rel(parsed.path)
        # Findings name the file as given; JSON readers want it relative to the project.
        out.extend(
            replace(f, file=rel) if f.file == parsed.path.name else f
            for f in check_requirements(parsed, target)
        )
    context = import_context(
        target,
        parsed,
        layout.dags,
        layout.plugins,
        requirements_found=parsed is not None,
        project_root=layout.root,
        resolved=resolved,
    )
    if layout.dags is not None:
        out.extend(check_dags(layout.dags, target, context, display_root=layout.root))
    if layout.plugins is not None:
        out.extend(check_plugins(layout.plugins, target, context))
    if layout.startup is not None:
        rel = layout.rel(layout.startup)
        out.extend(
            replace(f, file=rel) if f.file in (layout.startup.name, str(layout.startup)) else f
            for f in check_startup(layout.startup, target)
        )
    return without_ignored(out, layout.root)


def check_project(
    project_dir: Path, mwaa_version: str, layout: ProjectLayout | None = None
) -> list[Finding]:
    """Static checks of a whole project against one MWAA version (no network, no Airflow)."""
    layout = layout or find_layout(project_dir)
    if layout.empty:
        raise UsageError(
            f"`{project_dir}` has no requirements.txt, dags/, plugins/, plugins.zip or "
            "startup.sh; pass the folder that mirrors your MWAA bucket."
        )
    return check_layout(layout, release(mwaa_version))
