"""The twin's Athena refuses what Athena's grammar refuses, before touching any data."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxiway.twin.athena import AthenaEmulator


def test_unload_of_a_query_with_a_with_clause_is_refused_as_athena_does(tmp_path: Path) -> None:
    athena = AthenaEmulator("eu-west-1", tmp_path)
    query = (
        "UNLOAD (WITH daily AS (SELECT 1 AS n) SELECT n FROM daily) "
        "TO 's3://reports/kpis/run=1/' WITH (format = 'PARQUET')"
    )
    with pytest.raises(ValueError, match="mismatched input 'WITH'"):
        athena.execute(query, "db")


def test_statements_other_than_unload_and_set_location_are_refused(tmp_path: Path) -> None:
    athena = AthenaEmulator("eu-west-1", tmp_path)
    with pytest.raises(ValueError, match="does not emulate: MSCK REPAIR TABLE events"):
        athena.execute("MSCK REPAIR TABLE events", "db")
