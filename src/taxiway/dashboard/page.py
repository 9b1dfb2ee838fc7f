"""Lay the dashboard's data out as one self-contained HTML page (no network needed).

Numbers are written into the HTML on the server side (KPI cards, tables), each with a
``data-*`` attribute holding the exact value, so the page reads without JavaScript and a
browser test can compare it with the warehouse. The charts are Plotly, whose
``plotly.min.js`` (shipped in the ``plotly`` wheel) is inlined: the file works offline and
from any folder. When every chart has drawn, ``<body data-charts-ready="N">`` is set.
"""

from __future__ import annotations

import html
import json
from typing import Any

from taxiway.dashboard.data import KPIS, DashboardData
from taxiway.errors import MissingDependencyError

RATES = {"ctr", "cvr"}


def asset(name: str) -> str:
    """A file of ``taxiway/dashboard/assets`` (the page's CSS and script), as text."""
    from importlib import resources

    return (resources.files("taxiway.dashboard") / "assets" / name).read_text("utf-8")


def plotly_js() -> str:
    """The text of ``plotly.min.js`` from the installed ``plotly`` package."""
    from importlib import resources

    try:
        return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise MissingDependencyError("plotly", "dashboard") from exc


def fmt(key: str, value: float | None) -> str:
    """Display text of a KPI or table value."""
    if value is None:
        return "n/a"
    if key in RATES:
        return f"{value * 100:.2f}%"
    if key == "revenue":
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _change(latest: float | None, previous: float | None) -> float | None:
    if latest is None or not previous:
        return None
    return (latest - previous) / previous


def _kpi_cards(data: DashboardData) -> str:
    latest = data.dates[-1] if data.dates else None
    previous = data.dates[-2] if len(data.dates) > 1 else None
    cards = []
    for key, label in KPIS:
        total = data.kpi_totals.get(key)
        now = data.kpis_by_date[latest][key] if latest else None
        before = data.kpis_by_date[previous][key] if previous else None
        change = _change(now, before) if previous in data.landing_dates else None
        if previous and previous not in data.landing_dates:
            # a day that only late events reached is no baseline: +50,000% says nothing
            delta = f'<span class="delta flat">{previous}: late events only</span>'
        elif change is None:
            delta = '<span class="delta flat">no previous day</span>'
        else:
            cls = "up" if change > 0 else ("down" if change < 0 else "flat")
            arrow = {"up": "&#9650;", "down": "&#9660;", "flat": "&#9644;"}[cls]
            delta = f'<span class="delta {cls}">{arrow} {change * 100:+.1f}% vs {previous}</span>'
        cards.append(
            f'<div class="card kpi" id="kpi-{key}" data-kpi="{key}" data-total="{_num(total)}" '
            f'data-latest="{_num(now)}" data-previous="{_num(before)}" '
            f'data-change="{_num(change)}">'
            f'<div class="label">{label}</div>'
            f'<div class="value">{fmt(key, now)}</div>{delta}'
            f'<div class="total">all days: <b class="kpi-total">{fmt(key, total)}</b></div></div>'
        )
    return "\n".join(cards)


def _num(value: float | None) -> str:
    return "" if value is None else repr(value)


def _table(table_id: str, columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> str:
    """A sortable table: each cell keeps its raw value in ``data-value`` for sorting/tests."""
    head = "".join(
        f'<th data-col="{key}" class="{"num" if key != columns[0][0] else ""}">'
        f"{html.escape(label)}</th>"
        for key, label in columns
    )
    body = []
    for row in rows:
        cells = []
        for i, (key, _) in enumerate(columns):
            value = row[key]
            if i == 0:
                cells.append(
                    f'<td data-value="{html.escape(str(value))}">{html.escape(str(value))}</td>'
                )
            else:
                cells.append(f'<td class="num" data-value="{_num(value)}">{fmt(key, value)}</td>')
        body.append(f'<tr data-key="{html.escape(str(row[columns[0][0]]))}">{"".join(cells)}</tr>')
    return (
        f'<table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _runs_table(data: DashboardData) -> str:
    rows = []
    for r in data.runs:
        ok = bool(r["balanced"])
        mark = (
            '<span class="ok">&#10004; balanced</span>'
            if ok
            else '<span class="bad">&#10008; off</span>'
        )
        rows.append(
            f'<tr data-run="{html.escape(r["run_id"])}" data-balanced="{str(ok).lower()}">'
            f"<td>{html.escape(r['run_id'])}</td><td>{html.escape(r['engine'] or '')}</td>"
            f"<td>{html.escape(r['finished_at'] or '')}</td>"
            + "".join(
                f'<td class="num">{int(r[k]):,}</td>'
                for k in ("input_records", "curated_new", "duplicates", "quarantined")
            )
            + f"<td>{mark}</td></tr>"
        )
    return (
        '<table id="runs"><thead><tr><th>run</th><th>engine</th><th>finished (UTC)</th>'
        '<th class="num">input</th><th class="num">curated</th><th class="num">duplicates</th>'
        '<th class="num">quarantined</th><th>input = curated + dup. + quar.</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _json_for_script(value: Any) -> str:
    # "</" would end the <script> element early; JSON allows the escaped form
    return json.dumps(value, default=str).replace("</", "<\\/")


def render(data: DashboardData, js: str | None = None) -> str:
    """The whole page as one string; ``js`` defaults to the installed plotly.min.js."""
    t = data.totals
    charts = {
        "hours": data.hours,
        "reasons": data.quarantine_by_reason,
        "funnel": data.funnel,
        "attribution": data.attribution,
        "late": data.late_by_date,
    }
    campaign_cols = [
        ("campaign", "campaign"),
        ("impressions", "impressions"),
        ("clicks", "clicks"),
        ("ctr", "CTR"),
        ("conversions", "conversions"),
        ("cvr", "CVR"),
        ("revenue", "revenue"),
    ]
    latest = data.dates[-1] if data.dates else "no data"
    summary = (
        f'<span id="total-received" data-value="{t["received"]}">{t["received"]:,}</span> received, '
        f'<span id="total-curated" data-value="{t["curated"]}">{t["curated"]:,}</span> curated, '
        f'<span id="total-duplicates" data-value="{t["duplicates"]}">{t["duplicates"]:,}</span> '
        "duplicates, "
        f'<span id="total-quarantined" data-value="{t["quarantined"]}">{t["quarantined"]:,}</span> '
        f"quarantined in {len(data.hours)} landing hours; "
        f'<span id="total-late" data-value="{t["late_events"]}">{t["late_events"]:,}</span> late '
        "events curated."
    )
    unbalanced = t["unbalanced_runs"]
    conservation = (
        f'<p class="ok" id="conservation" data-unbalanced="{unbalanced}">&#10004; every run '
        f"balances: input = curated + duplicates + quarantined ({t['runs']} runs)</p>"
        if unbalanced == 0
        else f'<p class="bad" id="conservation" data-unbalanced="{unbalanced}">&#10008; '
        f"{unbalanced} of {t['runs']} runs do not balance</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>taxiway dashboard</title>
<style>{asset("dashboard.css")}</style>
<script>{js if js is not None else plotly_js()}</script>
</head>
<body data-charts-ready="0" data-charts-total="{len(charts)}">
<header><h1>taxiway</h1>
<p class="meta">warehouse <code>{html.escape(data.warehouse)}</code> &middot; built
{html.escape(data.generated_at)} &middot; event dates {html.escape(data.dates[0] if data.dates else "-")}
&hellip; {html.escape(latest)}</p></header>
<main>
<section><h2>Headline KPIs <small>latest event date {html.escape(latest)}, change vs the day
before; campaign traffic only</small></h2>
<div class="kpis">{_kpi_cards(data)}</div></section>
<section class="grid2">
<div class="card"><h2>Campaigns <small>all days; click a header to sort</small></h2>
<div class="scroll">{_table("campaigns", campaign_cols, data.campaigns)}</div></div>
<div class="card"><h2>Daily funnel <small>distinct users; click a date in the legend</small></h2>
<div class="chart" id="chart-funnel"></div></div>
</section>
<div class="card"><h2>Last-click attribution <small>revenue by campaign, all days; grey:
conversions with no click in the window</small></h2>
<div class="chart" id="chart-attribution"></div></div>
<section><h2>Pipeline health</h2><p class="meta" id="health-summary">{summary}</p>
<div class="card"><h3>Records per landing hour <small>curated + duplicates + quarantined =
received</small></h3><div class="chart" id="chart-hours"></div></div>
<div class="grid2">
<div class="card"><h3>Quarantine by reason <small><span id="quarantine-total"
data-value="{t["quarantine_rows"]}">{t["quarantine_rows"]:,}</span> records in
<code>quarantine/</code></small></h3><div class="chart" id="chart-reasons"></div></div>
<div class="card"><h3>Late events <small>curated events dated before their landing hour's
day, by event date</small></h3><div class="chart" id="chart-late"></div></div>
</div>
<div class="card"><h3>Conservation check per run</h3>{conservation}
<div class="scroll">{_runs_table(data)}</div></div>
</section>
</main>
<script type="application/json" id="dashboard-data">{_json_for_script(charts)}</script>
<script>{asset("dashboard.js")}</script>
</body></html>
"""
