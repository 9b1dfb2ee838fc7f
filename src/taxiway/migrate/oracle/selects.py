"""Rules over each ``SELECT`` of a statement: ``FROM DUAL``, ``ROWNUM`` and ``(+)`` outer joins.

sqlglot leaves ``ROWNUM`` and ``DUAL`` as they are (Athena has neither) and turns ``(+)`` into
an inner join with only a log warning, which silently drops the unmatched rows. These rules
rewrite the cases whose meaning they can keep and refuse the rest by name:

* ``ROWNUM <= N`` / ``< N`` / ``= 1`` as a top-level ``AND`` term of ``WHERE`` -> ``LIMIT``,
  unless the same ``SELECT`` sorts, groups, aggregates or de-duplicates (Oracle numbers rows
  *before* those steps, ``LIMIT`` applies after them). Over an ordered subquery (the top-N
  idiom) the ``LIMIT`` goes into the subquery, next to its ``ORDER BY``: Trino may ignore an
  ``ORDER BY`` in a subquery that has no ``LIMIT``.
* ``ROWNUM`` in the select list -> ``row_number() OVER ()`` (review: the order is arbitrary in
  both engines); anywhere else, refused.
* ``a.x = b.x(+)`` terms -> ``LEFT JOIN b ON ...`` (``RIGHT JOIN`` when the first of two tables
  is the optional one, so ``SELECT *`` keeps its column order); terms without ``(+)`` stay in
  ``WHERE``, where Oracle applied them too (after the join).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from taxiway.migrate.oracle.context import RuleContext

_ROWNUM = "ROWNUM"


def _own(select: exp.Select, node: exp.Expression) -> bool:
    """Whether ``node`` belongs to ``select`` itself, not to a nested query."""
    return node.find_ancestor(exp.Select) is select


def _conjuncts(where: exp.Where | None) -> list[exp.Expression]:
    if where is None:
        return []
    if isinstance(where.this, exp.And):
        return list(where.this.flatten())  # type: ignore[no-untyped-call]
    return [where.this]


def _set_where(select: exp.Select, terms: list[exp.Expression]) -> None:
    if not terms:
        select.set("where", None)
        return
    cond = terms[0]
    for term in terms[1:]:
        cond = exp.and_(cond, term, copy=False)
    select.set("where", exp.Where(this=cond))


def is_rownum(node: exp.Expression) -> bool:
    return (
        isinstance(node, exp.Column)
        and not node.table
        and isinstance(node.this, exp.Identifier)
        and not node.this.quoted
        and node.name.upper() == _ROWNUM
    )


def fix_dual(select: exp.Select, ctx: RuleContext) -> None:
    """``SELECT expr FROM DUAL`` -> ``SELECT expr`` (Athena needs no FROM)."""
    source = select.args.get("from")
    table = source.this if isinstance(source, exp.From) else None
    if not isinstance(table, exp.Table) or table.name.upper() != "DUAL":
        return
    if table.db and table.db.upper() != "SYS":
        return
    if select.args.get("joins"):
        ctx.refuse("DUAL", ctx.line(table), "`DUAL` joined with other tables: write it by hand.")
        return
    select.set("from", None)


def _limit_of(term: exp.Expression) -> int | None:
    """N when ``term`` keeps the first N rows (``ROWNUM <= N``, ``< N``, ``= 1``, mirrored)."""
    if not isinstance(term, exp.LTE | exp.LT | exp.GTE | exp.GT | exp.EQ):
        return None
    left, right = term.this, term.expression
    flipped = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.LTE: exp.GTE, exp.LT: exp.GT, exp.EQ: exp.EQ}
    kind: Any = type(term)
    if is_rownum(right) and not is_rownum(left):
        left, right, kind = right, left, flipped[kind]
    if not is_rownum(left) or not (isinstance(right, exp.Literal) and right.is_int):
        return None
    n = int(right.name)
    if kind is exp.LTE:
        return max(n, 0)
    if kind is exp.LT:
        return max(n - 1, 0)
    if kind is exp.EQ and n == 1:
        return 1
    return None


def _reorders(select: exp.Select) -> str | None:
    """What in ``select`` runs after Oracle's ROWNUM filter, if anything."""
    if select.args.get("order"):
        return "ORDER BY"
    if select.args.get("group"):
        return "GROUP BY"
    if select.args.get("having"):
        return "HAVING"
    if select.args.get("distinct"):
        return "DISTINCT"
    for node in select.expressions:
        for found in node.find_all(exp.AggFunc, exp.Window):
            if _own(select, found):
                return "a window function" if isinstance(found, exp.Window) else "an aggregate"
    return None


def fix_rownum(select: exp.Select, ctx: RuleContext) -> None:
    """ROWNUM in WHERE -> LIMIT, in the select list -> row_number() OVER (), else refused."""
    mine = [c for c in select.find_all(exp.Column) if is_rownum(c) and _own(select, c)]
    if not mine:
        return
    where = select.args.get("where")
    terms = _conjuncts(where)
    keep: list[exp.Expression] = []
    limit: int | None = None
    handled: set[int] = set()
    for term in terms:
        uses = [c for c in term.find_all(exp.Column) if is_rownum(c) and _own(select, c)]
        if not uses:
            keep.append(term)
            continue
        n = _limit_of(term)
        line = ctx.line(uses[0])
        if n is None:
            ctx.refuse(
                "ROWNUM",
                line,
                f"`{term.sql('oracle')}`: only `ROWNUM <= N`, `ROWNUM < N` or `ROWNUM = 1` as a "
                "top-level AND term of WHERE maps to LIMIT; rewrite with row_number() OVER "
                "(ORDER BY ...) in a subquery.",
            )
            return
        after = _reorders(select)
        if after is not None:
            ctx.refuse(
                "ROWNUM",
                line,
                f"`{term.sql('oracle')}` with {after} in the same SELECT: Oracle keeps the first "
                f"rows *before* {after}, LIMIT would keep them after; move the ROWNUM filter "
                "into a subquery by hand (or, for a top N, put the ORDER BY in a subquery).",
            )
            return
        limit = n if limit is None else min(limit, n)
        handled.update(id(c) for c in uses)
    if limit is not None:
        _set_where(select, keep)
        target = _ordered_subquery(select) if not keep else None
        where_to = target if target is not None else select
        existing = where_to.args.get("limit")
        if isinstance(existing, exp.Limit) and isinstance(existing.expression, exp.Literal):
            limit = min(limit, int(existing.expression.name))
        where_to.limit(limit, copy=False)
        ctx.note(
            "ROWNUM",
            ctx.line(select),
            f"ROWNUM filter became LIMIT {limit}"
            + (" inside the ordered subquery (top-N)." if target is not None else "."),
        )
    for col in mine:
        if id(col) in handled:
            continue
        in_list = any(col is e or col in list(e.find_all(exp.Column)) for e in select.expressions)
        if not in_list or not _top_level_in_select(select, col):
            ctx.refuse(
                "ROWNUM",
                ctx.line(col),
                "`ROWNUM` outside WHERE and the select list: rewrite with row_number() OVER "
                "(ORDER BY ...).",
            )
            continue
        if _ordered_subquery(select) is not None:
            ctx.refuse(
                "ROWNUM",
                ctx.line(col),
                "`ROWNUM` numbering rows of an ordered subquery (pagination): Athena may not "
                "keep the subquery's order; use row_number() OVER (ORDER BY <that order>).",
            )
            continue
        col.replace(exp.Window(this=exp.RowNumber()))
        ctx.review(
            "ROWNUM",
            ctx.line(select),
            "`ROWNUM` in the select list became `row_number() OVER ()`: both number rows in "
            "an arbitrary order; add ORDER BY inside OVER () if the numbers matter.",
        )


def _top_level_in_select(select: exp.Select, col: exp.Column) -> bool:
    node: exp.Expression | None = col
    while node is not None and node.parent is not select:
        node = node.parent
    return node is not None and node.arg_key == "expressions"


def _ordered_subquery(select: exp.Select) -> exp.Select | None:
    """The inner SELECT when ``select`` reads only one subquery that has ORDER BY."""
    source = select.args.get("from")
    if select.args.get("joins") or not isinstance(source, exp.From):
        return None
    sub = source.this
    if (
        isinstance(sub, exp.Subquery)
        and isinstance(sub.this, exp.Select)
        and sub.this.args.get("order")
    ):
        return sub.this
    return None


def _table_key(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Table | exp.Subquery) and node.alias_or_name:
        return node.alias_or_name.lower()
    return None


def fix_outer_joins(select: exp.Select, ctx: RuleContext) -> None:
    """Oracle ``(+)`` join terms -> ANSI LEFT/RIGHT JOINs, the optional side kept."""
    marked = [c for c in select.find_all(exp.Column) if c.args.get("join_mark") and _own(select, c)]
    if not marked:
        return
    line = ctx.line(marked[0])

    def refuse(why: str) -> None:
        ctx.refuse("(+) outer join", line, f"{why}; write the ANSI LEFT JOIN by hand.")

    where = select.args.get("where")
    if where is None or any(c.find_ancestor(exp.Where) is not where for c in marked):
        return refuse("`(+)` outside the WHERE clause")
    joins = select.args.get("joins") or []
    if any(j.args.get("on") or j.args.get("using") or j.side or j.kind for j in joins):
        return refuse("`(+)` mixed with ANSI JOIN syntax in one FROM")
    source = select.args.get("from")
    tables = [source.this] if isinstance(source, exp.From) else []
    tables += [j.this for j in joins]
    keys = [_table_key(t) for t in tables]
    if None in keys or len(set(keys)) != len(keys):
        return refuse("a FROM item without a name or alias, or two with the same one")
    order = [k for k in keys if k is not None]
    by_key = dict(zip(order, tables, strict=True))

    conds: dict[str, list[exp.Expression]] = {}
    deps: dict[str, set[str]] = {}
    plain: list[exp.Expression] = []
    for term in _conjuncts(where):
        cols = [c for c in term.find_all(exp.Column) if _own(select, c)]
        marks = [c for c in cols if c.args.get("join_mark")]
        if not marks:
            plain.append(term)
            continue
        if term.find(exp.Or, exp.In, exp.Subquery, exp.Select) is not None:
            return refuse(f"`{term.sql('oracle')}` combines `(+)` with OR, IN or a subquery")
        optional = {c.table.lower() for c in marks}
        if "" in optional:
            return refuse(f"`{term.sql('oracle')}` marks a column without its table")
        if len(optional) != 1 or next(iter(optional)) not in by_key:
            return refuse(f"`{term.sql('oracle')}` marks columns of more than one table")
        opt = next(iter(optional))
        others = {c.table.lower() for c in cols if not c.args.get("join_mark")}
        if "" in others:
            return refuse(f"`{term.sql('oracle')}` names a column without its table")
        if opt in others or not others <= set(by_key):
            return refuse(f"`{term.sql('oracle')}` refers to the optional table on both sides")
        for c in marks:
            c.set("join_mark", None)
        conds.setdefault(opt, []).append(term)
        deps.setdefault(opt, set()).update(others)

    built = _chain(order, conds, deps, plain, by_key, tables)
    if built is None:
        stars = any(isinstance(e, exp.Star) for e in select.expressions)
        if stars:
            return refuse(
                "the optional tables cannot be joined in FROM order, and reordering would "
                "change the columns of `SELECT *`"
            )
        preserved = [k for k in order if k not in conds]
        built = _chain(preserved + _topological(conds, deps), conds, deps, plain, by_key, tables)
        if built is None:
            return refuse("the `(+)` terms form a cycle (Oracle rejects it too: ORA-01416)")
    first, new_joins, rest = built
    select.set("from", exp.From(this=first))
    select.set("joins", new_joins)
    _set_where(select, rest)
    sides = sorted({j.side for j in new_joins if j.side})
    ctx.note(
        "(+) outer join",
        line,
        f"`(+)` became ANSI {' and '.join(sides)} JOIN; unmatched rows are kept as in Oracle.",
    )


def _topological(conds: dict[str, list[exp.Expression]], deps: dict[str, set[str]]) -> list[str]:
    out: list[str] = []
    pending = list(conds)
    while pending:
        ready = [k for k in pending if not (deps[k] & set(pending) - {k})]
        if not ready:
            return out + pending  # a cycle: _chain refuses it
        out += ready
        pending = [k for k in pending if k not in ready]
    return out


def _chain(
    order: list[str],
    conds: dict[str, list[exp.Expression]],
    deps: dict[str, set[str]],
    plain: list[exp.Expression],
    by_key: dict[str, exp.Expression],
    tables: list[exp.Expression],
) -> tuple[exp.Expression, list[exp.Join], list[exp.Expression]] | None:
    """FROM ``order[0]`` then one JOIN per table, or None when the order cannot work."""
    first = order[0]
    rest = list(plain)
    if first in conds:
        # `a(+) = b` with two tables: `a RIGHT JOIN b` keeps both the meaning and column order.
        if len(order) == 2 and order[1] not in conds and deps[first] <= {order[1]}:
            on = _and(conds[first])
            join = exp.Join(this=by_key[order[1]], side="RIGHT", on=on)
            return by_key[first], [join], rest
        return None
    placed = {first}
    joins: list[exp.Join] = []
    for key in order[1:]:
        if key in conds:
            if not deps[key] <= placed:
                return None
            joins.append(exp.Join(this=by_key[key], side="LEFT", on=_and(conds[key])))
        else:
            # Inner terms whose tables are all placed now go to ON; the rest stay in WHERE.
            # Terms on optional tables stay in WHERE: Oracle applied them after the outer join.
            here = [
                t
                for t in rest
                if key in _tables_of(t)
                and _tables_of(t) <= placed | {key}
                and not (_tables_of(t) & set(conds))
            ]
            rest = [t for t in rest if all(t is not h for h in here)]
            if here:
                joins.append(exp.Join(this=by_key[key], on=_and(here)))
            else:
                joins.append(exp.Join(this=by_key[key], kind="CROSS"))
        placed.add(key)
    return by_key[first], joins, rest


def _tables_of(term: exp.Expression) -> set[str]:
    return {c.table.lower() for c in term.find_all(exp.Column)}


def _and(terms: list[exp.Expression]) -> exp.Expression:
    cond = terms[0]
    for term in terms[1:]:
        cond = exp.and_(cond, term, copy=False)
    return cond
