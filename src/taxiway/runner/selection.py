"""One DAG at a time: ``local test --dag-file FILE`` and ``--dag-id ID`` (pure).

``--dag-file`` hands the DagBag that one file (Airflow parses nothing else, so it is the
fast loop while editing a DAG); ``--dag-id`` parses the folder, as Airflow must to find a
DAG by id, then keeps the report to the file that defines it. Either way the findings about
other DAG files (the doctor's included) are left out; findings about the requirements,
plugins and startup script stay, since they affect every DAG.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.runner.imports import summary_finding
from taxiway.runner.project import Layout

if TYPE_CHECKING:
    from taxiway.runner.check import LocalReport


def check_dag_file(layout: Layout, dag_file: Path) -> Path:
    """``dag_file`` as an absolute path: relative to the project, else to the current folder;
    it must be a file inside the DAG folder (a usage error otherwise)."""
    candidates = [dag_file] if dag_file.is_absolute() else [layout.root / dag_file, dag_file]
    found = next((c.resolve() for c in candidates if c.is_file()), None)
    dags = layout.rel(layout.dags_folder)
    if found is None:
        raise UsageError(
            f"DAG file `{dag_file}` does not exist; pass a file of the DAG folder `{dags}`."
        )
    if not found.is_relative_to(layout.dags_folder.resolve()):
        raise UsageError(
            f"DAG file `{dag_file}` is not in the DAG folder `{dags}`; MWAA only parses "
            "files there (pass `--dags` for another folder)."
        )
    return found


def _prefix(layout: Layout) -> str:
    rel = layout.rel(layout.dags_folder)
    return "" if rel in ("", ".") else rel.rstrip("/") + "/"


def keep_file(report: LocalReport, layout: Layout, file: str) -> None:
    """Keep ``report`` to one DAG file (``file`` relative to the project)."""
    prefix = _prefix(layout)
    in_dags = file[len(prefix) :] if file.startswith(prefix) else file

    plugins = layout.rel(layout.plugins) + "/" if layout.plugins is not None else None

    def other_dag_file(f: Finding) -> bool:
        name = str(f.file or "")
        if not name.endswith(".py") or name == file or not name.startswith(prefix):
            return False
        return plugins is None or not name.startswith(plugins)

    report.findings = [f for f in report.findings if not other_dag_file(f)]
    imported = report.imports
    if imported is None:
        return
    imported.files = [f for f in imported.files if f.file == in_dags]
    imported.errors = [e for e in imported.errors if e == in_dags]
    imported.dag_ids = [d for d in imported.dag_ids if imported.dag_files.get(d) == in_dags]
    kept = [f for f in imported.findings if not other_dag_file(f) and f.code != "dags-imported"]
    kept.append(summary_finding(imported.files, len(imported.errors), file))
    imported.findings = kept


def select_dag(report: LocalReport, layout: Layout, dag_id: str) -> None:
    """Keep ``report`` to the file defining ``dag_id``, or add ``dag-not-found``."""
    imported = report.imports
    if imported is None:
        return
    file = imported.dag_files.get(dag_id)
    if file is not None:
        keep_file(report, layout, _prefix(layout) + file)
        imported.dag_ids = [dag_id]
        return
    known = ", ".join(f"`{d}`" for d in sorted(imported.dag_ids)[:20]) or "none"
    failing = f"; {len(imported.errors)} file(s) failed to import (below), one may define it"
    imported.findings.append(
        Finding(
            code="dag-not-found",
            severity=Severity.ERROR,
            subject=dag_id,
            message=f"No DAG `{dag_id}` in `{layout.rel(layout.dags_folder)}`: Airflow's "
            f"DagBag found {known}" + (failing if imported.errors else "") + ".",
            hint="Check the `dag_id` (`taxiway local test` without `--dag-id` lists them "
            "with `--format json`).",
        )
    )
