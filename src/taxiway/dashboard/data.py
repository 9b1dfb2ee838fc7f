"""What the dashboard shows, read from the local warehouse as plain Python data.

Every figure comes from the warehouse file (`warehouse.duckdb`): the report tables
(`campaign_daily_kpis`, `attribution_last_click`, `daily_funnel`, `data_quality_hourly`)
and the lake views (`quarantine`, `runs`, `events`). The page module only lays these numbers
out, so a test can compare the page with the same queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway.errors import DataError, UsageError

REPORT_TABLES = (
    "campaign_daily_kpis",
    "attribution_last_click",
    "daily_funnel",
    "data_quality_hourly",
)

#: The headline KPIs: (key, label). Counts and revenue are sums; rates are ratios of sums.
KPIS = (
    ("impressions", "Impressions"),
    ("clicks", "Clicks"),
    ("ctr", "CTR"),
    ("conversions", "Conversions"),
    ("cvr", "CVR"),
    ("revenue", "Revenue"),
)


@dataclass(frozen=True)
class DashboardData:
    """Everything on the page; lists of dicts are table rows in display order."""

    warehouse: str
    generated_at: str
    dates: list[str]
    landing_dates: list[str]
    kpis_by_date: dict[str, dict[str, float | None]]
    kpi_totals: dict[str, float | None]
    campaigns: list[dict[str, Any]]
    funnel: list[dict[str, Any]]
    attribution: list[dict[str, Any]]
    hours: list[dict[str, Any]]
    quarantine_by_reason: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    late_by_date: list[dict[str, Any]]
    totals: dict[str, int] = field(default_factory=dict)


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _ratio(num: float | None, den: float | None) -> float | None:
    # NULL, not zero, when the denominator is zero: the reports' rule for rates
    return None if not den or num is None else float(num) / float(den)


def _kpis(row: dict[str, Any]) -> dict[str, float | None]:
    imp, clk, conv = int(row["impressions"]), int(row["clicks"]), int(row["conversions"])
    return {
        "impressions": imp,
        "clicks": clk,
        "ctr": _ratio(clk, imp),
        "conversions": conv,
        "cvr": _ratio(conv, clk),
        "revenue": round(float(row["revenue"]), 2),
    }


_CAMPAIGN_SUMS = """sum(impressions) AS impressions, sum(clicks) AS clicks,
    sum(conversions) AS conversions, CAST(sum(revenue) AS DOUBLE) AS revenue"""


def load(warehouse: Path) -> DashboardData:
    """Read every figure of the dashboard from ``warehouse`` (opened read-only)."""
    if not warehouse.is_file():
        raise UsageError(
            f"No warehouse at `{warehouse}`; run `taxiway demo` or `taxiway run` first."
        )
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise UsageError(
            f"Cannot open the warehouse `{warehouse}` ({exc}); is another process writing it?"
        ) from exc
    try:
        con.execute("SET TimeZone = 'UTC'")
        present = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        missing = [t for t in (*REPORT_TABLES, "quarantine", "runs", "events") if t not in present]
        if missing:
            raise DataError(
                f"The warehouse `{warehouse}` has no `{missing[0]}`; rebuild the reports with "
                "`taxiway run --from HOUR --to HOUR` (or `taxiway demo`)."
            )
        return _read(con, str(warehouse))
    finally:
        con.close()


def _read(con: Any, warehouse: str) -> DashboardData:
    from datetime import UTC, datetime

    daily = _rows(
        con,
        f"""SELECT CAST(event_date AS VARCHAR) AS d, {_CAMPAIGN_SUMS}
            FROM campaign_daily_kpis GROUP BY 1 ORDER BY 1""",
    )
    total = _rows(con, f"SELECT {_CAMPAIGN_SUMS} FROM campaign_daily_kpis")[0]
    campaigns = [
        {
            **r,
            "ctr": _ratio(r["clicks"], r["impressions"]),
            "cvr": _ratio(r["conversions"], r["clicks"]),
        }
        for r in _rows(
            con,
            f"""SELECT campaign_id AS campaign, {_CAMPAIGN_SUMS}
                FROM campaign_daily_kpis GROUP BY 1 ORDER BY revenue DESC, campaign""",
        )
    ]
    funnel = _rows(
        con,
        """SELECT CAST(event_date AS VARCHAR) AS date, page_view_users, add_to_cart_users,
                  conversion_users
           FROM daily_funnel ORDER BY event_date""",
    )
    attribution = _rows(
        con,
        """SELECT coalesce(campaign_id, '(unattributed)') AS campaign,
                  CAST(sum(conversions) AS BIGINT) AS conversions,
                  CAST(sum(revenue) AS DOUBLE) AS revenue
           FROM attribution_last_click GROUP BY 1 ORDER BY revenue DESC, campaign""",
    )
    hours = _rows(
        con,
        """SELECT strftime(landing_hour, '%Y-%m-%dT%H') AS hour, received, curated, duplicates,
                  quarantined, balanced
           FROM data_quality_hourly ORDER BY landing_hour""",
    )
    reasons = _rows(
        con,
        """SELECT reason, CAST(count(*) AS BIGINT) AS records
           FROM quarantine GROUP BY 1 ORDER BY records DESC, reason""",
    )
    runs = _rows(
        con,
        """SELECT run_id, engine, strftime(finished_at, '%Y-%m-%d %H:%M:%S') AS finished_at,
                  input_records, curated_new, duplicates, quarantined,
                  input_records = curated_new + duplicates + quarantined AS balanced
           FROM runs ORDER BY finished_at, run_id""",
    )
    # late: the event happened on a day before the landing hour that delivered it
    late = _rows(
        con,
        """SELECT CAST(event_date AS VARCHAR) AS date, CAST(count(*) AS BIGINT) AS events
           FROM events WHERE event_date < CAST(landing_hour AS DATE)
           GROUP BY 1 ORDER BY 1""",
    )
    quarantine_rows = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    curated_rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
    totals = {
        "received": sum(int(h["received"]) for h in hours),
        "curated": sum(int(h["curated"]) for h in hours),
        "duplicates": sum(int(h["duplicates"]) for h in hours),
        "quarantined": sum(int(h["quarantined"]) for h in hours),
        "quarantine_rows": int(quarantine_rows),
        "curated_rows": int(curated_rows),
        "late_events": sum(int(r["events"]) for r in late),
        "runs": len(runs),
        "unbalanced_runs": sum(1 for r in runs if not r["balanced"]),
    }
    return DashboardData(
        warehouse=warehouse,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        dates=[r["d"] for r in daily],
        landing_dates=sorted({h["hour"][:10] for h in hours}),
        kpis_by_date={r["d"]: _kpis(r) for r in daily},
        kpi_totals=_kpis(total) if total["impressions"] is not None else {},
        campaigns=campaigns,
        funnel=funnel,
        attribution=attribution,
        hours=hours,
        quarantine_by_reason=reasons,
        runs=runs,
        late_by_date=late,
        totals=totals,
    )
