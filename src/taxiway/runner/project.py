"""Where a project keeps what MWAA reads: the doctor's layout, the one copy.

``local test``/``start``/``package-requirements`` and the doctor find the same parts in the
same places (MWAA's bucket layout and the aws-mwaa-local-runner repository's), and accept the
same explicit paths (``--requirements``, ``--dags``, ``--plugins``, ``--startup``).
"""

from __future__ import annotations

from pathlib import Path

from taxiway.doctor.project import ProjectLayout
from taxiway.doctor.project import find_layout as _find_layout

Layout = ProjectLayout

__all__ = ["Layout", "find_layout"]


def find_layout(
    project_dir: Path,
    requirements: Path | None = None,
    dags: Path | None = None,
    plugins: Path | None = None,
    startup: Path | None = None,
) -> Layout:
    """The project's layout with absolute paths; UsageError when it is not a folder."""

    def absolute(path: Path | None) -> Path | None:
        return path.resolve() if path is not None else None

    return _find_layout(
        project_dir.resolve(),
        absolute(requirements),
        absolute(dags),
        absolute(plugins),
        absolute(startup),
    )
