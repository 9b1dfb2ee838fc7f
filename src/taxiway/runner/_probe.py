"""Runs INSIDE the built environment (its own interpreter), never imported by taxiway.

``python _probe.py dags|plugins`` parses the DAG folder with Airflow's own DagBag (so
``.airflowignore``, safe mode and the import timeout behave as on MWAA) or loads the
plugins folder through Airflow's plugin manager, and prints one JSON document on the
last line of stdout. Kept to the standard library plus Airflow, and Python 3.8 syntax,
because it runs under the target's interpreter, not taxiway's.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

MARKER = "TAXIWAY-PROBE-RESULT:"


def _dagbag_class() -> Any:
    # Airflow 3 moved the parsing DagBag to airflow.dag_processing; 2.x keeps it in models.
    import importlib

    try:
        module = importlib.import_module("airflow.dag_processing.dagbag")
    except ImportError:
        module = importlib.import_module("airflow.models.dagbag")
    return module.DagBag


def probe_dags(dags_folder: str, only: str | None = None) -> dict[str, Any]:
    """Parse ``dags_folder`` (or just the file ``only`` in it) with DagBag; per-file stats,
    import errors and each DAG's file, paths relative to the folder."""
    started = time.perf_counter()
    dagbag_cls = _dagbag_class()
    import_seconds = time.perf_counter() - started
    # MWAA's workers put the dags folder on sys.path, so DAG files import sibling packages
    # (`from my_dags.common import ...`); a bare DagBag does not: do what MWAA does.
    if os.path.realpath(dags_folder) not in map(os.path.realpath, sys.path):
        sys.path.insert(0, dags_folder)
    bag = dagbag_cls(dag_folder=only or dags_folder)
    root = os.path.realpath(dags_folder)

    def rel(path: str) -> str:
        if os.path.isabs(path) and not os.path.exists(path):
            # Airflow 2 reports stats as the path with the DAG folder cut off: "/x.py".
            path = path.lstrip("/")
        full = os.path.realpath(path if os.path.isabs(path) else os.path.join(root, path))
        try:
            found = os.path.relpath(full, root).replace(os.sep, "/")
        except ValueError:
            return path
        if found == "." and only:  # Airflow 3 names the file relative to itself
            return os.path.relpath(os.path.realpath(only), root).replace(os.sep, "/")
        return found

    files = []
    for stat in getattr(bag, "dagbag_stats", []):
        dags = stat.dags
        files.append(
            {
                "file": rel(str(stat.file)),
                "seconds": stat.duration.total_seconds(),
                "dags": stat.dag_num,
                "tasks": stat.task_num,
                "dag_ids": dags if isinstance(dags, str) else str(dags),
            }
        )
    errors = {rel(str(path)): str(text) for path, text in bag.import_errors.items()}
    return {
        "airflow_import_seconds": import_seconds,
        "files": files,
        "import_errors": errors,
        "dag_ids": sorted(bag.dag_ids),
        "dag_files": {d: rel(str(dag.fileloc)) for d, dag in bag.dags.items()},
    }


def probe_plugins() -> dict[str, Any]:
    """Load plugins the way every Airflow component does at start-up."""
    from airflow import plugins_manager

    plugins_manager.ensure_plugins_loaded()
    if hasattr(plugins_manager, "get_import_errors"):  # Airflow 3
        errors = dict(plugins_manager.get_import_errors())
        loaded = list(plugins_manager._get_plugins()[0])
    else:  # Airflow 2
        errors = dict(getattr(plugins_manager, "import_errors", {}))
        loaded = list(getattr(plugins_manager, "plugins", None) or [])
    return {
        "plugins": sorted(str(getattr(p, "name", p)) for p in loaded),
        "import_errors": {str(k): str(v) for k, v in errors.items()},
    }


def installed_modules() -> dict[str, Any]:
    """Top-level import names of every installed distribution (their own metadata)."""
    from importlib.metadata import packages_distributions

    return {"names": sorted(packages_distributions())}


def _guarded(fn: Any, *args: Any) -> dict[str, Any]:
    try:
        result = fn(*args)
        result["ok"] = True
    except Exception as exc:  # report, don't crash: the caller turns this into a finding
        import traceback

        result = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    return dict(result)


def main(argv: list[str]) -> int:
    """``all FOLDER [FILE]`` (plugins, then DAGs, one interpreter start), ``dags FOLDER
    [FILE]`` or ``plugins``; the JSON result is the last stdout line."""
    mode = argv[1]
    only = argv[3] if len(argv) > 3 else None
    if mode == "dags":
        result = _guarded(probe_dags, argv[2], only)
    elif mode == "plugins":
        result = _guarded(probe_plugins)
    elif mode == "all":
        result = {
            "plugins": _guarded(probe_plugins),
            "dags": _guarded(probe_dags, argv[2], only),
            "modules": _guarded(installed_modules),
        }
    else:
        raise SystemExit(f"unknown probe {mode!r}")
    sys.stdout.flush()
    print(MARKER + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
