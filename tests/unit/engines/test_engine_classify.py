"""Every reason code on hand-written lines, through the real DuckDB classification SQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from taxiway.engines.base import CurateRequest
from taxiway.engines.duckdb import DuckDBEngine
from taxiway.lake.layout import Lake
from taxiway.lake.publish import Publisher

HOUR = datetime(2026, 11, 23, 5, tzinfo=UTC)


def good(**over: object) -> dict[str, object]:
    ev: dict[str, object] = {
        "event_id": "e1",
        "event_type": "click",
        "event_ts": "2026-11-23T05:10:00Z",
        "received_ts": "2026-11-23T05:10:01Z",
        "anonymous_id": "a1",
        "campaign_id": "cmp-1",
        "properties": {"k": 1},
    }
    ev.update(over)
    return {k: v for k, v in ev.items() if v is not _DROP}


_DROP = object()


def _out_of_range(json_type: str) -> str:
    return f"field `revenue` is {json_type} (NaN, Infinity or out of DECIMAL(18,4) range)"


CASES: list[tuple[str, str | None, str]] = [
    (json.dumps(good()), None, ""),
    (json.dumps(good(revenue="12.50", event_type="conversion")), None, ""),
    (json.dumps(good(revenue=12.5, event_type="conversion")), None, ""),
    (json.dumps(good(user_id=None, referrer=None)), None, ""),
    ('{"event_id": "x", "event_type": ', "malformed-json", "not valid JSON"),
    ("[1, 2, 3]", "malformed-json", "not an object"),
    ("", "malformed-json", "not valid JSON"),
    (json.dumps(good(event_id=_DROP)), "missing-required-field", "missing `event_id`"),
    (json.dumps(good(anonymous_id="")), "missing-required-field", "missing `anonymous_id`"),
    (json.dumps(good(event_ts=None)), "missing-required-field", "missing `event_ts`"),
    (json.dumps(good(anonymous_id=123)), "wrong-type", "field `anonymous_id` is ubigint"),
    (json.dumps(good(revenue="lots")), "wrong-type", "field `revenue` is varchar"),
    (json.dumps(good(properties="n/a")), "wrong-type", "field `properties` is varchar"),
    # a JSON number that is no DECIMAL(18,4) value is quarantined, not a NULL revenue
    (json.dumps(good()).replace("}}", '}, "revenue": NaN}'), "wrong-type", _out_of_range("double")),
    (json.dumps(good(revenue=-1e30)), "wrong-type", _out_of_range("double")),
    (json.dumps(good(revenue=10**14)), "wrong-type", _out_of_range("ubigint")),
    (json.dumps(good(revenue=-(10**14) + 1)), None, ""),
    (json.dumps(good(properties=[1])), "wrong-type", "field `properties` is array"),
    (json.dumps(good(event_type="hover")), "unknown-event-type", "event_type `hover`"),
    (json.dumps(good(event_ts="yesterday")), "bad-timestamp", "event_ts `yesterday`"),
    (json.dumps(good(event_ts="2026-02-30T10:00:00Z")), "bad-timestamp", "event_ts"),
    (json.dumps(good(event_ts="2026-11-23")), "bad-timestamp", "event_ts `2026-11-23`"),
    (json.dumps(good(received_ts="soon")), "bad-timestamp", "received_ts `soon`"),
    (json.dumps(good(event_ts="2026-11-01T05:00:00Z")), "too-late", "more than 7 days"),
    (json.dumps(good(event_ts="2026-11-23T07:00:00Z")), None, ""),  # end + 1 h: still kept
    (
        json.dumps(good(event_ts="2026-11-23T07:00:01Z")),
        "future-timestamp",
        "event_ts `2026-11-23T07:00:01Z` is more than 1 hour(s) after its landing hour ends",
    ),
]


def _curate(tmp_path: Path, lines: list[str]) -> tuple[object, object]:
    lake = Lake(tmp_path)
    path = lake.landing_file(HOUR, 0, 0, gz=False)
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    request = CurateRequest("r1", [HOUR], {HOUR: [path]}, late_event_lookback_days=7)
    publisher = Publisher("r1")
    result = DuckDBEngine(threads=1).curate(request, lake, publisher)
    publisher.publish()
    return lake, result


def test_each_line_gets_its_reason_and_detail(tmp_path: Path) -> None:
    import duckdb

    lines = []
    for i, (line, _, _) in enumerate(CASES):
        # give every valid-looking line its own event_id so no case is a duplicate
        lines.append(line.replace('"e1"', f'"e{i}"'))
    lake, result = _curate(tmp_path, lines)
    rows = duckdb.sql(
        f"SELECT line_number, reason, detail, raw_line FROM '{lake.quarantine_file(HOUR)}'"
    ).fetchall()
    got = {n: (reason, detail, raw) for n, reason, detail, raw in rows}
    for i, (line, reason, detail) in enumerate(CASES, start=1):
        if reason is None:
            assert i not in got, f"line {i} should be valid, got {got.get(i)}"
        else:
            assert got[i][0] == reason, f"line {i}: {line}"
            assert detail in got[i][1], got[i][1]
            assert got[i][2] == lines[i - 1], "the raw line is kept verbatim"
    counts = result.hours[HOUR]
    assert counts.input_records == len(CASES)
    assert counts.curated_new == sum(1 for _, r, _ in CASES if r is None)
    assert counts.quarantined == sum(1 for _, r, _ in CASES if r is not None)
    assert counts.balanced


def test_offsets_convert_to_utc_and_pick_the_utc_date(tmp_path: Path) -> None:
    import duckdb

    lines = [
        json.dumps(good(event_id="a", event_ts="2026-11-23T00:30:00+02:00")),  # 22:30 on the 22nd
        json.dumps(good(event_id="b", event_ts="2026-11-22T23:30:00-01:00")),  # 00:30 on the 23rd
        json.dumps(good(event_id="c", event_ts="2026-11-23T05:00:00.123456Z")),
    ]
    lake, _ = _curate(tmp_path, lines)
    rows = dict(
        duckdb.sql(
            f"SELECT event_id, event_date FROM read_parquet('{lake.events_dir}/*/*.parquet')"
        ).fetchall()
    )
    assert rows == {"a": date(2026, 11, 22), "b": date(2026, 11, 23), "c": date(2026, 11, 23)}


def test_duplicates_within_a_file_keep_the_first_line(tmp_path: Path) -> None:
    import duckdb

    first = json.dumps(good(event_id="d", campaign_id="first"))
    second = json.dumps(good(event_id="d", campaign_id="second"))
    lake, result = _curate(tmp_path, [first, second, first])
    rows = duckdb.sql(f"SELECT campaign_id FROM read_parquet('{lake.events_dir}/*/*.parquet')")
    assert rows.fetchall() == [("first",)]
    assert result.hours[HOUR].duplicates == 2


@pytest.mark.parametrize("data", [b"\xff\xfe not utf8\n", b'{"event_id": "\xc3\x28"}\n'])
def test_invalid_utf8_is_quarantined_not_fatal(tmp_path: Path, data: bytes) -> None:
    import duckdb

    lake = Lake(tmp_path)
    path = lake.landing_file(HOUR, 0, 0, gz=False)
    path.parent.mkdir(parents=True)
    path.write_bytes(json.dumps(good()).encode() + b"\n" + data)
    request = CurateRequest("r1", [HOUR], {HOUR: [path]}, late_event_lookback_days=7)
    publisher = Publisher("r1")
    result = DuckDBEngine(threads=1).curate(request, lake, publisher)
    publisher.publish()
    assert result.hours[HOUR].curated_new == 1
    assert result.hours[HOUR].quarantined_by_reason == {"malformed-json": 1}
    reasons = duckdb.sql(f"SELECT reason FROM '{lake.quarantine_file(HOUR)}'").fetchall()
    assert reasons == [("malformed-json",)]


def test_the_future_tolerance_is_a_setting(tmp_path: Path) -> None:
    import duckdb

    from taxiway.config import parse

    settings = parse(
        {
            "pipeline": {"future_tolerance_hours": 3},
            "environments": {"local": {"target": "local", "engine": "duckdb"}},
        }
    )
    lines = [
        json.dumps(good(event_id="in", event_ts="2026-11-23T09:00:00Z")),  # end 06:00 + 3 h
        json.dumps(good(event_id="out", event_ts="2026-11-23T09:00:00.5Z")),
    ]
    lake = Lake(tmp_path)
    path = lake.landing_file(HOUR, 0, 0, gz=False)
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    request = CurateRequest("r1", [HOUR], {HOUR: [path]}, late_event_lookback_days=7)
    engine = DuckDBEngine(
        threads=1, future_tolerance_hours=settings.pipeline.future_tolerance_hours
    )
    publisher = Publisher("r1")
    result = engine.curate(request, lake, publisher)
    publisher.publish()
    assert result.hours[HOUR].quarantined_by_reason == {"future-timestamp": 1}
    details = duckdb.sql(f"SELECT detail FROM '{lake.quarantine_file(HOUR)}'").fetchall()
    assert details == [
        ("event_ts `2026-11-23T09:00:00.5Z` is more than 3 hour(s) after its landing hour ends",)
    ]
