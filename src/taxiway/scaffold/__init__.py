"""`taxiway init`: the files of a new MWAA project for one MWAA version (pure, then one write).

The templates are package data (``templates/``), filled with the version's data
(:mod:`taxiway.mwaa`): the constraints URL MWAA recommends, its Python, its Airflow major
(Airflow 3 DAGs import the Task SDK; ``.airflowignore`` is glob there, regexp before).
:func:`plan` decides every file and its text, :func:`existing` says which of them are
already there (``init`` then refuses and writes nothing, unless ``--force``), :func:`write`
writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from taxiway import __version__, mwaa
from taxiway.errors import UsageError

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

#: output path -> template (``{major}``: the target's Airflow major); executable outputs
_FILES: dict[str, str] = {
    "dags/{dag_id}.py": "dags/example_dag_airflow{major}.py.tmpl",
    "requirements.txt": "requirements.txt.tmpl",
    "startup.sh": "startup.sh.tmpl",
    "dags/.airflowignore": "airflowignore_airflow{major}.tmpl",
    "taxiway.toml": "taxiway.toml.tmpl",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.tmpl",
    ".github/workflows/taxiway.yml": "ci-workflow.yml.tmpl",
}
_EXECUTABLE = frozenset({"startup.sh"})


@dataclass(frozen=True)
class ScaffoldFile:
    """One file of the new project: its path relative to the project and its text."""

    path: str
    text: str
    executable: bool = False


def dag_id_for(folder: Path) -> str:
    """A DAG id from the project folder's name: ``Orders ETL`` -> ``orders_etl_example``."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", folder.resolve().name).strip("_").lower()
    if not slug or slug[0].isdigit():
        slug = f"project_{slug}".rstrip("_")
    return f"{slug}_example"


def _template(name: str) -> str:
    return (resources.files("taxiway.scaffold") / "templates" / name).read_text("utf-8")


def _fill(text: str, values: dict[str, str], name: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise KeyError(f"template `{name}` uses unknown placeholder `{m.group(1)}`")
        return values[m.group(1)]

    return _PLACEHOLDER.sub(one, text)


def choose_version(given: str | None) -> mwaa.MwaaRelease:
    """``--mwaa`` or the newest supported version; MWAA creates no environment on an
    end-of-support version, so those are refused with the versions that remain."""
    release = mwaa.release(given or mwaa.latest())
    if not release.supported:
        supported = ", ".join(v for v in mwaa.versions() if mwaa.release(v).supported)
        raise UsageError(
            f"MWAA {release.version} is past end of support ({release.status}): MWAA creates "
            f"no new environment on it; choose one of {supported}."
        )
    return release


def plan(folder: Path, release: mwaa.MwaaRelease) -> list[ScaffoldFile]:
    """Every file of a new project in ``folder`` for ``release``, in the order written."""
    dag_id = dag_id_for(folder)
    values = {
        "mwaa": release.version,
        "python": release.python,
        "constraints_line": release.constraints_line,
        "dag_id": dag_id,
        "taxiway_version": __version__,
    }
    major = str(release.airflow_major)
    files = []
    for out, template in _FILES.items():
        name = template.format(major=major)
        path = out.format(dag_id=dag_id)
        files.append(ScaffoldFile(path, _fill(_template(name), values, name), out in _EXECUTABLE))
    return files


def existing(folder: Path, files: list[ScaffoldFile]) -> list[str]:
    """The paths of ``files`` that already exist in ``folder`` (what writing would replace)."""
    return [f.path for f in files if (folder / f.path).exists() or (folder / f.path).is_symlink()]


def write(folder: Path, files: list[ScaffoldFile]) -> list[Path]:
    """Write ``files`` into ``folder`` (created when missing), replacing what is there; the
    paths written. Callers check :func:`existing` first (``init`` refuses without --force)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"`{folder}` is a file, not a folder; pass a folder for the project.")
    written = []
    for f in files:
        target = folder / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()  # --force replaces the link, never the file it points at
        target.write_text(f.text, encoding="utf-8")
        if f.executable:
            target.chmod(0o755)
        written.append(target)
    return written
