"""The libcst rewrite: a converted Oracle task's call becomes an ``AthenaOperator`` call.

Only the call's name, its SQL argument (now ``query=``) and the Oracle-only keywords change;
every other argument (``task_id``, ``dag``, ``retries``, ``params``...) keeps its node, its
comments and its formatting, so task ids, dependencies and templating stay as they were.
The file's other bytes are untouched (libcst round-trips source exactly).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

ATHENA_MODULE = "airflow.providers.amazon.aws.operators.athena"
ATHENA_OPERATOR = "AthenaOperator"

# Keywords of OracleOperator / SQLExecuteQueryOperator that AthenaOperator does not take.
DROPPED: dict[str, str] = {
    "oracle_conn_id": "AthenaOperator connects with `aws_conn_id` (on MWAA: the execution role).",
    "conn_id": "AthenaOperator connects with `aws_conn_id` (on MWAA: the execution role).",
    "autocommit": "Athena commits each query on its own.",
    "split_statements": "AthenaOperator runs one statement.",
    "return_last": "AthenaOperator pushes the query execution id to XCom, not rows.",
    "handler": "AthenaOperator pushes the query execution id to XCom, not rows.",
    "show_return_value_in_logs": "AthenaOperator logs the query (`log_query=True`).",
    "requires_result_fetch": "AthenaOperator does not fetch rows.",
    "output_processor": "AthenaOperator does not fetch rows.",
    "hook_params": "Oracle hook parameters have no Athena meaning.",
    "database": "`--database` sets the Athena database.",
}
# Keywords whose value changes the SQL at run time in ways the conversion cannot follow.
BLOCKING = {
    "parameters": "bind parameters (`:name`) have no AthenaOperator equivalent",
}


@dataclass(frozen=True)
class AthenaTarget:
    """Where the rewritten queries run."""

    database: str | None = None
    output_location: str | None = None
    workgroup: str | None = None


@dataclass(frozen=True)
class CallPlan:
    """What to write for one call: the query expression's source and the original class."""

    query: str
    sql_arg: str
    qualified: str  # the Oracle class's qualified name, for import clean-up


def python_string(sql: str, indent: str) -> str:
    """Python source of a string literal holding ``sql`` (triple-quoted when multi-line)."""
    body = sql.replace("\\", "\\\\")
    if "\n" not in sql:
        return '"' + body.replace('"', '\\"') + '"'
    body = body.replace('"""', '\\"\\"\\"')
    inner = indent + "    "
    lines = "\n".join(inner + line if line.strip() else "" for line in body.split("\n"))
    return '"""\n' + lines + "\n" + indent + '"""'


def _arg(key: str, value: str, comma: cst.Comma | cst.MaybeSentinel) -> cst.Arg:
    return cst.Arg(
        value=cst.parse_expression(value),
        keyword=cst.Name(key),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
        comma=comma,
    )


class AthenaRewriter(cst.CSTTransformer):
    """Rewrites the calls planned (by node identity) into AthenaOperator calls."""

    def __init__(self, plans: dict[int, CallPlan], target: AthenaTarget) -> None:
        super().__init__()
        self.plans = plans
        self.target = target
        self.rewritten: list[CallPlan] = []

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        plan = self.plans.get(id(original_node))
        if plan is None:
            return updated_node
        self.rewritten.append(plan)
        args = list(updated_node.args)
        last_comma = args[-1].comma if args else cst.MaybeSentinel.DEFAULT
        template = next((a.comma for a in args if _plain_comma(a.comma)), None)
        comma: cst.Comma | cst.MaybeSentinel = template or cst.Comma(
            whitespace_after=cst.SimpleWhitespace(" ")
        )
        extra = [
            (k, v)
            for k, v in (
                ("database", self.target.database),
                ("output_location", self.target.output_location),
                ("workgroup", self.target.workgroup),
            )
            if v is not None
        ]
        out: list[cst.Arg] = []
        for arg in args:
            key = arg.keyword.value if arg.keyword is not None else None
            if key in DROPPED and key != plan.sql_arg:
                continue
            if key == plan.sql_arg:
                out.append(
                    arg.with_changes(
                        keyword=cst.Name("query"),
                        value=cst.parse_expression(plan.query),
                        comma=arg.comma if isinstance(arg.comma, cst.Comma) else comma,
                    )
                )
                out += [_arg(k, _quoted(v), comma) for k, v in extra]
                continue
            out.append(arg if isinstance(arg.comma, cst.Comma) else arg.with_changes(comma=comma))
        if out:
            out[-1] = out[-1].with_changes(comma=last_comma)
        return updated_node.with_changes(func=cst.Name(ATHENA_OPERATOR), args=out)


def _plain_comma(comma: cst.Comma | cst.MaybeSentinel) -> bool:
    """A comma with no comment after it: the one to copy for new arguments."""
    if not isinstance(comma, cst.Comma):
        return False
    after = comma.whitespace_after
    return not (isinstance(after, cst.ParenthesizedWhitespace) and after.first_line.comment)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rewrite_module(
    module: cst.Module, plans: dict[int, CallPlan], target: AthenaTarget
) -> tuple[cst.Module, int]:
    """``module`` with the planned calls rewritten and the imports fixed; and how many."""
    rewriter = AthenaRewriter(plans, target)
    new = module.visit(rewriter)
    if not rewriter.rewritten:
        return module, 0
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, ATHENA_MODULE, ATHENA_OPERATOR)
    for plan in rewriter.rewritten:
        where, _, name = plan.qualified.rpartition(".")
        if where:
            RemoveImportsVisitor.remove_unused_import(context, where, name)
    new = AddImportsVisitor(context).transform_module(new)
    new = RemoveImportsVisitor(context).transform_module(new)
    return new, len(rewriter.rewritten)
