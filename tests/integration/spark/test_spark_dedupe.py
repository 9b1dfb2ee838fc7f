"""The shared steps after classifying (file_ranks, mark_new, tally): the first occurrence wins
in (landing hour, file, line) order, ids an earlier run curated for the date are dropped,
and every count comes from the rows themselves."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from spark_helpers import spark_fixture  # noqa: F401 - the fixture is used by name

from taxiway.jobs import event_rules, spark_core

H05, H06 = datetime(2026, 11, 23, 5), datetime(2026, 11, 23, 6)
# the 06 file's name sorts before both 05 files: the hour must order files first
EARLY, LATE, NEXT = "b/hour=05/z.json", "b/hour=05/y.json", "a/hour=06/a.json"


def line(event_id: str) -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "event_type": "click",
            "event_ts": "2026-11-23T05:10:00Z",
            "anonymous_id": "a1",
        }
    )


def test_first_occurrence_wins_and_every_count_comes_from_the_rows(
    spark: Any, tmp_path: Path
) -> None:
    lines = [
        (line("y"), 1, EARLY, H05, False),  # loses to y in y.json: that file comes first
        (line("x"), 2, EARLY, H05, False),  # wins over x in the later hour's file
        (line("y"), 5, LATE, H05, False),
        (line("x"), 1, NEXT, H06, False),
        ("{not json", 2, NEXT, H06, False),
        (line("k"), 3, NEXT, H06, False),  # an earlier run curated k for this date
        (line("k2"), 4, NEXT, H06, False),
    ]
    rows = list(event_rules.classify_lines(lines, 7))
    classified = spark.createDataFrame(rows, spark_core.row_schema()).persist()
    kept = tmp_path / "kept.parquet"
    day = date(2026, 11, 23)
    spark.createDataFrame([("k", day)], "event_id string, event_date date").write.parquet(str(kept))

    ranks = spark_core.file_ranks((r[2], r[3]) for r in lines)
    assert ranks == {LATE: 0, EARLY: 1, NEXT: 2}
    asked: list[list[date]] = []

    def kept_for(dates: list[date]) -> list[str]:
        asked.append(dates)
        return [str(kept)]

    marked, firsts, dates = spark_core.mark_new(spark, classified, ranks, kept_for)
    assert dates == asked[0] == [day]  # observed in the dedupe's own pass
    try:
        new = sorted(
            tuple(r)
            for r in marked.filter("_new")
            .select("event_id", "source_file", "line_number")
            .collect()
        )
        assert new == [("k2", NEXT, 4), ("x", EARLY, 2), ("y", LATE, 5)]
        by_hour, groups, numbered = spark_core.tally([H05, H06], marked)
    finally:
        firsts.unpersist()
        classified.unpersist()
    assert by_hour[H05] | {"event_dates": None} == {
        "input_records": 3,
        "curated_new": 2,
        "duplicates": 1,
        "quarantined": 0,
        "quarantined_by_reason": {},
        "event_dates": None,
    }
    assert by_hour[H06]["input_records"] == 4
    assert (by_hour[H06]["curated_new"], by_hour[H06]["duplicates"]) == (1, 2)  # x, and k
    assert by_hour[H06]["quarantined_by_reason"] == {"malformed-json": 1}
    assert groups == [(day, H05, 2), (day, H06, 1)]
    # the line-number check's figures, rejects included: (rows, last line) per file
    assert numbered == {EARLY: (2, 2), LATE: (1, 5), NEXT: (4, 4)}
