"""build_reports: tables, atomic Parquet copies, the golden DuckDB text running, errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from reports_helpers import add_event_fixture, con_fixture  # noqa: F401 - used by name

from taxiway.errors import DataError, UsageError
from taxiway.events import contract
from taxiway.pipeline.reports import build_reports, report_sql
from taxiway.sql.transpile import report_names

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "sql_golden"

EXPECTED_TYPES = {
    "campaign_daily_kpis": {
        "event_date": "DATE",
        "campaign_id": "VARCHAR",
        "impressions": "BIGINT",
        "clicks": "BIGINT",
        "ctr": "DOUBLE",
        "unique_users": "BIGINT",
        "conversions": "BIGINT",
        "cvr": "DOUBLE",
        "revenue": "DECIMAL(18,4)",
    },
    "attribution_last_click": {
        "conversion_date": "DATE",
        "campaign_id": "VARCHAR",
        "conversions": "BIGINT",
        "revenue": "DECIMAL(18,4)",
    },
    "daily_funnel": {
        "event_date": "DATE",
        "page_view_users": "BIGINT",
        "add_to_cart_users": "BIGINT",
        "conversion_users": "BIGINT",
        "view_to_cart_rate": "DOUBLE",
        "cart_to_conversion_rate": "DOUBLE",
        "view_to_conversion_rate": "DOUBLE",
    },
}


def _small_input(add_event: Any, con: Any) -> None:
    add_event("e1", "impression", "2026-11-20T09:00:00", "a1", campaign_id="c1")
    add_event("e2", "click", "2026-11-20T09:01:00", "a1", campaign_id="c1")
    add_event("e3", "page_view", "2026-11-20T09:02:00", "a1", campaign_id="c1")
    add_event("e4", "conversion", "2026-11-20T09:03:00", "a1", campaign_id="c1", revenue="12.5")
    add_event("e5", "conversion", "2026-11-20T10:00:00", "a2", revenue="3")
    con.execute(
        "INSERT INTO hourly_counts VALUES (TIMESTAMP '2026-11-20 09:00', 'r1', 6, 5, 0, 1, NULL)"
    )
    con.execute(
        "INSERT INTO quarantine VALUES "
        "(TIMESTAMP '2026-11-20 09:00', 'f', 4, 'x', 'malformed-json', 'd', 'r1')"
    )


def test_empty_inputs_give_empty_reports_with_the_contract_types(con: Any) -> None:
    assert build_reports(con, None, attribution_window_days=7) == dict.fromkeys(report_names(), 0)
    for table, types in EXPECTED_TYPES.items():
        got = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        assert got == types, table
    quality = {r[0]: r[1] for r in con.execute("DESCRIBE data_quality_hourly").fetchall()}
    assert quality["landing_hour"] == "TIMESTAMP"
    assert quality["balanced"] == "BOOLEAN"
    assert quality["quarantine_rate"] == "DOUBLE"
    assert {k for k in quality if k.startswith("quarantined_")} == {
        f"quarantined_{r.replace('-', '_')}" for r in contract.REASONS
    }


@pytest.mark.parametrize("name", report_names())
def test_golden_duckdb_text_runs_and_is_what_build_reports_runs(
    name: str, con: Any, add_event: Any
) -> None:
    golden = (GOLDEN / f"{name}.duckdb.sql").read_text(encoding="utf-8")
    assert report_sql(name, attribution_window_days=7) + "\n" == golden
    assert con.execute(golden).fetchall() == []  # empty inputs
    _small_input(add_event, con)
    direct = con.execute(golden).fetchall()
    assert direct, f"{name} gave no rows on non-empty input"
    build_reports(con, None, attribution_window_days=7, only=[name])
    assert con.execute(f"SELECT * FROM {name}").fetchall() == direct


def test_parquet_copies_are_written_and_replaced(con: Any, add_event: Any, tmp_path: Path) -> None:
    _small_input(add_event, con)
    out = tmp_path / "reports"
    counts = build_reports(con, str(out), attribution_window_days=7)
    assert counts == {
        "attribution_last_click": 2,  # c1 and unattributed
        "campaign_daily_kpis": 1,
        "daily_funnel": 1,
        "data_quality_hourly": 1,
    }
    for name, n in counts.items():
        path = out / name / "data.parquet"
        assert con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0] == n
        assert sorted(p.name for p in path.parent.iterdir()) == ["data.parquet"]
    kpis = out / "campaign_daily_kpis" / "data.parquet"
    assert con.execute(f"SELECT revenue, ctr FROM read_parquet('{kpis}')").fetchone() == (
        pytest.approx(12.5),
        1.0,
    )
    # a rerun over more data replaces the file; a crashed run's temp file is cleaned up
    leftover = kpis.with_name(".data.parquet.deadbeef.tmp")
    leftover.write_bytes(b"half a file")
    add_event("e6", "impression", "2026-11-21T09:00:00", "a3", campaign_id="c2")
    assert build_reports(con, str(out), 7, only=["campaign_daily_kpis"]) == {
        "campaign_daily_kpis": 2
    }
    assert con.execute(f"SELECT count(*) FROM read_parquet('{kpis}')").fetchone()[0] == 2
    assert not leftover.exists()


def test_a_failed_publish_leaves_the_previous_file(
    con: Any, add_event: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_input(add_event, con)
    out = tmp_path / "reports"
    build_reports(con, str(out), 7, only=["daily_funnel"])
    final = out / "daily_funnel" / "data.parquet"
    before = final.read_bytes()
    add_event("e7", "page_view", "2026-11-22T09:00:00", "a9")

    def crash(src: Any, dst: Any) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk went away"):
        build_reports(con, str(out), 7, only=["daily_funnel"])
    monkeypatch.undo()
    assert final.read_bytes() == before
    assert [p.name for p in final.parent.iterdir()] == ["data.parquet"]
    assert con.execute(f"SELECT count(*) FROM read_parquet('{final}')").fetchone()[0] == 1


def test_missing_input_table_is_a_data_error(con: Any) -> None:
    con.execute("DROP TABLE hourly_counts")
    with pytest.raises(DataError, match=r"`hourly_counts` is missing"):
        build_reports(con, None, attribution_window_days=7)


def test_views_count_as_inputs(con: Any) -> None:
    con.execute("ALTER TABLE events RENAME TO raw_events")
    con.execute("CREATE VIEW events AS SELECT * FROM raw_events")
    assert build_reports(con, None, 7, only=["daily_funnel"]) == {"daily_funnel": 0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"only": ["campaign_kpis"]}, r"Report `campaign_kpis` does not exist; choose one of"),
        ({"attribution_window_days": -1}, r"`attribution_window_days` must be a non-negative"),
    ],
)
def test_bad_arguments_are_usage_errors(con: Any, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"attribution_window_days": 7, **kwargs}
    with pytest.raises(UsageError, match=message):
        build_reports(con, None, **args)


def test_reports_over_the_local_catalog_views(tmp_path: Path) -> None:
    # the real catalog's views (hourly_counts there has extra columns and a TIMESTAMPTZ
    # finished_at) on an empty lake: every report builds and is written
    from taxiway.catalog.local import DuckDBCatalog
    from taxiway.lake.layout import Lake

    catalog = DuckDBCatalog(Lake(tmp_path, "events"))
    assert catalog.refresh(attribution_window_days=7) == dict.fromkeys(report_names(), 0)
    for name in report_names():
        assert (tmp_path / "reports" / name / "data.parquet").is_file()
