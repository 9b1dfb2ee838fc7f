"""Codemods that move Airflow DAGs onto MWAA: ``migrate livy`` rewrites Livy Spark submissions
into EMR ``spark-submit`` steps.

Layout: :mod:`~taxiway.migrate.spark_submit` maps Livy arguments to step arguments (pure),
:mod:`~taxiway.migrate.codemod` builds the ``EmrAddStepsOperator`` call,
:mod:`~taxiway.migrate.transform` runs libcst over one source text, and
:mod:`~taxiway.migrate.runner` finds, diffs and writes files. libcst is imported only here,
never by the CLI at start-up.
"""

from __future__ import annotations

from taxiway.migrate.codemod import EmrTarget, TaskChange
from taxiway.migrate.runner import MigrationReport, migrate_paths
from taxiway.migrate.transform import SourceMigration, migrate_source

__all__ = [
    "EmrTarget",
    "MigrationReport",
    "SourceMigration",
    "TaskChange",
    "migrate_paths",
    "migrate_source",
]
