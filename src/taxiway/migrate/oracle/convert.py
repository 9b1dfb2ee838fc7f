"""One Oracle statement -> Athena SQL, or a refusal naming the construct and its line.

The order of work:

1. Text checks sqlglot cannot make: PL/SQL units, Jinja control blocks, optimizer hints (which
   sqlglot drops with only a log line: dropped here too, with a note).
2. Parse as Oracle. Statement kinds Athena runs differently are refused here: ``MERGE``,
   ``UPDATE`` and ``DELETE`` run on Athena only against Iceberg tables (converted for review
   with ``iceberg=True``), DDL and ``TRUNCATE`` differ, ``COMMIT`` is removed (Athena commits
   each query) with a note.
3. taxiway's rules rewrite the tree (:mod:`.selects`, :mod:`.functions`); every rule either
   rewrites with a note or refuses.
4. sqlglot writes Athena SQL with ``unsupported_level=RAISE``; the output must parse again
   as Athena and as Trino, and every Jinja placeholder must come back exactly once.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from taxiway.migrate.oracle import functions, selects
from taxiway.migrate.oracle.context import RuleContext
from taxiway.migrate.oracle.notes import StatementResult
from taxiway.migrate.oracle.statements import Statement, split_statements

_HINT = re.compile(r"/\*\+.*?\*/", re.S)
_ICEBERG_ONLY = (exp.Merge, exp.Update, exp.Delete)
_QUERIES = (exp.Select, exp.SetOperation, exp.Insert)
# sqlglot logs what it cannot generate; the RAISE level turns that into an exception we report.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def convert_text(text: str, base_line: int = 1, iceberg: bool = False) -> list[StatementResult]:
    """Every statement of ``text`` converted; ``base_line`` is the file line of its line 1."""
    return [
        convert_statement(s, base_line + s.line - 1, iceberg=iceberg)
        for s in split_statements(text)
    ]


def convert_statement(stmt: Statement, line: int, iceberg: bool = False) -> StatementResult:
    """Convert one statement starting at file line ``line``."""
    original = stmt.unmask(stmt.text) or stmt.text
    result = StatementResult(original, line)
    ctx = RuleContext(stmt.text, line)
    result.notes = ctx.notes
    if stmt.plsql:
        ctx.refuse(
            "PL/SQL block",
            line,
            "A PL/SQL unit (BEGIN/DECLARE/CREATE PROCEDURE...) has no Athena equivalent: move "
            "its logic into SQL statements or into the DAG (one task per statement).",
        )
        return result
    if stmt.jinja_block is not None:
        ctx.refuse(
            "Jinja block",
            line + stmt.jinja_block - 1,
            "`{% ... %}` or `{# ... #}` makes the SQL differ by run; convert each variant by "
            "hand, or move the choice into the DAG.",
        )
        return result
    text = stmt.text
    for match in _HINT.finditer(text):
        ctx.note(
            "hint",
            line + text.count("\n", 0, match.start()),
            f"Optimizer hint `{match.group(0)}` dropped: Athena takes no hints.",
        )
    text = _HINT.sub(" ", text)
    try:
        trees = [t for t in sqlglot.parse(text, read="oracle") if t is not None]
    except SqlglotError as exc:
        ctx.refuse("syntax", line, f"Not parseable as Oracle SQL: {_first_line(exc)}.")
        return result
    if len(trees) != 1:
        ctx.refuse("syntax", line, f"Read as {len(trees)} statements, expected one.")
        return result
    tree = trees[0]
    if not _kind_allowed(tree, ctx, iceberg):
        return result
    if isinstance(tree, exp.Commit):
        result.athena = ""
        return result
    for select in list(tree.find_all(exp.Select)):
        if select.args.get("connect") is not None or select.args.get("start") is not None:
            ctx.refuse(
                "CONNECT BY",
                ctx.text_line(r"\bCONNECT\s+BY\b|\bSTART\s+WITH\b"),
                "Hierarchical queries (START WITH / CONNECT BY) have no Athena equivalent; "
                "rewrite as a WITH RECURSIVE query with a depth bound, by hand.",
            )
            return result
    for select in reversed(list(tree.find_all(exp.Select))):
        selects.fix_dual(select, ctx)
        selects.fix_rownum(select, ctx)
        selects.fix_outer_joins(select, ctx)
    functions.apply(tree, ctx)
    if ctx.refused:
        return result
    pretty = "\n" in stmt.text.strip()
    try:
        athena = tree.sql(dialect="athena", unsupported_level=ErrorLevel.RAISE, pretty=pretty)
        for dialect in ("athena", "trino"):
            sqlglot.parse_one(athena, read=dialect)
    except SqlglotError as exc:
        ctx.refuse("unsupported", line, f"sqlglot cannot write it for Athena: {_first_line(exc)}.")
        return result
    restored = stmt.unmask(athena)
    if restored is None:
        ctx.refuse(
            "Jinja",
            line,
            "A `{{ ... }}` template expression was lost or duplicated by the conversion; convert "
            "this statement by hand.",
        )
        return result
    result.athena = restored
    return result


def _kind_allowed(tree: exp.Expression, ctx: RuleContext, iceberg: bool) -> bool:
    line = ctx.base
    if isinstance(tree, _ICEBERG_ONLY):
        name = type(tree).__name__.upper()
        if not iceberg:
            ctx.refuse(
                name,
                line,
                f"Athena runs {name} only on Iceberg tables; on the lake's Hive/Parquet tables "
                "rewrite it as INSERT (or CTAS) of the new rows, or pass `--iceberg` when the "
                "target table is Iceberg.",
            )
            return False
        if isinstance(tree, exp.Merge) and re.search(r"\bDELETE\s+WHERE\b", ctx.text, re.I):
            ctx.refuse(name, line, "Oracle's `DELETE WHERE` clause in MERGE has no Athena twin.")
            return False
        ctx.review(name, line, f"{name} converted for an Iceberg target table (`--iceberg`).")
        return True
    if isinstance(tree, exp.Commit):
        ctx.note("COMMIT", line, "`COMMIT` removed: Athena commits each query on its own.")
        return True
    if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
        ctx.review(
            "CREATE TABLE AS",
            line,
            "CTAS on Athena writes Parquet under the workgroup's output location unless the "
            "statement gives WITH (external_location=..., format=...): check where it lands.",
        )
        return True
    if isinstance(tree, _QUERIES):
        return True
    names = {"multitableinserts": "INSERT ALL", "truncatetable": "TRUNCATE", "create": "CREATE"}
    what = names.get(tree.key, tree.key.upper())
    if isinstance(tree, exp.Command):
        what = str(tree.this).upper()
    ctx.refuse(
        what,
        line,
        f"`{what}` statements differ on Athena (Hive/Iceberg DDL on S3, no TRUNCATE, no "
        "INSERT ALL, no transactions, no grants): write it by hand or drop it from the task.",
    )
    return False


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
