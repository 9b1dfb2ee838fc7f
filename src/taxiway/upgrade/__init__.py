"""`taxiway upgrade-check`: what breaks when a project moves from one Airflow version to another.

Order of work: both sides are described (:mod:`.sides`: an MWAA version from the shipped
data, or any Airflow version from its constraints file), the project is checked on each
(:mod:`.run`: the doctor, then the local runner's import test unless ``static``), and the
two results are compared (:mod:`.compare`). The move may go down as well as up.
"""

from __future__ import annotations

from pathlib import Path

from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import Layout
from taxiway.upgrade.compare import UpgradeReport, compare, requirement_lines
from taxiway.upgrade.run import check_side
from taxiway.upgrade.sides import Side

__all__ = ["UpgradeReport", "upgrade_check"]


def upgrade_check(
    project: Path,
    layout: Layout,
    sides: tuple[Side, Side],
    static: bool = False,
    python: str | None = None,
    cache: Path | None = None,
    progress: Progress = quiet,
    startup_mode: str = "sandbox",
) -> UpgradeReport:
    """Check ``project`` on both ``sides`` and compare them."""
    results = []
    for side in sides:
        progress(f"[{side.label}] Airflow {side.version}" + (" (MWAA)" if side.mwaa else ""))
        results.append(
            check_side(project, layout, side, static, python, cache, progress, startup_mode)
        )
    text = layout.requirements.read_text(encoding="utf-8") if layout.requirements else ""
    name = layout.rel(layout.requirements) if layout.requirements else "requirements.txt"
    return compare(results[0], results[1], requirement_lines(text), name)
