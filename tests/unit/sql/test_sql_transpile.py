"""transpile.py: loading, parameters, translation and the portability traps it refuses."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from taxiway.errors import UsageError
from taxiway.sql.transpile import (
    TranspileError,
    load_sql,
    placeholders,
    render_report,
    report_names,
    substitute,
    transpile,
)


def test_load_sql_returns_the_athena_source() -> None:
    text = load_sql("attribution_last_click")
    assert "INTERVAL '{attribution_window_days}' DAY" in text
    assert placeholders(text) == ["attribution_window_days"]
    assert placeholders(load_sql("campaign_daily_kpis")) == []


@pytest.mark.parametrize("name", ["nope", "../transpile", "campaign_daily_kpis.sql", ""])
def test_load_sql_rejects_unknown_names(name: str) -> None:
    with pytest.raises(UsageError, match=r"choose one of attribution_last_click, campaign"):
        load_sql(name)


@pytest.mark.parametrize("name", report_names())
def test_report_files_hold_one_select_and_no_ddl(name: str) -> None:
    sql = substitute(load_sql(name), **dict.fromkeys(placeholders(load_sql(name)), 1))
    (statement,) = sqlglot.parse(sql, read="athena")
    assert isinstance(statement, exp.Select)
    assert not list(statement.find_all(exp.Create, exp.Properties, exp.Insert))


def test_substitute_fills_integers() -> None:
    assert substitute("x - INTERVAL '{days}' DAY", days=3) == "x - INTERVAL '3' DAY"
    assert substitute("SELECT 1") == "SELECT 1"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, r"`days` has no value"),
        ({"days": 1, "hours": 2}, r"`hours` is not used"),
        ({"days": "1' DAY; DROP TABLE events; --"}, r"`days` must be a non-negative integer"),
        ({"days": True}, r"non-negative integer, got `True`"),
        ({"days": -1}, r"non-negative integer, got `-1`"),
        ({"days": 1.5}, r"non-negative integer, got `1.5`"),
    ],
)
def test_substitute_rejects_anything_but_the_integers_it_needs(
    params: dict[str, object], message: str
) -> None:
    with pytest.raises(TranspileError, match=message):
        substitute("x - INTERVAL '{days}' DAY", **params)  # type: ignore[arg-type]


def test_render_report_fills_the_window_for_each_dialect() -> None:
    for dialect in ("duckdb", "spark", "athena"):
        text = render_report("attribution_last_click", dialect, attribution_window_days=30)
        assert "INTERVAL '30' DAY" in text
        assert "{" not in text
    with pytest.raises(TranspileError, match="attribution_window_days"):
        render_report("attribution_last_click", "duckdb")


def test_functions_are_translated() -> None:
    sql = "SELECT approx_distinct(u), json_extract_scalar(p, '$.a') FROM t"
    assert transpile(sql, "duckdb") == "SELECT\n  APPROX_COUNT_DISTINCT(u),\n  p ->> '$.a'\nFROM t"
    assert "GET_JSON_OBJECT(p, '$.a')" in transpile(sql, "spark")


def test_unknown_functions_are_refused_not_passed_through() -> None:
    with pytest.raises(TranspileError, match=r"Function `my_udf` is unknown"):
        transpile("SELECT my_udf(x) FROM t", "duckdb")


def test_integer_division_is_refused_in_strict_mode_only() -> None:
    sql = "SELECT count(*) / 2 FROM t"
    assert "COUNT(*) / 2" in transpile(sql, "duckdb")
    with pytest.raises(TranspileError, match=r"may be integer division.*CAST\(\.\.\. AS DOUBLE\)"):
        transpile(sql, "duckdb", strict=True)
    for ok in (
        "SELECT CAST(a AS DOUBLE) / b FROM t",
        "SELECT a / CAST(b AS DECIMAL(10, 2)) FROM t",
        "SELECT a / 2.0 FROM t",
        "SELECT (CAST(a AS REAL)) / b FROM t",
    ):
        transpile(ok, "duckdb", strict=True)


def test_every_report_would_be_refused_without_its_double_casts() -> None:
    for name in ("campaign_daily_kpis", "daily_funnel", "data_quality_hourly"):
        text = load_sql(name).replace("AS DOUBLE)", "AS BIGINT)")
        with pytest.raises(TranspileError, match="integer division"):
            transpile(text, "duckdb", strict=True)


def test_date_diff_is_refused_in_strict_mode() -> None:
    sql = "SELECT date_diff('day', a, b) FROM t"
    transpile(sql, "duckdb")
    with pytest.raises(TranspileError, match=r"counts differently"):
        transpile(sql, "spark", strict=True)


@pytest.mark.parametrize(
    ("sql", "dialect", "message"),
    [
        ("SELECT 1", "postgres", r"dialect `postgres` is not supported"),
        ("SELECT FROM WHERE (", "duckdb", r"not valid Athena/Trino SQL"),
        ("SELECT 1; SELECT 2", "duckdb", r"exactly one SQL statement, got 2"),
        ("", "duckdb", r"exactly one SQL statement, got 0"),
    ],
)
def test_bad_input_raises_a_usage_error(sql: str, dialect: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        transpile(sql, dialect)


def test_unsupported_constructs_raise() -> None:
    # what sqlglot knows it cannot express must raise, never be emitted with a warning
    with pytest.raises(TranspileError, match=r"cannot be translated to `spark`.*'count'"):
        transpile("SELECT max_by(a, b, 3) FROM t", "spark")
    assert "ARG_MAX(a, b, 3)" in transpile("SELECT max_by(a, b, 3) FROM t", "duckdb")


def test_format_datetime_is_unknown_and_refused() -> None:
    # sqlglot 27 parses Trino's format_datetime as an unknown function: it would reach DuckDB
    # verbatim and fail there (or, worse, mean something else), so it is refused up front
    with pytest.raises(TranspileError, match=r"`format_datetime`"):
        transpile("SELECT format_datetime(ts, 'yyyy') FROM t", "duckdb")
