"""Fixtures and helpers of the Spark tests (a uniquely named module, imported explicitly).

Not a conftest.py on purpose: other test folders run ``from conftest import ...`` at test
time, and a second conftest module loaded later would shadow theirs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from taxiway.events.generator import GeneratorOptions, GroundTruth, generate
from taxiway.lake.layout import hour_range

START = datetime(2026, 11, 23, 0, tzinfo=UTC)
HOURS = 4
ALL_HOURS = hour_range(START, START + timedelta(hours=HOURS - 1))


def spark_options(**over: object) -> GeneratorOptions:
    """A few thousand events with every fault at a visible rate (truncated files included)."""
    base: dict[str, object] = dict(
        start=START,
        hours=HOURS,
        events_per_hour=2_500,
        seed=11,
        malformed_rate=0.01,
        missing_field_rate=0.01,
        wrong_type_rate=0.01,
        unknown_type_rate=0.01,
        bad_timestamp_rate=0.01,
        duplicate_rate=0.05,
        late_rate=0.05,
        truncated_file_rate=0.12,
    )
    base.update(over)
    return GeneratorOptions(**base)  # type: ignore[arg-type]


def require_spark() -> None:
    """Fail (never skip) with the install command when Java or pyspark is missing."""
    home = os.environ.get("JAVA_HOME")
    if not (home and Path(home, "bin", "java").exists()) and shutil.which("java") is None:
        pytest.fail(
            "Spark tests need a Java runtime: install a JDK 17 (e.g. `apt-get install "
            "openjdk-17-jdk-headless`) and put `java` on PATH or set JAVA_HOME."
        )
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail("Spark tests need pyspark: run `uv sync --extra spark`.")


@pytest.fixture(scope="session", name="spark")
def spark_fixture() -> Any:
    """One local[2] SparkSession for every Spark test (a JVM start costs ~10 s)."""
    require_spark()
    from taxiway.engines.spark import local_session

    return local_session("local[2]")


@pytest.fixture(scope="session", name="generated")
def generated_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    """The generated landing data, written once; tests curate copies of it."""
    root = tmp_path_factory.mktemp("generated") / "data"
    truth = generate(root, spark_options())
    assert truth.corrupt_files, "the fixture must contain at least one truncated file"
    assert truth.duplicates > 0 and truth.late_events > 0
    return root, truth


@pytest.fixture(name="lake_copy")
def lake_copy_fixture(generated: tuple[Path, GroundTruth], tmp_path: Path) -> Iterator[Any]:
    """A factory of fresh copies of the generated lake: ``lake_copy("duckdb")`` -> root."""
    src, _ = generated

    def make(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(src, dst)
        return dst

    yield make


def rows(sql: str) -> list[tuple[Any, ...]]:
    return duckdb.connect().execute(sql).fetchall()


def curated(root: Path) -> list[tuple[Any, ...]]:
    """Every published curated row, sorted (all columns)."""
    return rows(f"SELECT * FROM read_parquet('{root}/curated/events/*/*.parquet') ORDER BY ALL")


def quarantine(root: Path) -> dict[tuple[Any, Any], tuple[Any, ...]]:
    """(source_file, line_number) -> (landing_hour, raw_line, reason, detail)."""
    got = rows(
        f"""SELECT source_file, line_number, landing_hour, raw_line, reason, detail
        FROM read_parquet('{root}/quarantine/*.parquet')"""
    )
    out = {(r[0], r[1]): r[2:] for r in got}
    assert len(out) == len(got), "one quarantine row per source line"
    return out


def schema(glob: str) -> list[tuple[Any, ...]]:
    """(column, type) of Parquet files as DuckDB reads them."""
    return [r[:2] for r in rows(f"DESCRIBE SELECT * FROM read_parquet('{glob}')")]


def published(root: Path) -> list[str]:
    """Relative paths of the published curated and quarantine files."""
    return sorted(
        p.relative_to(root).as_posix()
        for sub in ("curated", "quarantine")
        for p in (root / sub).rglob("*.parquet")
    )
