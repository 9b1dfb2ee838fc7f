"""The per-hour run table fits a 100-column terminal, reasons and all."""

from __future__ import annotations

from rich.console import Console

from taxiway.cli import render
from taxiway.lake.manifest import RunManifest

REASONS = {
    "corrupt-file": 1_234,
    "malformed-json": 12_345,
    "missing-required-field": 9_876,
    "wrong-type": 8_765,
    "unknown-event-type": 4_321,
    "bad-timestamp": 7_654,
    "too-late": 321,
}


def _manifest(hours: int) -> RunManifest:
    per_hour = {
        f"2026-11-29T{h:02d}": {
            "input_records": 1_250_000,
            "curated_new": 1_200_000,
            "duplicates": 3_684,
            "quarantined": sum(REASONS.values()),
            "quarantined_by_reason": dict(REASONS),
        }
        for h in range(hours)
    }
    keys = ("input_records", "curated_new", "duplicates", "quarantined")
    totals = {k: sum(int(c[k]) for c in per_hour.values()) for k in keys}  # type: ignore[call-overload]
    return RunManifest(
        run_id="20261130T155216-c65741 +3 more",
        engine="duckdb",
        started_at="",
        finished_at="",
        hours=per_hour,
        totals=totals,
        new_rows_per_date={},
    )


def test_run_summary_fits_100_columns_with_every_reason(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    console = Console(width=100, record=True, force_terminal=False)
    monkeypatch.setattr(render, "console", console)
    render.run_summary(_manifest(24), "text")
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 100
    hour_rows = [line for line in lines if line.startswith("│ 2026-11-29T")]
    assert len(hour_rows) == 48  # one line per hour in each table: nothing wraps
    totals = [line for line in lines if line.startswith("│ total")]
    assert len(totals) == 2
    # the reasons table's total row adds up each reason over the 24 hours
    cells = [c.strip().replace(",", "") for c in totals[1].strip("│").split("│")]
    assert [int(c) for c in cells[1:]] == [24 * v for v in REASONS.values()]


def test_run_without_quarantine_prints_no_reasons_table(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    console = Console(width=100, record=True)
    monkeypatch.setattr(render, "console", console)
    manifest = _manifest(2)
    for counts in manifest.hours.values():
        counts["quarantined_by_reason"] = {}
    render.run_summary(manifest, "text")
    text = console.export_text()
    assert "quarantined by reason" not in text and "reasons:" not in text
