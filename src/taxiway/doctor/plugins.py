"""Static checks of a plugins folder or ``plugins.zip``.

MWAA unzips ``plugins.zip`` into ``$AIRFLOW_HOME/plugins`` and puts that folder on
``sys.path``. The checks: zip layout, ``AirflowPlugin`` subclasses and what they register,
operators/hooks/sensors that could simply be modules in the dags folder, UI plugins that
Airflow 3 no longer serves, and imports the target cannot satisfy.
"""

from __future__ import annotations

import ast
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from taxiway.doctor.dags import import_findings
from taxiway.doctor.files import python_files
from taxiway.doctor.imports import ImportContext
from taxiway.doctor.toplevel import dotted
from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.mwaa import MwaaRelease

_UI_ATTRS = ("flask_blueprints", "appbuilder_views", "appbuilder_menu_items")
_REMOVABLE_ATTRS = ("operators", "hooks", "sensors")
_REMOVABLE_BASES = ("Operator", "Hook", "Sensor")


@dataclass(frozen=True)
class PluginSource:
    """One Python file of the plugins folder or zip."""

    name: str  # path inside the folder or zip, posix
    display: str  # "plugins/x.py" or "plugins.zip:x.py"
    source: str


@dataclass
class AirflowPluginInfo:
    """An ``AirflowPlugin`` subclass and the non-empty lists it registers."""

    cls: str
    name: str
    display: str
    line: int
    registers: dict[str, int] = field(default_factory=dict)


def read_plugins(location: Path) -> tuple[list[PluginSource], list[str]]:
    """Python sources and all entry names of a plugins folder or zip."""
    if location.is_dir():
        sources = [
            PluginSource(
                p.relative_to(location).as_posix(),
                f"{location.name}/{p.relative_to(location).as_posix()}",
                p.read_text(encoding="utf-8", errors="replace"),
            )
            for p in python_files(location)
        ]
        names = [p.relative_to(location).as_posix() for p in sorted(location.rglob("*"))]
        return sources, names
    if not zipfile.is_zipfile(location):
        raise UsageError(
            f"`{location}` is neither a folder nor a zip file; pass plugins/ or plugins.zip."
        )
    with zipfile.ZipFile(location) as zf:
        names = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
        sources = [
            PluginSource(n, f"{location.name}:{n}", zf.read(n).decode("utf-8", errors="replace"))
            for n in names
            if n.endswith(".py") and "__pycache__" not in n
        ]
    return sources, names


def zip_layout_findings(location: Path, names: list[str]) -> list[Finding]:
    """``plugins-zip-layout``: everything sits under one extra top folder."""
    files = [n for n in names if not n.endswith("/")]
    tops = {PurePosixPath(n).parts[0] for n in files}
    if not files or len(tops) != 1 or any("/" not in n for n in files):
        return []
    top = tops.pop()
    return [
        Finding(
            "plugins-zip-layout",
            Severity.ERROR,
            f"{top}/",
            f"Every file of `{location.name}` is under `{top}/`; MWAA unzips into "
            f"`plugins/`, so the modules land in `plugins/{top}/` and imports of them fail.",
            f"Zip the folder's contents, not the folder: `cd {top} && zip -r ../{location.name} .`",
            location.name,
            None,
        )
    ]


def _base_names(cls: ast.ClassDef) -> list[str]:
    return [dotted(b).rsplit(".", 1)[-1] for b in cls.bases]


def find_plugins(tree: ast.Module, display: str) -> list[AirflowPluginInfo]:
    """``AirflowPlugin`` subclasses in one module and the lists they register."""
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or "AirflowPlugin" not in _base_names(node):
            continue
        info = AirflowPluginInfo(node.name, node.name, display, node.lineno)
        for stmt in node.body:
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                continue
            target = stmt.targets[0]
            if not isinstance(target, ast.Name):
                continue
            if target.id == "name" and isinstance(stmt.value, ast.Constant):
                info.name = str(stmt.value.value)
            elif isinstance(stmt.value, ast.List | ast.Tuple) and stmt.value.elts:
                info.registers[target.id] = len(stmt.value.elts)
        out.append(info)
    return out


def check_plugins(location: Path, release: MwaaRelease, context: ImportContext) -> list[Finding]:
    """Findings for a plugins folder or zip against ``release``.

    Every file is parsed with the target's grammar (ruff), and on an Airflow 3 target gets
    ruff's AIR3 rules too: the plugins manager imports them in every Airflow component.
    """
    from taxiway.doctor.dags import Grammar, merge_air3, parse_source

    sources, names = read_plugins(location)
    out = zip_layout_findings(location, names) if location.is_file() else []
    syntax, air3 = _ruff(location, sources, release)
    found: list[Finding] = []
    for src in sources:
        hint = "Fix the syntax; the plugin manager fails to load the file."
        tree = parse_source(
            src.source, src.display, Grammar(release.python, syntax.get(src.name)), hint
        )
        if isinstance(tree, Finding):
            found.append(tree)
            continue
        found.extend(import_findings(tree, src.display, context, "Airflow loads the plugins"))
        found.extend(_plugin_findings(tree, src, release))
        if release.airflow_major >= 3:
            # operators and hooks of the plugins run in tasks: the same runtime removals
            from taxiway.doctor.dags import runtime_removals
            from taxiway.doctor.runtime3 import runtime_findings

            found.extend(runtime_removals(tree, src.display) + runtime_findings(tree, src.display))
    return out + merge_air3(found, air3)


def _ruff(
    location: Path, sources: list[PluginSource], release: MwaaRelease
) -> tuple[dict[str, tuple[int | None, str]], list[Finding]]:
    """ruff's syntax errors (by name inside the folder or zip) and AIR3 findings (with
    ``file`` as the plugins are displayed)."""
    import tempfile

    from taxiway.doctor.airflow3 import ruff_report

    air3 = release.airflow_major >= 3
    with tempfile.TemporaryDirectory(prefix="taxiway-plugins-") as tmp:
        if location.is_dir():
            base = location
        else:
            # ruff reads files: the zip's sources are written out as they are.
            base = Path(tmp)
            for src in sources:
                dest = base / src.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(src.source, encoding="utf-8")
        paths = [base / src.name for src in sources]
        report = ruff_report(paths, base, release.python, air3)
        base_resolved = base.resolve()
    display = {src.name: src.display for src in sources}
    syntax = {
        path.relative_to(base_resolved).as_posix(): err
        for path, err in report.syntax.items()
        if path.is_relative_to(base_resolved)
    }
    findings = [
        replace(f, file=display.get(f.file or "", f.file), subject=f.subject) for f in report.air3
    ]
    return syntax, findings


def _plugin_findings(tree: ast.Module, src: PluginSource, release: MwaaRelease) -> list[Finding]:
    out = []
    for info in find_plugins(tree, src.display):
        what = ", ".join(f"{k} ({v})" for k, v in sorted(info.registers.items())) or "nothing"
        out.append(
            Finding(
                "airflow-plugin",
                Severity.INFO,
                info.name,
                f"Plugin `{info.name}` (class `{info.cls}`) registers {what}.",
                "",
                src.display,
                info.line,
            )
        )
        removable = [a for a in _REMOVABLE_ATTRS if a in info.registers]
        if removable and release.airflow_major < 3:
            # On Airflow 3 the lists are removed: ruff's AIR301 reports each as an error.
            out.append(
                Finding(
                    "plugin-removable",
                    Severity.WARNING,
                    info.name,
                    f"Plugin `{info.name}` registers {', '.join(removable)}; Airflow 2+ "
                    "imports operators, hooks and sensors as plain modules.",
                    "Move the classes into a module in the dags folder and import them "
                    "directly; drop the plugin (no plugins.zip, no webserver restart).",
                    src.display,
                    info.line,
                )
            )
        ui = [a for a in _UI_ATTRS if a in info.registers]
        if ui and release.airflow_major >= 3:
            out.append(
                Finding(
                    "plugin-ui-unsupported",
                    Severity.ERROR,
                    info.name,
                    f"Plugin `{info.name}` registers {', '.join(ui)}; Airflow 3's UI is React "
                    f"and FastAPI, so MWAA {release.version} does not serve Flask views.",
                    "Rewrite the view as `fastapi_apps`/`external_views`, or drop it.",
                    src.display,
                    info.line,
                )
            )
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
            b.endswith(_REMOVABLE_BASES) for b in _base_names(node)
        ):
            out.append(
                Finding(
                    "plugin-removable",
                    Severity.WARNING,
                    node.name,
                    f"`{node.name}` in `{src.display}` is an operator, hook or sensor; it needs "
                    "no plugin and can live as a module in the dags folder.",
                    "Move it to `dags/<package>/` and import it from the DAGs; list the "
                    "package in `.airflowignore`.",
                    src.display,
                    node.lineno,
                )
            )
    return out
