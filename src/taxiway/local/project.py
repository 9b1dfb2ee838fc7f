"""Where a project keeps what MWAA reads: requirements, DAGs, plugins, startup script.

The doctor owns the canonical layout rules (``taxiway.doctor.project.find_layout``); we
use them when present and otherwise look in the places MWAA's S3 bucket convention and
the aws-mwaa-local-runner repository use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taxiway.errors import UsageError


@dataclass(frozen=True)
class Layout:
    """Paths of one project; None when the project has no such part."""

    root: Path
    dags: Path
    requirements: Path | None
    plugins: Path | None  # a folder or a .zip
    startup: Path | None


def _first(root: Path, *names: str) -> Path | None:
    for name in names:
        path = root / name
        if path.exists():
            return path
    return None


def _from_doctor(root: Path) -> Layout | None:
    try:
        from taxiway.doctor.project import find_layout
    except ImportError:
        return None
    try:
        found: Any = find_layout(root)
    except Exception:  # the doctor's own checks report a broken layout; fall back here
        return None

    def path(*names: str) -> Path | None:
        for name in names:
            value = getattr(found, name, None)
            if value:
                return Path(value)
        return None

    dags = path("dags", "dags_dir", "dags_folder")
    if dags is None:
        return None
    return Layout(
        root=root,
        dags=dags,
        requirements=path("requirements", "requirements_txt", "requirements_file"),
        plugins=path("plugins", "plugins_dir", "plugins_zip", "plugins_folder"),
        startup=path("startup", "startup_script", "startup_sh"),
    )


def find_layout(project_dir: Path) -> Layout:
    """The project's layout; raise UsageError when ``project_dir`` is not a folder."""
    root = project_dir.resolve()
    if not root.is_dir():
        raise UsageError(
            f"Project folder `{project_dir}` does not exist; pass the folder that holds "
            "`dags/` (and optionally requirements.txt, plugins/, startup.sh)."
        )
    from_doctor = _from_doctor(root)
    if from_doctor is not None:
        return from_doctor
    dags = _first(root, "dags")
    return Layout(
        root=root,
        dags=dags if dags is not None and dags.is_dir() else root,
        requirements=_first(root, "requirements.txt", "requirements/requirements.txt"),
        plugins=_first(root, "plugins.zip", "plugins"),  # the zip is what MWAA gets
        startup=_first(root, "startup.sh", "startup/startup.sh"),
    )
