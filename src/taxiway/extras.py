"""Optional extras: which heavy library comes with which ``pip install 'taxiway[...]'``.

``pip install taxiway`` is the toolkit (doctor, local runner, migrate) and nothing heavy;
the pipeline's DuckDB/Arrow stack, Spark, Airflow and boto3 are extras (pyproject.toml).
Code that needs one imports it lazily through :func:`require`, and the CLI turns any
other ``ModuleNotFoundError`` for these libraries into the same message
(:func:`missing_extra`), so a missing extra always reads as its install command.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from taxiway.errors import MissingDependencyError

# top-level import name -> the extra that installs it (keep in step with pyproject.toml)
EXTRA_OF: dict[str, str] = {
    "duckdb": "pipeline",
    "pyarrow": "pipeline",
    "numpy": "pipeline",
    "sqlglot": "pipeline",
    "pyspark": "spark",
    "airflow": "airflow",
    "boto3": "aws",
    "botocore": "aws",
    "plotly": "dashboard",
    "confluent_kafka": "kafka",
    "moto": "twin",
}
# extra -> the modules a command of it imports (checked, not imported, by :func:`need`)
MODULES_OF: dict[str, tuple[str, ...]] = {}
for _module, _extra in EXTRA_OF.items():
    MODULES_OF.setdefault(_extra, ())
    MODULES_OF[_extra] += (_module,)


def need(*extras: str) -> None:
    """Before any work: each extra's libraries are installed, else the install command.

    ``find_spec`` looks for the module without importing it, so the check costs
    microseconds; a command that would write 77 MB of events and then miss DuckDB
    refuses at once instead.
    """
    from importlib.util import find_spec

    for extra in extras:
        for module in MODULES_OF[extra]:
            if find_spec(module) is None:
                raise MissingDependencyError(module, extra)


def missing_extra(exc: ModuleNotFoundError) -> MissingDependencyError | None:
    """The install-command error for ``exc`` when it is a library of an extra, else None."""
    top = (exc.name or "").split(".", 1)[0]
    extra = EXTRA_OF.get(top)
    return MissingDependencyError(top, extra) if extra else None


def require(module: str) -> ModuleType:
    """Import ``module``; raise MissingDependencyError (the install command) when absent."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        error = missing_extra(exc)
        if error is None:
            raise
        raise error from exc
