"""Golden tests: each report's DuckDB and Spark text is checked in and compared.

After an intended change to a report or a sqlglot upgrade, rewrite the files with
``TAXIWAY_UPDATE_GOLDEN=1 uv run pytest tests/unit/sql`` and review the diff: a changed
translation is exactly what these files exist to show.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from taxiway.sql.transpile import load_sql, placeholders, render_report, report_names

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "sql_golden"
DIALECTS = ("duckdb", "spark")
#: The parameter values the golden text is rendered with (taxiway.yaml's defaults).
PARAMS = {"attribution_window_days": 7}
UPDATE = os.environ.get("TAXIWAY_UPDATE_GOLDEN") == "1"


def _render(name: str, dialect: str) -> str:
    wanted = placeholders(load_sql(name))
    return render_report(name, dialect, **{k: v for k, v in PARAMS.items() if k in wanted}) + "\n"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", report_names())
def test_transpiled_text_matches_golden(name: str, dialect: str) -> None:
    path = GOLDEN / f"{name}.{dialect}.sql"
    text = _render(name, dialect)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing {path}; create it with TAXIWAY_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} ({dialect}) translates differently from {path.name}; if intended, rerun with "
        "TAXIWAY_UPDATE_GOLDEN=1 and review the diff"
    )


def test_no_stale_golden_files() -> None:
    expected = {f"{n}.{d}.sql" for n in report_names() for d in DIALECTS}
    assert {p.name for p in GOLDEN.glob("*.sql")} == expected


def test_the_four_reports_exist() -> None:
    assert report_names() == [
        "attribution_last_click",
        "campaign_daily_kpis",
        "daily_funnel",
        "data_quality_hourly",
    ]
