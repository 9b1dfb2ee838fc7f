"""Rules over functions, literals and pseudo-columns, where sqlglot's Oracle -> Athena output
runs but means something else (each found by trying it; each has a test):

* ``TO_CHAR(d, 'YYYY-MM-DD')`` came out as ``DATE_FORMAT(d, 'YYYY-MM-DD')`` (Oracle's format
  kept; Athena's ``date_format`` reads ``%Y``): the format is translated, or refused when it
  holds elements with no exact Athena twin (day and month names, which Oracle pads and cases).
* ``TO_DATE(s, '... HH24:MI')`` came out as ``CAST(DATE_PARSE(...) AS DATE)``, dropping the
  time Oracle's ``DATE`` keeps: with time elements the cast is not added.
* ``TRUNC(d)`` / ``TRUNC(d, 'MM')`` came out as ``DATE_TRUNC('DD', d)``, a unit Athena does not
  know; ``TRUNC(n, 2)`` (a number) as ``DATE_TRUNC('2', n)``. Units are mapped, numbers refused.
* ``a || b`` and ``CONCAT(a, b)``: Oracle skips NULLs (``'a' || NULL = 'a'``), Athena's ``concat`` returns NULL.
* ``''`` *is* NULL in Oracle (``WHERE x = ''`` never matches): it becomes a typed NULL.
* ``ADD_MONTHS`` passed through (no such function on Athena) and its end-of-month rule
  (Feb 29 + 1 month = Mar 31) differs from ``date_add``: the rule is written out.
* ``SUBSTR(s, 0, n)``: Oracle reads position 0 as 1, Athena returns ''.
* Sequences, ``ROWID``, ``LEVEL``, ``USER``, DB links, ``MEDIAN``, ``MONTHS_BETWEEN`` and any
  function sqlglot does not know (it passes those through unchanged) are refused.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.oracle import Oracle
from sqlglot.time import format_time

from taxiway.migrate.oracle.context import RuleContext

# Oracle TRUNC/ROUND date format models -> Trino date_trunc units.
_TRUNC_UNITS = {
    "DD": "day", "DDD": "day", "J": "day",
    "MM": "month", "MON": "month", "MONTH": "month", "RM": "month",
    "Y": "year", "YY": "year", "YYY": "year", "YYYY": "year", "YEAR": "year", "SYYYY": "year",
    "SYEAR": "year", "Q": "quarter", "IW": "week",
    "HH": "hour", "HH12": "hour", "HH24": "hour", "MI": "minute",
}  # fmt: skip
# Format elements with an exact twin in Athena's date_format / date_parse.
_FORMAT_ELEMENTS = ("YYYY", "YY", "MM", "DD", "DDD", "HH24", "HH12", "HH", "MI", "SS")
_NAME_ELEMENTS = re.compile(r"MONTH|MON|DAY|DY|D(?!D)|AM|PM|A\.M\.|P\.M\.|RR|FF|TZ|IW|WW|Q|J|FM")
_PSEUDO = {
    "ROWID": "Athena tables have no ROWID; use a key column.",
    "LEVEL": "`LEVEL` belongs to CONNECT BY, which Athena has no equivalent for.",
    "USER": "`USER` is the Oracle account; on Athena the caller is an IAM identity.",
    "UID": "`UID` is the Oracle account id; on Athena the caller is an IAM identity.",
    "ORA_ROWSCN": "`ORA_ROWSCN` has no equivalent on Athena.",
}
_REFUSED_TYPES: dict[type[exp.Expression], tuple[str, str]] = {
    exp.MonthsBetween: (
        "MONTHS_BETWEEN",
        "Oracle's fractional months (31-day months, end-of-month rule) have no Athena "
        "equivalent; use date_diff('month', ...) if whole months are meant.",
    ),
    exp.Median: (
        "MEDIAN",
        "Athena has no exact median, only approx_percentile(x, 0.5); choose it knowingly.",
    ),
    exp.PercentileCont: (
        "PERCENTILE_CONT",
        "Athena has no exact percentile function, only approx_percentile(); choose it knowingly.",
    ),
    exp.PercentileDisc: (
        "PERCENTILE_DISC",
        "Athena has no exact percentile function, only approx_percentile(); choose it knowingly.",
    ),
}


def apply(tree: exp.Expression, ctx: RuleContext) -> None:
    """Run every function rule over ``tree`` (in place)."""
    # Children first: a rule that copies its operands (`||`, ADD_MONTHS) copies rewritten ones.
    for node in reversed(list(tree.walk())):
        if isinstance(node, exp.Column):
            _column(node, ctx)
        elif isinstance(node, exp.Table):
            if "@" in node.sql("oracle"):
                ctx.refuse(
                    "DB link",
                    ctx.line(node),
                    f"`{node.sql('oracle')}` reads through an Oracle database link; the table "
                    "must be in the lake (Glue catalog) first.",
                )
        elif isinstance(node, exp.ToChar):
            _to_char(node, ctx)
        elif isinstance(node, exp.StrToDate):
            _to_date(node, ctx)
        elif isinstance(node, exp.DateTrunc):
            _trunc(node, ctx)
        elif isinstance(node, exp.AddMonths):
            _add_months(node, ctx)
        elif isinstance(node, exp.Substring):
            start = node.args.get("start")
            if isinstance(start, exp.Literal) and start.is_int and int(start.name) == 0:
                start.replace(exp.Literal.number(1))
        elif isinstance(node, exp.StrPosition):
            pos = node.args.get("position")
            occ = node.args.get("occurrence")
            if (pos is not None and not _positive_int(pos)) or (
                occ is not None and not (_positive_int(occ) and int(occ.name) == 1)
            ):
                ctx.refuse(
                    "INSTR",
                    ctx.line(node),
                    "`INSTR` with a non-literal or negative position, or an occurrence other "
                    "than 1: Athena's strpos counts differently; write it by hand.",
                )
        elif isinstance(node, exp.DPipe) and not _inside_concat(node):
            _concat(node)
        elif isinstance(node, exp.Concat):
            # Oracle's CONCAT(a, b) skips NULLs like `||`; Athena's concat returns NULL.
            _concat(node)
        elif isinstance(node, exp.Literal) and node.is_string and node.name == "":
            if not isinstance(node.parent, exp.DPipe):
                node.replace(exp.cast(exp.Null(), exp.DataType.build("VARCHAR")))
        elif isinstance(node, exp.CurrentTimestamp):
            ctx.review(
                "SYSDATE",
                ctx.line(node.parent) if node.parent else ctx.base,
                "`SYSDATE`/`SYSTIMESTAMP` became `current_timestamp`, which is UTC on Athena; "
                "Oracle's was the database server's clock (often local time).",
            )
        elif isinstance(node, exp.Anonymous):
            name = str(node.this).upper()
            ctx.refuse(
                name,
                ctx.line(node),
                f"`{name}(...)` is not a function sqlglot knows for Oracle; it would reach "
                "Athena unchanged. Rewrite it with an Athena function.",
            )
        else:
            for kind, (construct, why) in _REFUSED_TYPES.items():
                if isinstance(node, kind):
                    ctx.refuse(construct, ctx.line(node), why)


def _inside_concat(node: exp.Expression) -> bool:
    """Whether ``node`` is an operand of an enclosing ``||`` (which rewrites the whole chain)."""
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return isinstance(parent, exp.DPipe)


def _positive_int(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and node.is_int and int(node.name) > 0


def _column(node: exp.Column, ctx: RuleContext) -> None:
    name = node.name.upper()
    if node.table and name in ("NEXTVAL", "CURRVAL"):
        ctx.refuse(
            "sequence",
            ctx.line(node),
            f"`{node.sql('oracle')}`: Athena has no sequences; generate keys with "
            "row_number() OVER (...) plus the current maximum, or uuid().",
        )
        return
    if node.table or node.this.args.get("quoted"):
        return
    if name in _PSEUDO:
        ctx.refuse(name, ctx.line(node), _PSEUDO[name])
    elif name == "SYSTIMESTAMP":
        node.replace(exp.CurrentTimestamp())
        ctx.review(
            "SYSTIMESTAMP",
            ctx.line(node),
            "`SYSTIMESTAMP` became `current_timestamp`, which is UTC on Athena; Oracle's was "
            "the database server's clock.",
        )


def _oracle_format(node: exp.Expression | None, ctx: RuleContext, what: str) -> str | None:
    """The strftime form of an Oracle date format literal, or None (refused) when inexact."""
    if not (isinstance(node, exp.Literal) and node.is_string):
        ctx.refuse(what, ctx.line(node), f"`{what}` with a format that is not a literal.")
        return None
    fmt = node.name
    upper = fmt.upper()
    rest = upper
    for element in _FORMAT_ELEMENTS:
        rest = rest.replace(element, "")
    names = _NAME_ELEMENTS.search(rest)
    if names is not None or '"' in fmt or re.search(r"[A-Z]", rest):
        bad = names.group(0) if names else rest.strip()
        ctx.refuse(
            what,
            ctx.line(node),
            f"format `{fmt}`: element `{bad}` has no exact Athena equivalent (names are padded "
            "and cased by Oracle; RR, FF, FM, time zones differ); write the format by hand.",
        )
        return None
    return format_time(upper, Oracle.TIME_MAPPING, Oracle.TIME_TRIE)


def _to_char(node: exp.ToChar, ctx: RuleContext) -> None:
    fmt_node = node.args.get("format")
    if fmt_node is None:
        node.replace(exp.cast(node.this, exp.DataType.build("VARCHAR")))
        ctx.review(
            "TO_CHAR",
            ctx.line(node),
            "`TO_CHAR(x)` without a format became `CAST(x AS VARCHAR)`: right for integers and "
            "decimals; dates and doubles print differently than with Oracle's NLS defaults.",
        )
        return
    if isinstance(fmt_node, exp.Literal) and re.fullmatch(
        r"[09,.$SLDGVXFMB]+", fmt_node.name.upper()
    ):
        ctx.refuse(
            "TO_CHAR",
            ctx.line(node),
            f"number format `{fmt_node.name}`: Athena has no number format model; use "
            "format('%.2f', x) or CAST, by hand.",
        )
        return
    fmt = _oracle_format(fmt_node, ctx, "TO_CHAR")
    if fmt is not None:
        node.replace(exp.TimeToStr(this=node.this, format=exp.Literal.string(fmt)))


def _to_date(node: exp.StrToDate, ctx: RuleContext) -> None:
    # sqlglot has already read TO_DATE's format into strftime form (`%Y-%m-%d`).
    fmt_node = node.args.get("format")
    fmt = fmt_node.name if isinstance(fmt_node, exp.Literal) and fmt_node.is_string else None
    if fmt is None:
        ctx.refuse("TO_DATE", ctx.line(node), "`TO_DATE` with a format that is not a literal.")
        return
    stray = re.sub(r"%[YymdjHIMSb]", "", fmt)
    if "%" in stray or re.search(r"[A-Za-z]", stray):
        ctx.refuse(
            "TO_DATE",
            ctx.line(node),
            f"format `{fmt}` (as sqlglot read it) holds elements with no exact Athena "
            "date_parse equivalent (RR, FF, AM/PM, time zones, day names); write it by hand.",
        )
        return
    if "%b" in fmt:
        ctx.review(
            "TO_DATE",
            ctx.line(node),
            "Month abbreviations (`MON`) are parsed in English on Athena; Oracle used the "
            "session's NLS_DATE_LANGUAGE.",
        )
    if any(d in fmt for d in ("%H", "%I", "%M", "%S")):
        # Oracle's DATE keeps the time of day: parse to a timestamp, no cast to DATE.
        node.replace(exp.StrToTime(this=node.this, format=exp.Literal.string(fmt)))


def _trunc(node: exp.DateTrunc, ctx: RuleContext) -> None:
    unit = node.args.get("unit")
    text = unit.name.upper() if isinstance(unit, exp.Literal | exp.Var) else ""
    if text.lstrip("-").isdigit():
        if text == "0":
            node.replace(exp.func("truncate", node.this))
            return
        ctx.refuse(
            "TRUNC",
            ctx.line(node),
            f"`TRUNC(x, {text})` truncates a number to {text} digits; Athena's truncate() "
            "takes no digits: use truncate(x * 10^n) / 10^n by hand.",
        )
        return
    mapped = _TRUNC_UNITS.get(text)
    if mapped is None:
        ctx.refuse(
            "TRUNC",
            ctx.line(node),
            f"`TRUNC(x, '{text}')`: the unit has no Athena date_trunc equivalent (weeks "
            "starting per NLS, ISO years); write it by hand.",
        )
        return
    node.set("unit", exp.Literal.string(mapped))
    if text == "DD" and not _wrote_unit(ctx, node):
        ctx.review(
            "TRUNC",
            ctx.line(node),
            "`TRUNC(x)` was read as a date truncation (`date_trunc('day', x)`); if `x` is a "
            "number, use truncate(x).",
        )


def _wrote_unit(ctx: RuleContext, node: exp.DateTrunc) -> bool:
    """Whether the source named the unit (``TRUNC(d, 'DD')``) rather than relying on the default."""
    return bool(re.search(r"TRUNC\s*\([^;]*?,\s*'DD'\s*\)", ctx.text, re.I))


def _add_months(node: exp.AddMonths, ctx: RuleContext) -> None:
    date, months = node.this, node.expression

    def plus() -> exp.Expression:
        return exp.DateAdd(  # type: ignore[no-untyped-call]
            this=date.copy(), expression=months.copy(), unit=exp.var("MONTH")
        )

    last = exp.func("last_day_of_month", date.copy())
    # Oracle: the last day of a month maps to the last day of the target month.
    rule = exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(
                    this=exp.cast(date.copy(), exp.DataType.build("DATE")), expression=last
                ),
                true=exp.func("last_day_of_month", plus()),
            )
        ],
        default=plus(),
    )
    node.replace(rule)
    ctx.review(
        "ADD_MONTHS",
        ctx.line(date),
        "`ADD_MONTHS` became date_add('month', ...) with Oracle's end-of-month rule written "
        "out; for a timestamp on a month's last day the result loses its time of day.",
    )


def _concat(node: exp.DPipe | exp.Concat) -> None:
    """``a || b`` -> ``NULLIF(concat(coalesce(a, ''), coalesce(b, '')), '')``: Oracle's NULLs."""
    parts: list[exp.Expression] = []

    def collect(e: exp.Expression) -> None:
        if isinstance(e, exp.Concat):
            for part in e.expressions:
                collect(part)
        elif isinstance(e, exp.DPipe):
            collect(e.this)
            collect(e.expression)
        elif isinstance(e, exp.Paren) and isinstance(e.this, exp.DPipe):
            collect(e.this)
        else:
            parts.append(e)

    collect(node)
    safe: list[exp.Expression] = []
    for part in parts:
        if isinstance(part, exp.Literal) and part.is_string:
            if part.name:
                safe.append(part.copy())
            continue  # '' is NULL in Oracle: nothing to add
        varchar = exp.cast(part.copy(), exp.DataType.build("VARCHAR"))
        safe.append(exp.Coalesce(this=varchar, expressions=[exp.Literal.string("")]))
    if not safe:
        node.replace(exp.cast(exp.Null(), exp.DataType.build("VARCHAR")))
        return
    joined = exp.Concat(expressions=safe) if len(safe) > 1 else safe[0]
    node.replace(exp.Nullif(this=joined, expression=exp.Literal.string("")))
