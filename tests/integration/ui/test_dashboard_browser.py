"""`taxiway dashboard` in headless Chromium: the page shows the warehouse's numbers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "taxiway.cli.app"]


def _warehouse(lake: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _wait_for_charts(driver: Any, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    ready = total = None
    while time.monotonic() < deadline:
        ready, total = driver.execute_script(
            "return [document.body.dataset.chartsReady, document.body.dataset.chartsTotal]"
        )
        if ready == total and total not in (None, "0"):
            return
        time.sleep(0.5)
    raise AssertionError(f"only {ready} of {total} charts drew within {timeout} s")


@pytest.fixture(scope="module")
def dashboard(lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built by the CLI, into a folder apart from the lake (the file must stand alone)."""
    out = tmp_path_factory.mktemp("dashboard") / "dash.html"
    proc = subprocess.run(
        [*CLI, "dashboard", "--data-dir", str(lake), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stderr
    return out


def test_dashboard_shows_the_warehouse_numbers(
    browser: Any, dashboard: Path, lake: Path, screenshot: Any
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(dashboard.as_uri())
    _wait_for_charts(browser)
    # nothing was fetched: the page (and plotly.js) is all in the one file
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    [(imp, clk, conv, rev)] = _warehouse(
        lake,
        "SELECT sum(impressions), sum(clicks), sum(conversions), sum(revenue) "
        "FROM campaign_daily_kpis",
    )
    assert imp > 1000 and conv > 0
    expected = {
        "impressions": f"{imp:,}",
        "clicks": f"{clk:,}",
        "conversions": f"{conv:,}",
        "revenue": f"{float(rev):,.2f}",
        "ctr": f"{clk / imp * 100:.2f}%",
        "cvr": f"{conv / clk * 100:.2f}%",
    }
    for key, text in expected.items():
        card = browser.find_element(By.ID, f"kpi-{key}")
        assert card.find_element(By.CLASS_NAME, "kpi-total").text == text, key
    assert float(browser.find_element(By.ID, "kpi-revenue").get_attribute("data-total")) == (
        pytest.approx(float(rev), abs=0.01)
    )
    # day-over-day: the latest event date against the day before, from the report
    [(latest_imp,), (previous_imp,)] = _warehouse(
        lake,
        "SELECT sum(impressions) FROM campaign_daily_kpis GROUP BY event_date "
        "ORDER BY event_date DESC LIMIT 2",
    )
    card = browser.find_element(By.ID, "kpi-impressions")
    assert card.get_attribute("data-latest") == str(latest_imp)
    assert float(card.get_attribute("data-change")) == pytest.approx(
        (latest_imp - previous_imp) / previous_imp
    )

    # quarantine: the page's total, the chart's bars, the table and the run counts agree
    [(quarantine_rows,)] = _warehouse(lake, "SELECT count(*) FROM quarantine")
    [(quarantined, received)] = _warehouse(
        lake, "SELECT sum(quarantined), sum(received) FROM data_quality_hourly"
    )
    assert quarantine_rows == quarantined > 0
    shown = browser.find_element(By.ID, "quarantine-total")
    assert shown.text == f"{quarantine_rows:,}"
    bars = browser.execute_script("return document.getElementById('chart-reasons').data[0].x")
    assert sum(bars) == quarantine_rows
    stacked = browser.execute_script(
        "return document.getElementById('chart-hours').data.map(t => t.y)"
    )
    assert sum(sum(t) for t in stacked) == received
    assert browser.find_element(By.ID, "total-received").get_attribute("data-value") == str(
        received
    )

    # conservation per run: both runs balance, and the page says so
    runs = browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
    assert len(runs) == 2
    assert all(r.get_attribute("data-balanced") == "true" for r in runs)
    assert browser.find_element(By.ID, "conservation").get_attribute("data-unbalanced") == "0"

    # late events: the chart holds the warehouse's count per event date
    late = _warehouse(
        lake,
        "SELECT CAST(event_date AS VARCHAR), count(*) FROM events "
        "WHERE event_date < CAST(landing_hour AS DATE) GROUP BY 1 ORDER BY 1",
    )
    assert late, "the lake was generated with late events"
    drawn = browser.execute_script(
        "const t = document.getElementById('chart-late').data[0]; return [t.x, t.y]"
    )
    assert list(zip(*drawn, strict=True)) == [(d, n) for d, n in late]

    # the campaign table sorts by a column when its header is clicked
    header = browser.find_element(By.CSS_SELECTOR, "#campaigns th[data-col='clicks']")
    header.click()
    values = [
        int(td.get_attribute("data-value"))
        for td in browser.find_elements(By.CSS_SELECTOR, "#campaigns tbody tr td:nth-child(3)")
    ]
    [(campaigns,)] = _warehouse(lake, "SELECT count(DISTINCT campaign_id) FROM campaign_daily_kpis")
    assert len(values) == campaigns and values == sorted(values, reverse=True)

    shot = screenshot(browser, "dashboard")
    assert shot.stat().st_size > 50_000


def test_dashboard_without_a_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*CLI, "dashboard", "--data-dir", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 2
    assert "No warehouse at" in proc.stderr and "taxiway demo" in proc.stderr


def test_dashboard_of_an_empty_lake_says_so(tmp_path: Path) -> None:
    """A warehouse with no events yet still gives a page: n/a KPIs, zero totals."""
    from datetime import UTC, datetime

    from taxiway import config
    from taxiway.dashboard import build
    from taxiway.pipeline.local import curate_hours, refresh_catalog

    settings = config.load()
    curate_hours(settings, "local", tmp_path, [datetime(2026, 11, 29, 5, tzinfo=UTC)])
    refresh_catalog(settings, tmp_path)
    html = build(tmp_path / "warehouse.duckdb", tmp_path / "out" / "d.html").read_text()
    assert 'id="kpi-revenue" data-kpi="revenue" data-total=""' in html
    assert 'id="total-received" data-value="0"' in html
    assert 'id="quarantine-total"\ndata-value="0"' in html
