"""The report step on DuckDB: the Athena report SQL, transpiled, as tables and Parquet files.

Input: a DuckDB connection where the tables or views ``events``, ``quarantine`` and
``hourly_counts`` exist (the local catalog registers them). For each report this runs
``CREATE OR REPLACE TABLE <report> AS <duckdb sql>`` and, when a reports folder is given,
publishes ``<reports_dir>/<report>/data.parquet`` atomically: DuckDB writes a hidden temporary
file in the same folder, then ``os.replace`` swaps it in, so a reader sees the old file or the
new one, never half of one. On AWS the same SQL runs on Athena (the DAG's UNLOAD), untranslated.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from taxiway.errors import DataError, UsageError
from taxiway.lake.layout import DATA_FILE
from taxiway.sql.literal import literal

#: Hidden (leading dot) so Spark, Hive and DuckDB globs such as ``*/data.parquet`` skip it.
_TMP_PREFIX = f".{DATA_FILE}."


def report_sql(name: str, attribution_window_days: int) -> str:
    """The DuckDB text of report ``name`` with its parameters filled in."""
    from taxiway.sql.transpile import load_sql, placeholders, render_report

    wanted = placeholders(load_sql(name))
    params = {"attribution_window_days": attribution_window_days}
    return render_report(name, "duckdb", **{k: v for k, v in params.items() if k in wanted})


def build_reports(
    con: Any,
    reports_dir: str | None,
    attribution_window_days: int,
    only: Iterable[str] | None = None,
) -> dict[str, int]:
    """(Re)build the reports in ``con``; write Parquet copies under ``reports_dir``.

    ``only`` restricts the run to some report names. Returns ``{report: row count}``.
    """
    from taxiway.sql.transpile import report_names

    names = report_names()
    selected = names if only is None else list(dict.fromkeys(only))
    unknown = [n for n in selected if n not in names]
    if unknown:
        raise UsageError(f"Report `{unknown[0]}` does not exist; choose one of {', '.join(names)}.")
    if isinstance(attribution_window_days, bool) or attribution_window_days < 0:
        raise UsageError(
            f"`attribution_window_days` must be a non-negative integer, got "
            f"`{attribution_window_days!r}`; fix `pipeline.attribution_window_days`."
        )
    _require_inputs(con)
    counts: dict[str, int] = {}
    for name in selected:
        sql = report_sql(name, attribution_window_days)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
        row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        counts[name] = int(row[0])
        if reports_dir is not None:
            write_parquet(con, name, Path(reports_dir) / name / DATA_FILE)
    return counts


def write_parquet(con: Any, table: str, final: Path) -> Path:
    """Copy ``table`` to ``final`` as Parquet, atomically (temp file + ``os.replace``)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    for leftover in final.parent.glob(f"{_TMP_PREFIX}*"):
        # a run that crashed between COPY and os.replace; its file is incomplete or stale
        leftover.unlink(missing_ok=True)
    tmp = final.with_name(f"{_TMP_PREFIX}{secrets.token_hex(4)}.tmp")
    try:
        con.execute(
            f'COPY (SELECT * FROM "{table}") TO {literal(str(tmp))} '
            "(FORMAT parquet, COMPRESSION zstd)"
        )
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final


def _require_inputs(con: Any) -> None:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_catalog = current_database()"
    ).fetchall()
    present = {str(r[0]).lower() for r in rows}
    missing = [t for t in ("events", "quarantine", "hourly_counts") if t not in present]
    if missing:
        raise DataError(
            f"Table or view `{missing[0]}` is missing from the DuckDB connection; register the "
            "lake first (`taxiway run` does, or DuckDBCatalog.register in code)."
        )
