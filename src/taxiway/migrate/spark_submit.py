"""Livy batch arguments -> one EMR ``spark-submit`` step, as Python source text.

Pure logic over libcst expression nodes: nothing is evaluated. Literal values are folded into
literals (``jars=["a.jar", "b.jar"]`` -> ``"a.jar,b.jar"``); anything else (names, f-strings,
Jinja templates, calls) is carried over as an expression, so ``EmrAddStepsOperator`` renders
templates at run time exactly like ``LivyOperator`` did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import libcst as cst

# Livy keyword -> spark-submit flag, in the order the flags are written.
SCALAR_FLAGS: dict[str, str] = {
    "class_name": "--class",
    "name": "--name",
    "queue": "--queue",
    "driver_memory": "--driver-memory",
    "driver_cores": "--driver-cores",
    "executor_memory": "--executor-memory",
    "executor_cores": "--executor-cores",
    "num_executors": "--num-executors",
}
# Livy types these as ``int | str``; EMR's step API accepts strings only.
NUMERIC_FLAGS = frozenset({"driver_cores", "executor_cores", "num_executors"})
LIST_FLAGS: dict[str, str] = {
    "jars": "--jars",
    "py_files": "--py-files",
    "files": "--files",
    "archives": "--archives",
}
# Same name and meaning on EmrAddStepsOperator: carried over unchanged.
CARRIED = frozenset({"deferrable", "openlineage_inject_parent_job_info"})
MAPPED = frozenset(
    {"file", "args", "conf", "polling_interval", *SCALAR_FLAGS, *LIST_FLAGS, *CARRIED}
)

# Livy-only keywords: no EMR equivalent. The value is the hint of the finding.
DROPPED: dict[str, str] = {
    "proxy_user": (
        "EMR steps run as the `hadoop` user; to run under another identity pass "
        "`execution_role_arn=` (an EMR runtime role; needs a security configuration with "
        "runtime roles enabled)."
    ),
    "livy_conn_id": (
        "EMR steps need no Livy connection: the operator uses `aws_conn_id` (default "
        "`aws_default`; on MWAA the execution role). Grant it `elasticmapreduce:AddJobFlowSteps`, "
        "`DescribeStep` and `ListClusters`."
    ),
    "livy_conn_auth_type": (
        "Authentication is IAM: give the execution role EMR permissions instead of Livy credentials."
    ),
    "livy_endpoint_prefix": (
        "There is no Livy endpoint: the cluster is addressed by `job_flow_name`/`job_flow_id`."
    ),
    "extra_options": (
        "HTTP options of the Livy request have no EMR equivalent; use `verify=` or "
        "`botocore_config=` of the AWS operator if you need TLS or timeout settings."
    ),
    "extra_headers": "HTTP headers for Livy have no EMR equivalent; remove them.",
    "retry_args": (
        "Livy polling retries have no EMR equivalent; use the task's `retries` and "
        "`waiter_max_attempts`."
    ),
    "openlineage_inject_transport_info": (
        "EmrAddStepsOperator injects only the parent job (`openlineage_inject_parent_job_info`); "
        "set the OpenLineage transport in the Spark conf (`spark.openlineage.transport.*`)."
    ),
}

_NOT_LITERAL = object()


def code(node: cst.CSTNode) -> str:
    """The source text of ``node`` exactly as written (comments and quotes included)."""
    return cst.Module(body=[]).code_for_node(node)


def literal(node: cst.BaseExpression) -> object:
    """The Python value of a plain literal (str, int, float, bool, None), else ``_NOT_LITERAL``."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else _NOT_LITERAL
    if isinstance(node, cst.Integer | cst.Float):
        return node.evaluated_value
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, cst.Integer | cst.Float)
    ):
        return -node.expression.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return _NOT_LITERAL


def is_literal(node: cst.BaseExpression) -> bool:
    return literal(node) is not _NOT_LITERAL


def is_none(node: cst.BaseExpression) -> bool:
    return literal(node) is None


def _is_stringish(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString)


def str_literal(value: str) -> str:
    """A double-quoted Python string literal (JSON escapes are valid Python escapes)."""
    return json.dumps(value, ensure_ascii=False)


def _spark_text(value: object) -> str:
    # Livy sends JSON, so Spark saw `true`, not `True`.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_string_expr(node: cst.BaseExpression) -> str:
    """Source of an expression that evaluates to a string (EMR step arguments must be str)."""
    value = literal(node)
    if isinstance(value, str):
        return code(node)
    if value is not _NOT_LITERAL:
        return str_literal(_spark_text(value))
    if _is_stringish(node):
        return code(node)
    return f"str({code(node)})"


@dataclass
class SparkSubmit:
    """The pieces of one ``spark-submit`` command line, as source text rows."""

    rows: list[list[str]] = field(default_factory=list)
    # The Livy keyword each row came from, so comments on that keyword can follow it.
    owners: list[str | None] = field(default_factory=list)
    current: str | None = None

    def add(self, *items: str) -> None:
        self.rows.append(list(items))
        self.owners.append(self.current)


def _path_expr(node: cst.BaseExpression) -> str:
    # Paths are strings already; only a literal number would need quoting.
    return as_string_expr(node) if is_literal(node) else code(node)


def _list_flag(flag: str, node: cst.BaseExpression, out: SparkSubmit) -> None:
    if isinstance(node, cst.List | cst.Tuple):
        elements = list(node.elements)
        if not elements:
            return
        values = [literal(e.value) for e in elements]
        if all(isinstance(e, cst.Element) for e in elements) and all(
            isinstance(v, str) for v in values
        ):
            out.add(str_literal(flag), str_literal(",".join(str(v) for v in values)))
            return
        if len(elements) == 1 and isinstance(elements[0], cst.Element):
            out.add(str_literal(flag), _path_expr(elements[0].value))
            return
        parts = [
            f"*{code(e.value)}" if isinstance(e, cst.StarredElement) else _path_expr(e.value)
            for e in elements
        ]
        out.add(str_literal(flag), f'",".join([{", ".join(parts)}])')
    elif _is_stringish(node):
        # Already one comma-separated string (a template, say): carry it as it is.
        out.add(str_literal(flag), code(node))
    else:
        out.add(str_literal(flag), f'",".join({code(node)})')


def _conf(node: cst.BaseExpression, out: SparkSubmit) -> bool:
    """Add ``--conf k=v`` rows; False when ``conf`` is a form that cannot be expanded."""
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                out.add(_conf_pairs(element.value))
                continue
            key, value = literal(element.key), literal(element.value)
            if isinstance(key, str) and value is not _NOT_LITERAL:
                out.add('"--conf"', str_literal(f"{key}={_spark_text(value)}"))
            elif isinstance(key, str):
                rhs = code(element.value) if _is_stringish(element.value) else None
                rhs = rhs or f"str({code(element.value)})"
                out.add('"--conf"', f"{str_literal(key + '=')} + {rhs}")
            else:
                out.add(
                    '"--conf"',
                    f'{as_string_expr(element.key)} + "=" + {as_string_expr(element.value)}',
                )
        return True
    if _is_stringish(node):
        return False
    out.add(_conf_pairs(node))
    return True


def _conf_pairs(node: cst.BaseExpression) -> str:
    simple = isinstance(node, cst.Name | cst.Attribute | cst.Call | cst.Subscript | cst.Dict)
    mapping = code(node) if simple else f"({code(node)})"
    return f'*(arg for k, v in {mapping}.items() for arg in ("--conf", f"{{k}}={{v}}"))'


def _args(node: cst.BaseExpression, out: SparkSubmit) -> None:
    if isinstance(node, cst.List | cst.Tuple):
        parts = [
            f"*{code(e.value)}" if isinstance(e, cst.StarredElement) else as_string_expr(e.value)
            for e in node.elements
        ]
        # One application argument per row keeps `--date {{ ds }}` style pairs readable.
        for part in parts:
            out.add(part)
    elif _is_stringish(node):
        out.add(code(node))
    else:
        out.add(f"*{code(node)}")


def spark_submit(kwargs: dict[str, cst.BaseExpression]) -> SparkSubmit | str:
    """The ``Args`` rows of the EMR step for a Livy call's keyword arguments.

    Returns an error message instead when a value cannot be expressed as step arguments.
    """
    out = SparkSubmit()
    out.add('"spark-submit"')
    out.add('"--deploy-mode"', '"cluster"')
    for key, flag in SCALAR_FLAGS.items():
        node = kwargs.get(key)
        if node is None or is_none(node):
            continue
        out.current = key
        value = as_string_expr(node) if key in NUMERIC_FLAGS or is_literal(node) else code(node)
        out.add(str_literal(flag), value)
    for key, flag in LIST_FLAGS.items():
        node = kwargs.get(key)
        if node is not None and not is_none(node):
            out.current = key
            _list_flag(flag, node, out)
    conf = kwargs.get("conf")
    out.current = "conf"
    if conf is not None and not is_none(conf) and not _conf(conf, out):
        return f"`conf={code(conf)}` is a string; spark conf needs a dict"
    out.current = "file"
    out.add(_path_expr(kwargs["file"]))
    args = kwargs.get("args")
    if args is not None and not is_none(args):
        out.current = "args"
        _args(args, out)
    return out
