"""The report SQL (Athena/Trino dialect, the single source) and its translation with sqlglot.

This is the one module that imports sqlglot (lazily, so ``taxiway --help`` stays fast). The
report files next to it hold plain ``SELECT`` statements; DDL (``CREATE TABLE AS``, Athena's
``UNLOAD``/``WITH (...)`` properties) is written per engine by the caller, because sqlglot
cannot translate table properties faithfully.

Traps this module guards against (see docs/reports.md):

* unknown functions pass through untranslated: always an error here;
* integer division (Athena ``5 / 2 = 2``, DuckDB ``2.5``) and ``date_diff`` (Trino counts
  whole units, DuckDB counts boundaries) translate silently to different numbers: an error
  in ``strict`` mode, which the report files use;
* parameters are substituted as validated integers before parsing, never as free text.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from taxiway.errors import UsageError

#: Dialects :func:`transpile` writes. ``athena`` returns the source dialect, normalised.
DIALECTS: tuple[str, ...] = ("duckdb", "spark", "athena")
READ_DIALECT = "athena"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_NON_INTEGER_TYPES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")


class TranspileError(UsageError):
    """SQL that cannot be parsed, translated faithfully, or filled in."""


def _sqlglot() -> Any:
    # imported on first use: sqlglot costs ~0.3 s to import and most commands never need it
    import sqlglot

    return sqlglot


def report_names() -> list[str]:
    """Names of the report SQL files shipped with taxiway, sorted."""
    folder = resources.files("taxiway.sql")
    return sorted(
        entry.name.removesuffix(".sql") for entry in folder.iterdir() if entry.name.endswith(".sql")
    )


def load_sql(name: str) -> str:
    """The Athena-dialect text of report ``name`` (placeholders such as ``{x}`` unfilled)."""
    names = report_names()
    if not _NAME.match(name) or name not in names:
        raise UsageError(f"Report `{name}` does not exist; choose one of {', '.join(names)}.")
    return (resources.files("taxiway.sql") / f"{name}.sql").read_text(encoding="utf-8")


def placeholders(sql: str) -> list[str]:
    """The ``{name}`` placeholders in ``sql``, in order of first appearance."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(sql)))


def substitute(sql: str, **params: int) -> str:
    """Fill ``{name}`` placeholders with non-negative integers (nothing else is accepted).

    Only integers are allowed so that a parameter can never change the statement's shape.
    """
    wanted = placeholders(sql)
    missing = [p for p in wanted if p not in params]
    if missing:
        raise TranspileError(
            f"SQL parameter `{missing[0]}` has no value; pass {', '.join(missing)}=<integer>."
        )
    extra = sorted(set(params) - set(wanted))
    if extra:
        raise TranspileError(
            f"SQL parameter `{extra[0]}` is not used by this SQL; it takes "
            f"{', '.join(wanted) or 'no parameters'}."
        )
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TranspileError(
                f"SQL parameter `{key}` must be a non-negative integer, got `{value!r}`."
            )
    return _PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), sql)


def _is_non_integer(node: Any) -> bool:
    """True if ``node`` is visibly not an integer: a cast to a fractional type or a 1.5 literal."""
    exp = _sqlglot().exp
    if isinstance(node, exp.Paren):
        return _is_non_integer(node.this)
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return any(str(node.to.this).endswith(t) for t in _NON_INTEGER_TYPES)
    if isinstance(node, exp.Literal) and not node.is_string:
        return "." in node.this or "e" in node.this.lower()
    return False


def portability_problems(expression: Any, strict: bool = True) -> list[str]:
    """Constructs in a parsed statement that would not mean the same on every engine.

    Unknown functions are always reported; integer division and ``date_diff`` only when
    ``strict`` (their translation is valid SQL whose numbers may differ).
    """
    exp = _sqlglot().exp
    problems: list[str] = []
    for node in expression.find_all(exp.Anonymous):
        problems.append(
            f"Function `{node.name}` is unknown to sqlglot's Athena dialect and would pass "
            "through untranslated; use a Trino function it knows or spell out the logic."
        )
    if strict:
        for node in expression.find_all(exp.Div):
            if not (_is_non_integer(node.this) or _is_non_integer(node.expression)):
                problems.append(
                    f"Division `{node.sql(dialect=READ_DIALECT)}` may be integer division "
                    "(Athena truncates, DuckDB and Spark do not); cast the numerator with "
                    "`CAST(... AS DOUBLE)`."
                )
        for node in expression.find_all(exp.DateDiff):
            problems.append(
                f"`{node.sql(dialect=READ_DIALECT)}` counts differently on Athena (whole units) "
                "and DuckDB (boundaries crossed); compare timestamps with intervals instead."
            )
    return problems


def transpile(sql: str, dialect: str, *, strict: bool = False) -> str:
    """Translate one Athena/Trino statement to ``dialect`` (``duckdb``, ``spark``, ``athena``).

    Equivalent to ``sqlglot.transpile(sql, read="athena", write=dialect,
    unsupported_level=ErrorLevel.RAISE, pretty=True)`` plus the checks of
    :func:`portability_problems`; raises :class:`TranspileError` instead of emitting SQL that
    would silently mean something else.
    """
    if dialect not in DIALECTS:
        raise TranspileError(
            f"SQL dialect `{dialect}` is not supported; choose one of {', '.join(DIALECTS)}."
        )
    sqlglot = _sqlglot()
    from sqlglot.errors import ErrorLevel, SqlglotError

    try:
        statements = [s for s in sqlglot.parse(sql, read=READ_DIALECT) if s is not None]
    except SqlglotError as exc:
        raise TranspileError(f"SQL is not valid Athena/Trino SQL: {_first_line(exc)}") from exc
    if len(statements) != 1:
        raise TranspileError(
            f"Expected exactly one SQL statement, got {len(statements)}; "
            "run statements one at a time."
        )
    problems = portability_problems(statements[0], strict=strict)
    if problems:
        raise TranspileError(problems[0] + (f" ({len(problems) - 1} more)" if problems[1:] else ""))
    try:  # from the tree parsed above: parsing again would say every warning twice
        out: str = statements[0].sql(
            dialect=dialect, unsupported_level=ErrorLevel.RAISE, pretty=True
        )
    except SqlglotError as exc:
        raise TranspileError(
            f"SQL cannot be translated to `{dialect}` faithfully: {_first_line(exc)}"
        ) from exc
    return out


def render_report(name: str, dialect: str, **params: int) -> str:
    """Report ``name`` with its parameters filled in, translated to ``dialect`` (strict)."""
    return transpile(substitute(_strip_comments(load_sql(name)), **params), dialect, strict=True)


def _strip_comments(sql: str) -> str:
    # The report files open with a `--` header for readers; sqlglot would carry it along as a
    # /* */ block attached to the first column, which only adds noise to the engine text.
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
