"""SparkEngine against DuckDBEngine and the generator's ground truth, row for row."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from spark_helpers import (  # noqa: F401 - fixtures are used by name
    ALL_HOURS,
    curated,
    generated_fixture,
    lake_copy_fixture,
    published,
    quarantine,
    rows,
    schema,
    spark_fixture,
)

from taxiway.engines.base import CurateRequest
from taxiway.engines.duckdb import DuckDBEngine
from taxiway.engines.spark import SparkEngine, check_java
from taxiway.errors import ToolchainError
from taxiway.events.generator import GroundTruth
from taxiway.lake.layout import Lake, format_hour
from taxiway.lake.publish import Publisher
from taxiway.pipeline.curate import curate


@pytest.mark.parametrize("classify", ["python", "native"])
def test_both_engines_equal_each_other_and_the_ground_truth(
    spark: Any, generated: tuple[Path, GroundTruth], lake_copy: Any, classify: str
) -> None:
    _, truth = generated
    duck_root, spark_root = lake_copy("duckdb"), lake_copy("spark")
    m_duck = curate(duck_root, ALL_HOURS, DuckDBEngine())
    m_spark = curate(spark_root, ALL_HOURS, SparkEngine(classify=classify))
    assert m_spark.engine == "spark"
    expected = {
        "input_records": truth.input_records,
        "curated_new": truth.curated,
        "duplicates": truth.duplicates,
        "quarantined": sum(truth.quarantined.values()),
    }
    assert m_spark.totals == expected == m_duck.totals
    assert m_spark.hours == m_duck.hours
    for hour, counts in m_spark.hours.items():
        assert counts["input_records"] == truth.per_hour[hour]["input"]
        assert counts["duplicates"] == truth.per_hour[hour].get("duplicates", 0)
    assert m_spark.new_rows_per_date == m_duck.new_rows_per_date == truth.curated_per_date
    assert m_spark.files_written == m_duck.files_written
    assert published(spark_root) == published(duck_root)
    spark_rows = curated(spark_root)
    assert len(spark_rows) == truth.curated
    assert spark_rows == curated(duck_root)
    q_spark, q_duck = quarantine(spark_root), quarantine(duck_root)
    assert q_spark == q_duck
    reasons: dict[str, int] = {}
    for _, _, reason, _ in q_spark.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    assert reasons == truth.quarantined
    corrupt = sorted(f for (f, line) in q_spark if line is None)
    assert corrupt == sorted(
        Path(c).relative_to(generated[0]).as_posix() for c in truth.corrupt_files
    )
    assert all("truncated" in q_spark[(f, None)][3] for f in corrupt)
    for glob in ("curated/events/*/*.parquet", "quarantine/*.parquet"):
        assert schema(f"{spark_root}/{glob}") == schema(f"{duck_root}/{glob}")
    assert not (spark_root / ".spark-tmp").exists(), "Spark's temporary output is removed"


HOUR = datetime(2026, 11, 23, 5, tzinfo=UTC)


def ev(**over: object) -> str:
    doc: dict[str, object] = {
        "event_id": "e1",
        "event_type": "click",
        "event_ts": "2026-11-23T05:10:00Z",
        "received_ts": "2026-11-23T05:10:01Z",
        "anonymous_id": "a1",
        "campaign_id": "cmp-1",
        "properties": {"k": 1},
    }
    doc.update(over)
    return json.dumps({k: v for k, v in doc.items() if v is not DROP})


DROP = object()

#: (line, expected reason or None); event ids are made unique per line below.
CASES: list[tuple[str, str | None]] = [
    (ev(), None),
    (ev(revenue="12.50", event_type="conversion"), None),
    (ev(revenue=12.5, event_type="conversion"), None),
    (ev(revenue="12.34565", event_type="conversion"), None),  # rounds half away from zero
    (ev(revenue=1e2), None),
    (ev(user_id=None, referrer=None), None),
    (ev(user_id=42, channel=True, country=-7, page_url=1.5e-7, ad_id={"b": [1, 2.50]}), None),
    (ev(properties={"x": "caf\u00e9", "n": None, "deep": {"a": [1, "b"]}}), None),
    (ev(event_ts="2026-11-23T00:30:00+02:00"), None),
    (ev(event_ts="2026-11-22T23:30:00-01:00"), None),
    (ev(event_ts="2026-11-23T05:00:00.123456789Z"), None),
    (ev(event_ts="2026-11-23 05:10:00"), None),
    (ev(event_ts="2026-11-23T05:10Z"), None),
    (ev(event_ts="2026-11-23T00:10:00-0530"), None),
    (ev(event_ts="2026-11-23T05:10:00 Europe/Berlin"), None),
    (ev(event_ts="2026-11-22T24:00:00Z"), None),
    ('{"event_id": "x", "event_type": ', "malformed-json"),
    ("[1, 2, 3]", "malformed-json"),
    # what Spark's JSON parser accepts and DuckDB does not: text after the object, two
    # objects on one line, single quotes
    (ev() + " trailing", "malformed-json"),
    (ev() + ev(), "malformed-json"),
    (ev().replace('"', "'"), "malformed-json"),
    (ev() + "  ", None),
    # NaN is valid JSON to DuckDB; the contract's types decide
    (ev(event_type="conversion")[:-1] + ', "revenue": NaN}', "wrong-type"),
    (ev()[:-1] + ', "country": NaN}', None),  # an optional string keeps a number's text
    (ev()[:-1] + ', "country": nan, "channel": -INF}', None),  # kept as spelled
    (ev(event_type="conversion")[:-1] + ', "revenue": -inf}', "wrong-type"),
    (ev(properties=DROP)[:-1] + ', "properties": {"k": [1, -nan,],},}', None),  # valid to DuckDB
    ('{"event_id": "x",,}', "malformed-json"),
    # doubles as DuckDB writes them: nested in its own style, too large ones as written
    (ev(properties={"score": 1.5e-7, "big": 1e16}), None),  # nested as DuckDB writes them
    (ev(properties=DROP)[:-1] + ', "properties": {"k": 1, "k": 2}}', None),  # both kept
    (ev(event_type="conversion", revenue=1e30), "wrong-type"),  # no DECIMAL(18,4)
    (ev(event_type="conversion", revenue=10**15), "wrong-type"),
    # duplicate keys, also with a space before the colon: the first one counts; a nested
    # key named like a top-level field is no duplicate
    (ev()[:-1] + ', "country": "DE", "country" : "FR"}', None),
    (ev(country="FR", properties={"country": "DE"}), None),
    ("", "malformed-json"),
    ('"just a string"', "malformed-json"),
    ('{"event_id": "\\ud800"}', "malformed-json"),
    (ev(event_id=DROP), "missing-required-field"),
    (ev(anonymous_id=""), "missing-required-field"),
    (ev(event_ts=None), "missing-required-field"),
    (ev(anonymous_id=123), "wrong-type"),
    (ev(anonymous_id=-1), "wrong-type"),
    (ev(event_type=["click"]), "wrong-type"),
    (ev(received_ts=17), "wrong-type"),
    (ev(revenue="lots"), "wrong-type"),
    (ev(revenue=True), "wrong-type"),
    (ev(properties="n/a"), "wrong-type"),
    (ev(properties=[1]), "wrong-type"),
    (ev(event_type="hover"), "unknown-event-type"),
    (ev(event_type="Click"), "unknown-event-type"),
    (ev(event_ts="yesterday"), "bad-timestamp"),
    (ev(event_ts="2026-02-30T10:00:00Z"), "bad-timestamp"),
    (ev(event_ts="2026-11-23"), "bad-timestamp"),
    (ev(event_ts="1700000000"), "bad-timestamp"),
    (ev(event_ts="2026-11-23t05:10:00z"), "bad-timestamp"),
    (ev(received_ts="soon"), "bad-timestamp"),
    (ev(received_ts=""), "bad-timestamp"),
    (ev(event_ts="2026-11-01T05:00:00Z"), "too-late"),
    (ev(event_ts="2026-11-23T07:00:00Z"), None),  # the hour's end + 1 h tolerance: kept
    (ev(event_ts="2026-11-23T07:00:00.000001Z"), "future-timestamp"),
    (ev(event_ts="2026-11-23T08:59:00+02:00"), None),  # 06:59 UTC
    (ev(event_ts="2026-11-23T09:30:00+02:00"), "future-timestamp"),  # 07:30 UTC
    (ev(event_ts="2027-01-01T00:00:00Z"), "future-timestamp"),
]


def _write(root: Path, lines: list[str], extra: bytes = b"") -> tuple[Lake, Path]:
    lake = Lake(root)
    path = lake.landing_file(HOUR, 0, 0, gz=False)
    path.parent.mkdir(parents=True)
    path.write_bytes(("\r\n".join(lines[:3]) + "\n" + "\n".join(lines[3:]) + "\n").encode() + extra)
    return lake, path


def _run(engine: Any, lake: Lake, path: Path) -> Any:
    request = CurateRequest("r1", [HOUR], {HOUR: [path]}, late_event_lookback_days=7)
    publisher = Publisher("r1")
    result = engine.curate(request, lake, publisher)
    publisher.publish()
    return result


def _same_as_duckdb(
    tmp_path: Path, lines: list[str], classify: str, extra: bytes = b"", threads: int | None = None
) -> tuple[Any, dict[Any, Any], Lake]:
    """Curate one file of ``lines`` with DuckDB and with Spark; check that quarantine,
    curated rows and counts are equal; return (Spark's result, its quarantine, its lake)."""
    results = {}
    engines = (("duckdb", DuckDBEngine(threads=threads)), ("spark", SparkEngine(classify=classify)))
    for name, engine in engines:
        lake, path = _write(tmp_path / name, lines, extra)
        results[name] = (_run(engine, lake, path), lake)
    (r_duck, duck), (r_spark, lake) = results["duckdb"], results["spark"]
    q = quarantine(lake.root)
    assert q == quarantine(duck.root)
    assert curated(lake.root) == curated(duck.root)
    assert r_spark.hours == r_duck.hours
    return r_spark, q, lake


@pytest.mark.parametrize("classify", ["python", "native"])
def test_every_reason_and_edge_case_matches_duckdb_line_for_line(
    spark: Any, tmp_path: Path, classify: str
) -> None:
    lines = [line.replace('"e1"', f'"e{i}"') for i, (line, _) in enumerate(CASES)]
    lines += [lines[0], lines[1]]  # two duplicates of earlier lines
    dup_keys = '{"event_id": "dk", "event_id": "dk2", "event_type": "click", '
    lines.append(dup_keys + '"event_ts": "2026-11-23T05:00:00Z", "anonymous_id": "a"}')
    bad_utf8 = b'{"event_id": "\xc3\x28"}\n\xff\xfe not utf8\n'
    too_long = b'{"event_id": "' + b"x" * (1 << 20) + b'"}\n'  # over the 1 MiB default
    r_spark, q, lake = _same_as_duckdb(tmp_path, lines, classify, bad_utf8 + too_long, threads=1)
    name = "landing/topics/events/year=2026/month=11/day=23/hour=05/events+0+0000000000.json"
    for i, (line, reason) in enumerate(CASES, start=1):
        got = q.get((name, i))
        if reason is None:
            assert got is None, f"line {i} should be valid: {line} -> {got}"
        else:
            assert got is not None and got[2] == reason, f"line {i}: {line} -> {got}"
    n = len(CASES)
    assert q[(name, n + 4)][2:] == ("malformed-json", "JSON value is not an object")
    assert q[(name, n + 5)][2:] == ("malformed-json", "not valid JSON (or not UTF-8)")
    offset = len(lake.landing_files(HOUR)[0].read_bytes()) - len(too_long)
    assert q[(name, n + 6)][1:] == (
        None,
        "line-too-long",
        f"line is {len(too_long) - 1} bytes, over the 1048576-byte limit, "
        f"at byte offset {offset} of the decompressed file",
    )
    counts = r_spark.hours[HOUR]
    valid = sum(1 for _, r in CASES if r is None) + 1  # + the duplicate-key line
    assert (counts.curated_new, counts.duplicates) == (valid, 2)
    assert counts.quarantined == len(CASES) - valid + 1 + 2 + 1
    assert counts.quarantined_by_reason["line-too-long"] == 1
    assert counts.balanced
    got = dict(rows(f"SELECT event_id, revenue FROM '{lake.root}/curated/events/*/*.parquet'"))
    assert str(got["e3"]) == "12.3457" and str(got["e4"]) == "100.0000"
    assert "dk" in got and "dk2" not in got, "of duplicate keys the first one counts"


def test_mixed_engines_dedupe_across_hours_and_rerun_idempotently(
    spark: Any, generated: tuple[Path, GroundTruth], lake_copy: Any
) -> None:
    _, truth = generated
    mixed, reference = lake_copy("mixed"), lake_copy("reference")
    curate(reference, ALL_HOURS[:2], DuckDBEngine())
    curate(mixed, ALL_HOURS[:1], DuckDBEngine())
    first = curate(mixed, ALL_HOURS[1:2], SparkEngine())
    assert first.totals["duplicates"] == truth.per_hour[format_hour(ALL_HOURS[1])]["duplicates"]
    assert curated(mixed) == curated(reference)
    again = curate(mixed, ALL_HOURS[1:2], SparkEngine(classify="native"))  # the same rows
    assert again.hours == first.hours
    assert curated(mixed) == curated(reference)
    assert published(mixed) == published(reference)
    assert rows(
        f"""SELECT count(*) - count(DISTINCT event_id)
        FROM read_parquet('{mixed}/curated/events/*/*.parquet')"""
    ) == [(0,)]


def test_missing_java_fails_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(ToolchainError, match="install a JDK 17"):
        check_java()


def test_plain_lines_are_typed_by_spark_sql_and_only_the_rest_by_python(
    spark: Any, generated: tuple[Path, GroundTruth]
) -> None:
    from taxiway.engines.landing import read_landing
    from taxiway.jobs import native, spark_core

    root, truth = generated
    raw, rejects = read_landing({h: Lake(root).landing_files(h) for h in ALL_HOURS}, root=root)
    lines = spark.createDataFrame(raw, schema=spark_core.lines_schema())
    counts = dict(native.flag_plain(lines, 7, 1).groupBy("_plain").count().collect())
    lines_in = truth.input_records - len(rejects)
    assert counts[True] + counts[False] == lines_in
    rejected_lines = sum(truth.quarantined.values()) - len(rejects)
    assert counts[False] >= rejected_lines, "every reject goes through the Python rules"
    assert counts[True] >= 0.9 * lines_in, counts  # healthy lines never leave the JVM


@pytest.mark.parametrize("classify", ["python", "native"])
def test_random_lines_curate_and_quarantine_exactly_as_duckdb(
    spark: Any, tmp_path: Path, classify: str
) -> None:
    """20,000 events (fuzz_lines: half healthy, half mutated; ids drawn from 12,000, so
    many are duplicates): the Spark engine's quarantine and curated rows equal DuckDB's,
    row for row. The native path types only the lines it calls plain; a line it wrongly
    called plain would show up here as a different row."""
    import fuzz_lines

    lines = fuzz_lines.lines(seed=11, n=20_000, ids=12_000, healthy=0.5)
    r_spark, q, _ = _same_as_duckdb(tmp_path, lines, classify)
    counts = r_spark.hours[HOUR]
    assert counts.input_records == len(lines) and counts.balanced
    assert counts.quarantined > 1_000 and counts.duplicates > 1_000
    assert counts.curated_new > 5_000  # typed values of thousands of rows compared
    assert len({reason for _, _, reason, _ in q.values()}) >= 7  # every line-level reason
    if classify == "native":  # and about half the lines were typed by Spark SQL alone
        from taxiway.jobs import native, spark_core

        raw = [(line, i, "f", HOUR.replace(tzinfo=None), False) for i, line in enumerate(lines)]
        frame = spark.createDataFrame(raw, schema=spark_core.lines_schema())
        plain = native.flag_plain(frame, 7, 1).filter("_plain").count()
        assert plain > 8_000, plain
