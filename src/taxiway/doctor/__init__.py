"""The MWAA doctor: static checks of an Airflow project against a target MWAA version.

Pure functions over parsed input (STYLE.md): ``check_requirements(parsed, release)``,
``check_dags(...)``, ``check_plugins(...)``, ``check_startup(...)``; :func:`check_project`
runs them all. Offline except ``--resolve`` (uv, PyPI) in :mod:`taxiway.doctor.resolve`.
"""

from __future__ import annotations

from pathlib import Path

from taxiway.findings import Finding

__all__ = ["check_project"]


def check_project(project_dir: Path, mwaa_version: str) -> list[Finding]:
    """Static checks of a whole project (requirements, DAGs, plugins, startup script)."""
    from taxiway.doctor.project import check_project as _check

    return _check(project_dir, mwaa_version)
