"""The Spark translation of every report runs on Spark and agrees with DuckDB, row for row.

The hand-made input is built in DuckDB, written to Parquet and read by a local Spark session
as temp views; the checked-in Spark golden text runs there and its rows are compared with the
DuckDB golden text's rows on the same input.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from reports_helpers import add_event_fixture, con_fixture  # noqa: F401 - used by name

from taxiway.sql.transpile import report_names

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "sql_golden"
INPUTS = ("events", "quarantine", "hourly_counts")


def _spark() -> Any:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail(
            "The Spark report test needs a Java runtime: install a JDK 17 (e.g. "
            "`apt-get install openjdk-17-jdk-headless`) and put `java` on PATH."
        )
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail("The Spark report test needs pyspark: run `uv sync --extra spark`.")
    from taxiway.engines.spark import local_session

    return local_session("local[2]")


def _input(con: Any, add_event: Any) -> None:
    # campaign KPIs and the funnel
    add_event("e01", "impression", "2026-11-09T09:00:00", "a1", campaign_id="c1")
    add_event("e02", "impression", "2026-11-09T09:00:00", "a2", campaign_id="c1")
    add_event("e03", "impression", "2026-11-09T09:00:00", "a3", user_id="u1", campaign_id="c2")
    add_event("e04", "click", "2026-11-09T09:01:00", "a1", campaign_id="c1")
    add_event("e05", "page_view", "2026-11-09T09:02:00", "a1", campaign_id="c1")
    add_event("e06", "add_to_cart", "2026-11-09T09:03:00", "a1", campaign_id="c1")
    add_event("e07", "page_view", "2026-11-09T11:00:00", "o1")
    # attribution: in window, exactly on the edge, outside, after, by user_id, unattributed
    add_event("k1", "click", "2026-11-03T10:00:00", "b1", campaign_id="c-edge")
    add_event("k2", "click", "2026-11-03T09:59:59", "b2", campaign_id="c-out")
    add_event("k3", "click", "2026-11-10T10:00:01", "f1", campaign_id="c-after")
    add_event("k4", "click", "2026-11-09T12:00:00", "d1", user_id="u7", campaign_id="c-user")
    for eid, anon, user, rev in (
        ("v1", "b1", None, "20"),
        ("v2", "b2", None, "30"),
        ("v3", "f1", None, "50"),
        ("v4", "d2", "u7", "70"),
        ("v5", "a1", None, "12.3456"),
    ):
        add_event(eid, "conversion", "2026-11-10T10:00:00", anon, user_id=user, revenue=rev)
    con.execute(
        "INSERT INTO hourly_counts VALUES "
        "(TIMESTAMP '2026-11-10 10:00', 'r1', 9, 6, 1, 2, TIMESTAMP '2026-11-10 11:00'), "
        "(TIMESTAMP '2026-11-10 11:00', 'r1', 3, 3, 0, 0, TIMESTAMP '2026-11-10 12:00')"
    )
    con.execute(
        "INSERT INTO quarantine VALUES "
        "(TIMESTAMP '2026-11-10 10:00', 'f', 4, 'x', 'malformed-json', 'd', 'r1'), "
        "(TIMESTAMP '2026-11-10 10:00', 'f', NULL, NULL, 'corrupt-file', 'd', 'r1')"
    )


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-12)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left.replace(tzinfo=None) == right.replace(tzinfo=None)
    return bool(left == right)


@pytest.fixture
def spark() -> Iterator[Any]:
    """The process's local Spark session (shared with the Spark tests when run together)."""
    session = _spark()
    before = session.conf.get("spark.sql.shuffle.partitions")
    # a dozen rows: one shuffle partition saves seconds of task scheduling per query
    session.conf.set("spark.sql.shuffle.partitions", "1")
    yield session
    session.conf.set("spark.sql.shuffle.partitions", before)


def _spark_schema(con: Any, table: str) -> str:
    # an explicit schema spares Spark a job to infer it from the Parquet footer
    types = {"VARCHAR": "STRING", "DECIMAL(18,4)": "DECIMAL(18,4)"}
    cols = con.execute(f"DESCRIBE {table}").fetchall()
    return ", ".join(f"{c[0]} {types.get(c[1], c[1])}" for c in cols)


def test_spark_text_agrees_with_duckdb(
    con: Any, add_event: Any, spark: Any, tmp_path: Path
) -> None:
    _input(con, add_event)
    for table in INPUTS:
        path = tmp_path / f"{table}.parquet"
        con.execute(f"COPY {table} TO '{path}' (FORMAT parquet)")
        reader = spark.read.schema(_spark_schema(con, table))
        reader.parquet(str(path)).createOrReplaceTempView(table)
    results: dict[str, list[Any]] = {}
    for name in report_names():
        duck_sql = (GOLDEN / f"{name}.duckdb.sql").read_text(encoding="utf-8")
        spark_sql = (GOLDEN / f"{name}.spark.sql").read_text(encoding="utf-8")
        cur = con.execute(duck_sql)
        duck_cols = [d[0] for d in cur.description]
        duck_rows = cur.fetchall()
        frame = spark.sql(spark_sql)
        assert frame.columns == duck_cols, name
        results[name] = frame.collect()
        spark_rows = [tuple(r) for r in results[name]]
        assert len(spark_rows) == len(duck_rows) > 0, name
        for d_row, s_row in zip(duck_rows, spark_rows, strict=True):
            assert all(_same(a, b) for a, b in zip(d_row, s_row, strict=True)), (
                f"{name}: DuckDB {d_row} != Spark {s_row}"
            )
    # spot-check the numbers that differ most easily between engines
    attribution = {
        r["campaign_id"]: (r["conversions"], r["revenue"])
        for r in results["attribution_last_click"]
    }
    assert attribution == {
        "c-edge": (1, Decimal("20.0000")),
        "c-user": (1, Decimal("70.0000")),
        "c1": (1, Decimal("12.3456")),
        None: (2, Decimal("80.0000")),  # b2 (1 s outside) and f1 (click after)
    }
    c1 = [r for r in results["campaign_daily_kpis"] if r["campaign_id"] == "c1"]
    assert [(r["event_date"], r["impressions"], r["clicks"], r["ctr"]) for r in c1] == [
        (date(2026, 11, 9), 2, 1, 0.5)
    ]
    (hour10, _) = results["data_quality_hourly"]
    assert (hour10["quarantined_malformed_json"], hour10["quarantined_corrupt_file"]) == (1, 1)
    assert hour10["balanced"] is True
