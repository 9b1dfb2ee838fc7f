"""Converted Oracle statements keep their meaning: run on DuckDB through the platform's own
Athena -> DuckDB path (`taxiway.sql.transpile`), compared with the rows an Oracle user expects,
written out by hand. DuckDB stands in for Athena (Trino) for the constructs checked here:
outer joins, LIMIT, CASE/COALESCE/NULLIF, concat, date_trunc, date_add/last_day_of_month,
date_format/date_parse. It does not check Trino-only behaviour (integer division, time zones).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb  # the pipeline extra: uv sync --extra pipeline
import pytest
import sqlglot

from taxiway.migrate.oracle.convert import convert_text
from taxiway.migrate.oracle.notes import Outcome
from taxiway.sql.transpile import transpile

pytestmark = pytest.mark.integration

SETUP = """
CREATE TABLE customers (customer_id INTEGER, name VARCHAR, region VARCHAR);
INSERT INTO customers VALUES (1, 'ann', 'EU'), (2, 'bob', 'US'), (3, 'cyd', NULL);
CREATE TABLE orders (order_id INTEGER, customer_id INTEGER, status VARCHAR, amount DECIMAL(10, 2),
                     order_date DATE, first_name VARCHAR, last_name VARCHAR);
INSERT INTO orders VALUES
  (10, 1, 'PAID', 5.00, DATE '2024-01-31', 'Ann', NULL),
  (11, 1, 'OPEN', 7.00, DATE '2024-02-29', NULL, NULL),
  (12, 2, 'PAID', NULL, DATE '2024-03-15', 'Bob', 'Stone'),
  (13, 2, NULL,  2.50, DATE '2024-03-16', '', 'X');
"""


@pytest.fixture
def con() -> Any:
    c = duckdb.connect()
    c.execute(SETUP)
    yield c
    c.close()


def run(con: Any, oracle: str) -> list[tuple[Any, ...]]:
    [result] = convert_text(oracle)
    assert result.outcome is not Outcome.REFUSED, result.notes
    assert result.athena
    return [tuple(r) for r in con.execute(transpile(result.athena, "duckdb")).fetchall()]


def test_plus_join_keeps_unmatched_rows_where_sqlglot_alone_loses_them(con: Any) -> None:
    oracle = (
        "SELECT c.customer_id, o.order_id FROM customers c, orders o "
        "WHERE c.customer_id = o.customer_id(+) AND o.status(+) = 'PAID' ORDER BY 1, 2"
    )
    # Oracle: every customer; the PAID orders where there are some, NULL otherwise.
    assert run(con, oracle) == [(1, 10), (2, 12), (3, None)]
    plain = sqlglot.transpile(oracle, read="oracle", write="athena")[0]
    lost = con.execute(transpile(plain, "duckdb")).fetchall()
    assert lost == [(1, 10), (2, 12)], "sqlglot's own output is an inner join"


def test_plus_join_on_the_first_table_and_filter_after_the_join(con: Any) -> None:
    # o optional -> all customers; `o.status = 'OPEN'` without (+) filters after the join.
    assert run(
        con,
        "SELECT c.customer_id, o.order_id FROM orders o, customers c "
        "WHERE o.customer_id(+) = c.customer_id AND o.status = 'OPEN'",
    ) == [(1, 11)]
    assert run(
        con,
        "SELECT c.name, o.order_id FROM orders o, customers c "
        "WHERE o.customer_id(+) = c.customer_id AND o.amount(+) > 4 ORDER BY 1, 2",
    ) == [("ann", 10), ("ann", 11), ("bob", None), ("cyd", None)]


def test_rownum_top_n_and_dual(con: Any) -> None:
    assert run(
        con,
        "SELECT * FROM (SELECT order_id FROM orders ORDER BY order_date DESC) WHERE ROWNUM <= 2",
    ) == [(13,), (12,)]
    assert len(run(con, "SELECT order_id FROM orders WHERE ROWNUM < 3")) == 2
    assert run(con, "SELECT 6 * 7 AS answer FROM DUAL") == [(42,)]


def test_null_handling_as_oracle(con: Any) -> None:
    rows = run(
        con,
        "SELECT order_id, NVL(amount, 0), NVL2(status, 'has', 'none'), "
        "DECODE(status, 'PAID', 'p', NULL, 'null', 'other') FROM orders ORDER BY 1",
    )
    assert rows == [
        (10, 5, "has", "p"),
        (11, 7, "has", "other"),
        (12, 0, "has", "p"),
        (13, 2.5, "none", "null"),
    ]


def test_concat_skips_nulls_and_empty_string_is_null(con: Any) -> None:
    # Oracle: 'Ann' || NULL = 'Ann'; NULL || NULL = NULL; '' is NULL.
    rows = run(con, "SELECT order_id, first_name || last_name FROM orders ORDER BY 1")
    assert rows == [(10, "Ann"), (11, None), (12, "BobStone"), (13, "X")]
    rows = run(con, "SELECT order_id, CONCAT(first_name, last_name) FROM orders ORDER BY 1")
    assert rows == [(10, "Ann"), (11, None), (12, "BobStone"), (13, "X")]
    # `first_name = ''` never matches in Oracle (it compares with NULL)
    assert run(con, "SELECT COUNT(*) FROM orders WHERE first_name = ''") == [(0,)]


def test_dates(con: Any) -> None:
    rows = run(
        con,
        "SELECT order_id, TRUNC(order_date, 'MM'), ADD_MONTHS(order_date, 1), "
        "TO_CHAR(order_date, 'YYYY/MM/DD'), TO_DATE('2024-05-06 07:08', 'YYYY-MM-DD HH24:MI') "
        "FROM orders WHERE order_id IN (10, 11, 12) ORDER BY 1",
    )
    day = lambda v: v.date() if isinstance(v, datetime) else v  # noqa: E731
    got = [(r[0], day(r[1]), day(r[2]), r[3], r[4]) for r in rows]
    assert got == [
        # ADD_MONTHS: the last day of a month goes to the last day of the next (Jan 31 -> Feb 29)
        (10, date(2024, 1, 1), date(2024, 2, 29), "2024/01/31", datetime(2024, 5, 6, 7, 8)),
        (11, date(2024, 2, 1), date(2024, 3, 31), "2024/02/29", datetime(2024, 5, 6, 7, 8)),
        (12, date(2024, 3, 1), date(2024, 4, 15), "2024/03/15", datetime(2024, 5, 6, 7, 8)),
    ]


def test_analytic_functions_and_minus(con: Any) -> None:
    rows = run(
        con,
        "SELECT order_id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date), "
        "LAG(order_id) OVER (PARTITION BY customer_id ORDER BY order_date), "
        "SUM(NVL(amount, 0)) OVER (PARTITION BY customer_id) FROM orders ORDER BY 1",
    )
    assert rows == [(10, 1, None, 12), (11, 2, 10, 12), (12, 1, None, 2.5), (13, 2, 12, 2.5)]
    assert run(con, "SELECT customer_id FROM customers MINUS SELECT customer_id FROM orders") == [
        (3,)
    ]
