"""Airflow Variables and the import's environment: what reaches the DAG files at parse time.

Real DAG files read Variables and Connections at parse time. They reach the import as
Airflow's environment-variable secrets backend reads them: ``AIRFLOW_VAR_<KEY>`` and
``AIRFLOW_CONN_<ID>`` from the user's environment, plus ``--variables FILE`` (what
``airflow variables export`` writes). Every other ``AIRFLOW*`` setting is dropped, so the
user's own Airflow configuration cannot hide a problem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from taxiway.errors import UsageError
from taxiway.runner.project import Layout

PASSED_THROUGH = ("AIRFLOW_VAR_", "AIRFLOW_CONN_")


def probe_environment(
    layout: Layout,
    plugins_dir: Path | str | None,
    home: Path | str,
    pycache: Path,
    variables: dict[str, str] | None = None,
    dags_folder: str | None = None,
) -> dict[str, str]:
    """The environment for the import subprocess: a scratch AIRFLOW_HOME, no inherited config.

    Airflow Variables and Connections given as ``AIRFLOW_VAR_*``/``AIRFLOW_CONN_*`` pass
    through (real DAG files read Variables at parse time), ``variables`` (from
    ``--variables``) are added the same way; every other ``AIRFLOW*`` setting is dropped so
    the user's own Airflow configuration does not leak in. ``home``, ``plugins_dir`` and
    ``dags_folder`` are paths as the import sees them (MWAA's, in the sandbox). Bytecode goes to ``pycache``
    (inside the cached environment): warm runs skip compiling Airflow again, and the
    project's folders stay free of ``__pycache__``.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith(PASSED_THROUGH)
        or not k.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV", "UV_"))
    }
    env.update(variables_environment(variables or {}))
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": dags_folder or str(layout.dags_folder),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins_dir or Path(home) / "plugins"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{Path(home) / 'airflow.db'}",
            "PYTHONPYCACHEPREFIX": str(pycache),
        }
    )
    return env


def load_variables(path: Path) -> dict[str, str]:
    """The Variables of an ``airflow variables export`` file: {key: value as Airflow stores it}.

    Values that are not strings (the export writes JSON objects for JSON Variables) are
    stored as their JSON text, which ``Variable.get(key, deserialize_json=True)`` reads back.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"Cannot read Variables file `{path}`: {exc}; pass the JSON that "
            "`airflow variables export FILE` writes."
        ) from exc
    if not isinstance(data, dict):
        raise UsageError(
            f"Variables file `{path}` is not a JSON object of key -> value; pass the JSON that "
            "`airflow variables export FILE` writes."
        )
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}


def variables_environment(variables: dict[str, str]) -> dict[str, str]:
    """``AIRFLOW_VAR_<KEY>`` for each Variable: Airflow's environment-variable secrets backend."""
    return {f"AIRFLOW_VAR_{key.upper()}": value for key, value in variables.items()}
