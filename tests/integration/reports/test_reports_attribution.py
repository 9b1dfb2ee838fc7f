"""Last-click attribution edge cases on hand-made events; every expectation worked out by hand.

All conversions are on 2026-11-10 at 10:00 (one on 11-11) and each case has its own campaign
and revenue, so an aggregated row identifies which conversions were credited where.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from reports_helpers import add_event_fixture, con_fixture  # noqa: F401 - used by name

from taxiway.pipeline.reports import build_reports

pytestmark = pytest.mark.integration

CONV = "2026-11-10T10:00:00"
DAY = date(2026, 11, 10)


@pytest.fixture
def cases(con: Any, add_event: Any) -> Any:
    # outside the window: click 9 days earlier
    add_event("o-k", "click", "2026-11-01T10:00:00", "o1", campaign_id="cmp-old")
    add_event("o-c", "conversion", CONV, "o1", revenue="10")
    # exactly 7 days earlier: inside (the window is inclusive)
    add_event("b1-k", "click", "2026-11-03T10:00:00", "b1", campaign_id="cmp-edge")
    add_event("b1-c", "conversion", CONV, "b1", revenue="20")
    # 7 days and 1 second earlier: outside
    add_event("b2-k", "click", "2026-11-03T09:59:59", "b2", campaign_id="cmp-b2")
    add_event("b2-c", "conversion", CONV, "b2", revenue="30")
    # two clicks: the last one wins; a second conversion the next day still finds it
    add_event("l-k1", "click", "2026-11-08T10:00:00", "l1", campaign_id="cmp-first")
    add_event("l-k2", "click", "2026-11-09T10:00:00", "l1", campaign_id="cmp-second")
    add_event("l-c", "conversion", CONV, "l1", revenue="40")
    add_event("l-c2", "conversion", "2026-11-11T09:00:00", "l1", revenue="5")
    # a click after the conversion does not count
    add_event("f-c", "conversion", CONV, "f1", revenue="50")
    add_event("f-k", "click", "2026-11-10T10:00:01", "f1", campaign_id="cmp-after")
    # a click at the very same instant does ("at or before")
    add_event("s-k", "click", CONV, "s1", campaign_id="cmp-same")
    add_event("s-c", "conversion", CONV, "s1", revenue="60")
    # known user: clicked on one device, converted on another -> matched by user_id
    add_event("u-k", "click", "2026-11-09T12:00:00", "d1", user_id="u1", campaign_id="cmp-user")
    add_event("u-c", "conversion", CONV, "d2", user_id="u1", revenue="70")
    # anonymous visitor: matched by anonymous_id
    add_event("z-k", "click", "2026-11-09T12:00:00", "z1", campaign_id="cmp-anon")
    add_event("z-c", "conversion", CONV, "z1", revenue="80")
    # anonymous click, then logged in at conversion: the keys (m1 vs u9) differ -> unattributed
    add_event("m-k", "click", "2026-11-09T12:00:00", "m1", campaign_id="cmp-mixed")
    add_event("m-c", "conversion", CONV, "m1", user_id="u9", revenue="90")
    # two clicks at the same instant: the greater event_id wins, deterministically
    add_event("t-k-a", "click", "2026-11-09T12:00:00", "t1", campaign_id="cmp-tie-a")
    add_event("t-k-b", "click", "2026-11-09T12:00:00", "t1", campaign_id="cmp-tie-b")
    add_event("t-c", "conversion", CONV, "t1", revenue="100")
    # someone else's click never counts; an impression is not a click
    add_event("q-k", "click", "2026-11-09T12:00:00", "q2", campaign_id="cmp-other")
    add_event("q-i", "impression", "2026-11-09T12:00:00", "q1", campaign_id="cmp-impr")
    add_event("q-c", "conversion", CONV, "q1", revenue="110")
    return con


def _report(con: Any, window: int) -> dict[tuple[date, str | None], tuple[int, Decimal]]:
    counts = build_reports(
        con, None, attribution_window_days=window, only=["attribution_last_click"]
    )
    got = con.execute(
        "SELECT conversion_date, campaign_id, conversions, revenue FROM attribution_last_click"
    ).fetchall()
    assert counts["attribution_last_click"] == len(got)
    return {(d, c): (n, r) for d, c, n, r in got}


def test_seven_day_window(cases: Any) -> None:
    assert _report(cases, 7) == {
        (DAY, "cmp-edge"): (1, Decimal("20")),
        (DAY, "cmp-second"): (1, Decimal("40")),
        (DAY, "cmp-same"): (1, Decimal("60")),
        (DAY, "cmp-user"): (1, Decimal("70")),
        (DAY, "cmp-anon"): (1, Decimal("80")),
        (DAY, "cmp-tie-b"): (1, Decimal("100")),
        # o1 (too old), b2 (1 s too old), f1 (click after), m1 (keys differ), q1 (no click)
        (DAY, None): (5, Decimal("10") + 30 + 50 + 90 + 110),
        (date(2026, 11, 11), "cmp-second"): (1, Decimal("5")),
    }


def test_every_conversion_is_counted_once(cases: Any) -> None:
    result = _report(cases, 7)
    assert sum(n for n, _ in result.values()) == 12
    assert sum(r for _, r in result.values()) == Decimal(sum(range(10, 111, 10)) + 5)


def test_wider_window_credits_older_clicks(cases: Any) -> None:
    result = _report(cases, 10)
    assert result[(DAY, "cmp-old")] == (1, Decimal("10"))
    assert result[(DAY, "cmp-b2")] == (1, Decimal("30"))
    assert result[(DAY, None)] == (3, Decimal("50") + 90 + 110)


def test_zero_day_window_keeps_only_same_instant_clicks(cases: Any) -> None:
    result = _report(cases, 0)
    credited = {c for (_, c) in result if c is not None}
    assert credited == {"cmp-same"}
    assert result[(DAY, None)] == (10, Decimal(sum(range(10, 111, 10)) - 60))
    # l1's conversion on 11-11 has its last click 23 hours earlier: outside a 0-day window
    assert result[(date(2026, 11, 11), None)] == (1, Decimal("5"))


def test_two_conversions_of_one_user_are_both_credited(con: Any, add_event: Any) -> None:
    # two distinct conversion events of one user are two conversions, both credited
    add_event("k", "click", "2026-11-09T10:00:00", "a", campaign_id="cmp")
    add_event("c1", "conversion", CONV, "a", revenue="1.25")
    add_event("c2", "conversion", CONV, "a", revenue="2.50")
    assert _report(con, 7) == {(DAY, "cmp"): (2, Decimal("3.75"))}
