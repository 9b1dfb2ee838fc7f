"""Each conversion rule of `migrate oracle`: the Athena text it writes, or the refusal (construct
and line) it gives. Meaning on rows is checked in tests/integration/migrate/test_oracle_duckdb.py."""

from __future__ import annotations

import pytest
import sqlglot

from taxiway.migrate.oracle.convert import convert_text
from taxiway.migrate.oracle.notes import Outcome, StatementResult
from taxiway.migrate.oracle.statements import split_statements


def one(sql: str, **kw: bool) -> StatementResult:
    [result] = convert_text(sql, **kw)
    return result


def flat(sql: str | None) -> str:
    assert sql is not None
    return " ".join(sql.split())


def refused(sql: str, base: int = 1) -> list[tuple[str, int]]:
    results = convert_text(sql, base)
    return [(n.construct, n.line) for r in results for n in r.notes if n.outcome is Outcome.REFUSED]


def test_splitter_keeps_strings_comments_and_plsql_whole() -> None:
    text = (
        "-- first\nSELECT 'a;b' FROM dual;\n"
        "SELECT q'[x;y]' /* ; */ FROM t;\n\n"
        "BEGIN\n  x := 1;\n  y;\nEND;\n/\nSELECT 1 FROM dual"
    )
    statements = split_statements(text)
    assert [s.line for s in statements] == [1, 3, 5, 10]
    assert [s.plsql for s in statements] == [False, False, True, False]
    assert "y;\nEND;" in statements[2].text


def test_jinja_is_masked_and_restored() -> None:
    r = one("SELECT * FROM {{ params.schema }}.t WHERE d = '{{ ds }}' AND x = {{ params.x }}")
    assert r.outcome is Outcome.CONVERTED
    assert r.athena == (
        "SELECT * FROM {{ params.schema }}.t WHERE d = '{{ ds }}' AND x = {{ params.x }}"
    )


def test_jinja_control_block_is_refused_with_its_line() -> None:
    assert refused("SELECT *\nFROM t\n{% if params.full %}WHERE x = 1{% endif %}", 10) == [
        ("Jinja block", 12)
    ]


def test_rownum_at_top_of_where_becomes_limit() -> None:
    assert flat(one("SELECT * FROM t WHERE x = 1 AND ROWNUM <= 10").athena) == (
        "SELECT * FROM t WHERE x = 1 LIMIT 10"
    )
    assert flat(one("SELECT * FROM t WHERE ROWNUM < 5").athena) == "SELECT * FROM t LIMIT 4"
    assert flat(one("SELECT * FROM t WHERE 3 >= ROWNUM").athena) == "SELECT * FROM t LIMIT 3"
    assert flat(one("SELECT * FROM t WHERE ROWNUM = 1").athena) == "SELECT * FROM t LIMIT 1"


def test_rownum_over_an_ordered_subquery_puts_the_limit_next_to_the_order() -> None:
    r = one("SELECT * FROM (SELECT x FROM t ORDER BY x DESC) WHERE ROWNUM <= 3")
    assert flat(r.athena) == "SELECT * FROM (SELECT x FROM t ORDER BY x DESC NULLS FIRST LIMIT 3)"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT x FROM t WHERE ROWNUM <= 3 ORDER BY x",  # Oracle limits before sorting
        "SELECT COUNT(*) FROM t WHERE ROWNUM <= 3",  # ... and before aggregating
        "SELECT * FROM t WHERE ROWNUM > 3",
        "SELECT * FROM t WHERE x = 1 OR ROWNUM <= 3",
        "SELECT * FROM (SELECT a.*, ROWNUM rn FROM (SELECT * FROM t ORDER BY x) a)",
    ],
)
def test_rownum_that_limit_cannot_express_is_refused(sql: str) -> None:
    assert [c for c, _ in refused(sql)] == ["ROWNUM"]


def test_rownum_in_select_list_is_row_number_for_review() -> None:
    r = one("SELECT ROWNUM AS rn, x FROM t")
    assert r.outcome is Outcome.REVIEW
    assert flat(r.athena) == "SELECT ROW_NUMBER() OVER () AS rn, x FROM t"


def test_dual_is_removed() -> None:
    assert one("SELECT 1 + 1 AS two FROM DUAL").athena == "SELECT 1 + 1 AS two"


def test_sqlglot_alone_turns_plus_join_into_an_inner_join() -> None:
    # The reason the (+) rule exists: sqlglot drops the mark with only a log warning.
    raw = sqlglot.transpile(
        "SELECT * FROM a, b WHERE a.id = b.id(+)", read="oracle", write="athena"
    )
    assert raw == ["SELECT * FROM a, b WHERE a.id = b.id"]


def test_plus_join_keeps_the_optional_side() -> None:
    left = one("SELECT * FROM a, b WHERE a.id = b.id(+) AND b.s(+) = 'X' AND a.k = 1")
    assert flat(left.athena) == (
        "SELECT * FROM a LEFT JOIN b ON a.id = b.id AND b.s = 'X' WHERE a.k = 1"
    )
    # The first table optional: RIGHT JOIN keeps SELECT *'s column order (a's, then b's).
    right = one("SELECT * FROM a, b WHERE a.id(+) = b.id")
    assert flat(right.athena) == "SELECT * FROM a RIGHT JOIN b ON a.id = b.id"


def test_plus_join_chain_and_inner_terms() -> None:
    r = one(
        "SELECT a.x, b.y, c.z, d.w FROM a, b, c, d "
        "WHERE a.id = b.id(+) AND b.cid = c.cid(+) AND a.did = d.did AND c.z = 1"
    )
    assert flat(r.athena) == (
        "SELECT a.x, b.y, c.z, d.w FROM a LEFT JOIN b ON a.id = b.id "
        "LEFT JOIN c ON b.cid = c.cid JOIN d ON a.did = d.did WHERE c.z = 1"
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM a, b WHERE a.id = b.id(+) OR a.x = 1",
        "SELECT * FROM a, b WHERE a.id = id(+)",
        "SELECT * FROM a JOIN c ON a.k = c.k, b WHERE a.id = b.id(+)",
        "SELECT * FROM a, b WHERE a.id = b.id(+) AND b.x = a.x(+)",
    ],
)
def test_plus_join_cases_without_a_safe_ansi_form_are_refused(sql: str) -> None:
    assert [c for c, _ in refused(sql)] == ["(+) outer join"]


def test_null_functions() -> None:
    r = one("SELECT NVL(a, 0), NVL2(a, 1, 2), DECODE(a, NULL, 'n', b, 'y', 'o') FROM t")
    assert flat(r.athena) == (
        "SELECT COALESCE(a, 0), CASE WHEN NOT a IS NULL THEN 1 ELSE 2 END, "
        "CASE WHEN a IS NULL THEN 'n' WHEN a = b OR (a IS NULL AND b IS NULL) THEN 'y' "
        "ELSE 'o' END FROM t"
    )


def test_concat_and_empty_string_follow_oracle_nulls() -> None:
    r = one("SELECT a || ' ' || b FROM t WHERE c = ''")
    assert flat(r.athena) == (
        "SELECT NULLIF(CONCAT(COALESCE(CAST(a AS VARCHAR), ''), ' ', "
        "COALESCE(CAST(b AS VARCHAR), '')), '') FROM t WHERE c = CAST(NULL AS VARCHAR)"
    )


def test_dates_formats_and_units() -> None:
    r = one(
        "SELECT TO_CHAR(d, 'YYYY-MM-DD HH24:MI:SS'), TO_DATE(s, 'YYYY-MM-DD'), "
        "TO_DATE(s, 'YYYY-MM-DD HH24:MI'), TRUNC(d, 'MM'), TRUNC(d, 'YYYY') FROM t"
    )
    assert r.outcome is Outcome.CONVERTED
    assert flat(r.athena) == (
        "SELECT DATE_FORMAT(d, '%Y-%m-%d %T'), CAST(DATE_PARSE(s, '%Y-%m-%d') AS DATE), "
        "DATE_PARSE(s, '%Y-%m-%d %H:%i'), DATE_TRUNC('month', d), DATE_TRUNC('year', d) FROM t"
    )


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("SELECT TO_CHAR(d, 'DD-MON-YYYY') FROM t", "TO_CHAR"),  # Oracle upper-cases names
        ("SELECT TO_CHAR(n, '999.99') FROM t", "TO_CHAR"),
        ("SELECT TRUNC(n, 2) FROM t", "TRUNC"),
        ("SELECT MONTHS_BETWEEN(a, b) FROM t", "MONTHS_BETWEEN"),
        ("SELECT MEDIAN(x) FROM t", "MEDIAN"),
        ("SELECT REGEXP_SUBSTR(s, 'a+') FROM t", "REGEXP_SUBSTR"),
        ("SELECT INSTR(s, 'a', -1) FROM t", "INSTR"),
        ("SELECT ROWID FROM t", "ROWID"),
        ("SELECT seq_orders.NEXTVAL FROM dual", "sequence"),
        ("SELECT * FROM orders@legacy", "DB link"),
        ("TRUNCATE TABLE t", "TRUNCATE"),
        ("INSERT ALL INTO t (a) VALUES (1) INTO t (a) VALUES (2) SELECT 1 FROM dual", "INSERT ALL"),
    ],
)
def test_constructs_without_an_exact_athena_twin_are_refused(sql: str, construct: str) -> None:
    assert [c for c, _ in refused(sql)] == [construct]


def test_dml_is_refused_unless_iceberg() -> None:
    sql = "UPDATE t SET a = 1 WHERE b = 2"
    assert refused(sql) == [("UPDATE", 1)]
    r = one(sql, iceberg=True)
    assert r.outcome is Outcome.REVIEW
    assert r.athena == "UPDATE t SET a = 1 WHERE b = 2"
    assert refused("DELETE FROM t WHERE b = 2") == [("DELETE", 1)]
    assert refused("MERGE INTO t USING s ON (t.id = s.id) WHEN MATCHED THEN UPDATE SET t.v = s.v")


def test_connect_by_and_plsql_are_refused_with_their_lines() -> None:
    text = "SELECT 1 FROM dual;\nSELECT id\nFROM emp\nSTART WITH mgr IS NULL\nCONNECT BY PRIOR id = mgr;\nDECLARE n NUMBER;\nBEGIN n := 1; END;\n/"
    assert refused(text, 20) == [("CONNECT BY", 23), ("PL/SQL block", 25)]


def test_hint_is_dropped_with_a_note_and_commit_removed() -> None:
    hinted = one("SELECT /*+ INDEX(t ix) */ x FROM t")
    assert hinted.athena == "SELECT x FROM t"
    assert [(n.outcome, n.construct) for n in hinted.notes] == [(Outcome.CONVERTED, "hint")]
    commit = one("COMMIT")
    assert commit.athena == ""
    assert [n.construct for n in commit.notes] == ["COMMIT"]


def test_every_converted_statement_parses_as_athena_and_trino() -> None:
    text = "\n;".join(
        [
            "SELECT * FROM a, b WHERE a.id = b.id(+) AND ROWNUM <= 2",
            "SELECT NVL(x, 0) || 'x', TRUNC(d, 'MM') FROM t",
            "INSERT INTO t SELECT ADD_MONTHS(d, 1) FROM u",
            "SELECT x FROM t MINUS SELECT x FROM u",
        ]
    )
    results = convert_text(text)
    assert [r.outcome for r in results] != [] and all(r.athena for r in results)
    for r in results:
        for dialect in ("athena", "trino"):
            sqlglot.parse_one(r.athena or "", read=dialect)
