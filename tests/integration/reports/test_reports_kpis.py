"""Campaign KPIs, the daily funnel and data quality on hand-made input; expectations by hand."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from reports_helpers import add_event_fixture, con_fixture, fetch_fixture  # noqa: F401 - used by name

from taxiway.events import contract
from taxiway.pipeline.reports import build_reports

pytestmark = pytest.mark.integration

D1 = "2026-11-20"
D2 = "2026-11-21"


@pytest.fixture
def marketing(con: Any, add_event: Any) -> Any:
    """A dozen-odd events over two days and two campaigns plus organic traffic."""
    # cmp-a on D1: 4 impressions (users a1, a2, a3 and known user u1), 2 clicks, 1 conversion
    add_event("e01", "impression", f"{D1}T09:00:00", "a1", campaign_id="cmp-a")
    add_event("e02", "impression", f"{D1}T09:01:00", "a2", campaign_id="cmp-a")
    add_event("e03", "impression", f"{D1}T09:02:00", "a3", campaign_id="cmp-a")
    add_event("e04", "impression", f"{D1}T09:03:00", "a4", user_id="u1", campaign_id="cmp-a")
    add_event("e05", "click", f"{D1}T09:05:00", "a1", campaign_id="cmp-a")
    # u1 again from another device: still one user
    add_event("e06", "click", f"{D1}T09:06:00", "a7", user_id="u1", campaign_id="cmp-a")
    add_event("e07", "page_view", f"{D1}T09:07:00", "a1", campaign_id="cmp-a")
    add_event("e08", "page_view", f"{D1}T09:08:00", "a1", campaign_id="cmp-a")
    add_event("e09", "add_to_cart", f"{D1}T09:09:00", "a1", campaign_id="cmp-a")
    add_event("e10", "conversion", f"{D1}T09:10:00", "a1", campaign_id="cmp-a", revenue="25.50")
    # cmp-b on D1: 2 impressions, no clicks
    add_event("e11", "impression", f"{D1}T10:00:00", "b1", campaign_id="cmp-b")
    add_event("e12", "impression", f"{D1}T10:00:00", "b2", campaign_id="cmp-b")
    # organic on D1: not in campaign KPIs, but in the funnel
    add_event("e13", "page_view", f"{D1}T11:00:00", "o1")
    add_event("e14", "page_view", f"{D1}T11:00:00", "o2", user_id="u1")
    add_event("e15", "add_to_cart", f"{D1}T11:01:00", "o2", user_id="u1")
    add_event("e16", "conversion", f"{D1}T11:02:00", "o2", user_id="u1", revenue="9.99")
    # D2: a converter without page views; cmp-a gets a 1-impression day
    add_event("e17", "conversion", f"{D2}T08:00:00", "o3", revenue="1.00")
    add_event("e18", "impression", f"{D2}T08:00:00", "a1", campaign_id="cmp-a")
    return con


def test_campaign_daily_kpis(marketing: Any, fetch: Any) -> None:
    counts = build_reports(marketing, None, attribution_window_days=7)
    assert counts["campaign_daily_kpis"] == 3
    got = fetch("SELECT * FROM campaign_daily_kpis")
    assert got == [
        {
            "event_date": date(2026, 11, 20),
            "campaign_id": "cmp-a",
            "impressions": 4,
            "clicks": 2,
            "ctr": 0.5,  # 2 / 4
            "unique_users": 4,  # a1, a2, a3, u1 (u1 seen on a4 and a7)
            "conversions": 1,
            "cvr": 0.5,  # 1 / 2
            "revenue": Decimal("25.5000"),
        },
        {
            "event_date": date(2026, 11, 20),
            "campaign_id": "cmp-b",
            "impressions": 2,
            "clicks": 0,
            "ctr": 0.0,
            "unique_users": 2,
            "conversions": 0,
            "cvr": None,  # no clicks: undefined, not zero and not a division error
            "revenue": Decimal("0.0000"),
        },
        {
            "event_date": date(2026, 11, 21),
            "campaign_id": "cmp-a",
            "impressions": 1,
            "clicks": 0,
            "ctr": 0.0,
            "unique_users": 1,
            "conversions": 0,
            "cvr": None,
            "revenue": Decimal("0.0000"),
        },
    ]


def test_ctr_is_not_integer_division(con: Any, add_event: Any, fetch: Any) -> None:
    # 1 click / 3 impressions: Athena's integer division would give 0
    for i in range(3):
        add_event(f"i{i}", "impression", f"{D1}T09:00:0{i}", f"v{i}", campaign_id="c")
    add_event("k1", "click", f"{D1}T09:01:00", "v0", campaign_id="c")
    build_reports(con, None, attribution_window_days=7, only=["campaign_daily_kpis"])
    (row,) = fetch("SELECT ctr, cvr FROM campaign_daily_kpis")
    assert row["ctr"] == pytest.approx(1 / 3)
    assert row["cvr"] == 0.0


def test_daily_funnel(marketing: Any, fetch: Any) -> None:
    build_reports(marketing, None, attribution_window_days=7, only=["daily_funnel"])
    got = fetch("SELECT * FROM daily_funnel")
    assert got == [
        {
            "event_date": date(2026, 11, 20),
            "page_view_users": 3,  # a1 (twice), o1, u1
            "add_to_cart_users": 2,  # a1, u1
            "conversion_users": 2,  # a1, u1
            "view_to_cart_rate": pytest.approx(2 / 3),
            "cart_to_conversion_rate": 1.0,
            "view_to_conversion_rate": pytest.approx(2 / 3),
        },
        {
            "event_date": date(2026, 11, 21),
            "page_view_users": 0,
            "add_to_cart_users": 0,
            "conversion_users": 1,  # o3 converted without a recorded page view
            "view_to_cart_rate": None,
            "cart_to_conversion_rate": None,
            "view_to_conversion_rate": None,
        },
    ]


def _quarantine(con: Any, hour: str, reason: str, line: int | None) -> None:
    con.execute(
        "INSERT INTO quarantine VALUES (?, 'f.json.gz', ?, '{', ?, 'detail', 'run-1')",
        [datetime.fromisoformat(hour), line, reason],
    )


def _hour(con: Any, hour: str, received: int, curated: int, dupes: int, quarantined: int) -> None:
    con.execute(
        "INSERT INTO hourly_counts VALUES (?, 'run-1', ?, ?, ?, ?, TIMESTAMP '2026-11-21 00:00')",
        [datetime.fromisoformat(hour), received, curated, dupes, quarantined],
    )


def test_data_quality_hourly(con: Any, fetch: Any) -> None:
    _hour(con, "2026-11-20T10:00", received=10, curated=6, dupes=1, quarantined=3)
    _quarantine(con, "2026-11-20T10:00", "malformed-json", 3)
    _quarantine(con, "2026-11-20T10:00", "malformed-json", 7)
    _quarantine(con, "2026-11-20T10:00", "too-late", 9)
    _hour(con, "2026-11-20T11:00", received=5, curated=5, dupes=0, quarantined=0)
    # counts that do not add up (1 + 0 + 2 != 4) must show, not be hidden
    _hour(con, "2026-11-20T12:00", received=4, curated=1, dupes=0, quarantined=2)
    _quarantine(con, "2026-11-20T12:00", "corrupt-file", None)
    _quarantine(con, "2026-11-20T12:00", "bad-timestamp", 1)
    _quarantine(con, "2026-11-20T12:00", "wrong-type", 2)
    _quarantine(con, "2026-11-20T12:00", "future-timestamp", 3)
    build_reports(con, None, attribution_window_days=7, only=["data_quality_hourly"])
    got = fetch("SELECT * FROM data_quality_hourly")
    assert [r["landing_hour"] for r in got] == [datetime(2026, 11, 20, h) for h in (10, 11, 12)]
    first, second, third = got
    assert (first["received"], first["curated"], first["duplicates"]) == (10, 6, 1)
    assert first["quarantined"] == 3 and first["quarantine_rows"] == 3
    assert first["quarantine_rate"] == pytest.approx(0.3)
    assert first["balanced"] is True
    assert first["quarantined_malformed_json"] == 2
    assert first["quarantined_too_late"] == 1
    reason_columns = [k for k in first if k.startswith("quarantined_")]
    # one column per reason code of the contract (new reasons are appended, for BI users)
    assert set(reason_columns) == {f"quarantined_{r.replace('-', '_')}" for r in contract.REASONS}
    assert sum(first[k] for k in reason_columns) == 3
    assert second["quarantine_rate"] == 0.0 and second["balanced"] is True
    assert all(second[k] == 0 for k in reason_columns)
    assert third["balanced"] is False
    assert third["quarantined"] == 2 and third["quarantine_rows"] == 4  # the tables disagree
    assert (third["quarantined_corrupt_file"], third["quarantined_bad_timestamp"]) == (1, 1)
    assert third["quarantined_wrong_type"] == 1
    assert third["quarantined_future_timestamp"] == 1
    assert third["run_id"] == "run-1"
