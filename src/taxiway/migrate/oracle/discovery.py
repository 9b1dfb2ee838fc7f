"""Find the Oracle work in one DAG file (libcst, nothing imported or run).

A task is an Oracle task by rule:

* its operator class is Oracle's (``OracleOperator``, ``OracleStoredProcedureOperator``, any
  operator of an ``oracle`` module such as ``OracleToGCSOperator``), resolved through the
  file's imports, not by the name a file happens to use;
* or it is a common-sql operator (``SQLExecuteQueryOperator``, the check operators,
  ``SqlSensor``, ``SqlToS3Operator``, ``GenericTransfer``) whose connection id (the call's, or
  ``default_args``') has connection type ``oracle`` in the connections given.

For each task the SQL it runs is resolved: a literal, a module-level string constant, a list
of those, or a ``.sql`` template file found in the DAG file's folder or ``template_searchpath``
(as Airflow's Jinja loader looks). ``OracleHook`` use is reported with its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider, QualifiedNameProvider

from taxiway.migrate.oracle.connections import ConnectionTypes
from taxiway.migrate.oracle.notes import StatementResult
from taxiway.migrate.oracle.rewrite import BLOCKING

SQL_QUERY = frozenset({"SQLExecuteQueryOperator"})
SQL_FAMILY = frozenset(
    {
        "SQLCheckOperator", "SQLValueCheckOperator", "SQLIntervalCheckOperator",
        "SQLThresholdCheckOperator", "SQLColumnCheckOperator", "SQLTableCheckOperator",
        "BranchSQLOperator", "SqlSensor", "SQLInsertRowsOperator", "SqlToS3Operator",
        "GenericTransfer",
    }
)  # fmt: skip
CONN_ARGS = ("oracle_conn_id", "conn_id", "sql_conn_id", "source_conn_id")
SQL_ARGS = ("sql", "query")


@dataclass
class SqlSource:
    """One piece of SQL a task runs, or why it could not be read."""

    text: str | None
    line: int  # file line of the text's first line (of the DAG file, or of the .sql file)
    file: str  # the file the text is in, as displayed
    reference: str | None = None  # the template file name as written in the DAG
    path: Path | None = None  # the template file found
    problem: str | None = None


@dataclass
class FoundTask:
    """An Oracle task in a DAG file."""

    file: str
    line: int
    task_id: str
    operator: str
    qualified: str  # the class's qualified name (`airflow.providers....OracleOperator`)
    kind: str  # query (rewritable to AthenaOperator) | check | procedure | transfer
    conn_id: str | None
    node: cst.Call
    sql_arg: str | None = None
    sql_indent: str = "        "  # the indentation of the line holding the `sql=` argument
    sources: list[SqlSource] = field(default_factory=list)
    statements: list[StatementResult] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)  # why the call cannot be rewritten


@dataclass
class HookUse:
    file: str
    line: int
    name: str


@dataclass
class FileScan:
    """What one DAG file holds: the Oracle tasks, hook uses, unknown connections."""

    path: Path
    shown: str
    source: str
    wrapper: MetadataWrapper | None = None
    tasks: list[FoundTask] = field(default_factory=list)
    hooks: list[HookUse] = field(default_factory=list)
    unknown_conns: dict[str, int] = field(default_factory=dict)  # conn id -> first line
    parse_error: tuple[str, int] | None = None


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def classify(qualified: set[str]) -> tuple[str, str] | None:
    """(kind, qualified class name) for an Oracle or common-sql class, else None."""
    for name in sorted(qualified):
        found = _classify(name)
        if found is not None:
            return found[0], name
    return None


def _classify(name: str) -> tuple[str, str] | None:
    module, _, last = name.rpartition(".")
    low = module.lower()
    if last == "OracleHook" and "oracle" in low:
        return "hook", last
    if "oracle" in low and last.endswith(("Operator", "Sensor")):
        if last == "OracleOperator":
            return "query", last
        if last == "OracleStoredProcedureOperator":
            return "procedure", last
        return "transfer", last
    if "sql" in low and last in SQL_QUERY:
        return "sql-query", last
    if "sql" in low and last in SQL_FAMILY:
        return "sql-family", last
    return None


class _Scanner(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self) -> None:
        super().__init__()
        self.constants: dict[str, cst.BaseExpression] = {}
        self.default_conn: dict[str, str] = {}
        self.searchpath: list[str] = []
        self.calls: list[tuple[cst.Call, str, str, int]] = []
        self.partials: list[tuple[cst.Call, str, str, int]] = []
        self.hooks: list[tuple[str, int]] = []
        self._depth = 0

    def _line(self, node: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, node).start.line)

    def _kind(self, node: cst.CSTNode) -> tuple[str, str] | None:
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}
        return classify(names)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._depth:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.constants[target.target.value] = node.value
                if isinstance(node.value, cst.Dict) and "default_args" in target.target.value:
                    self._defaults(node.value)

    def _defaults(self, node: cst.Dict) -> None:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = _string(element.key)
                given = element.value
                if isinstance(given, cst.Name):
                    given = self.constants.get(given.value, given)
                value = _string(given)
                if key in CONN_ARGS and value is not None:
                    self.default_conn[key] = value

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is None:
            return
        if node.keyword.value == "default_args" and isinstance(node.value, cst.Dict):
            self._defaults(node.value)
        if node.keyword.value == "template_searchpath":
            value = node.value
            if isinstance(value, cst.Name):
                value = self.constants.get(value.value, value)
            items = value.elements if isinstance(value, cst.List | cst.Tuple) else [value]
            for item in items:
                expr = item.value if isinstance(item, cst.BaseElement) else item
                text = _string(expr)
                if text is not None:
                    self.searchpath.append(text)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("partial", "expand"):
            found = self._kind(func.value)
            if found and found[0] != "hook" and func.attr.value == "partial":
                self.partials.append((node, *found, self._line(node)))
            return
        found = self._kind(func)
        if found is None:
            return
        if found[0] == "hook":
            self.hooks.append((found[1].rpartition(".")[2], self._line(node)))
        else:
            self.calls.append((node, *found, self._line(node)))


def scan_source(
    source: str,
    path: Path,
    shown: str,
    project: Path,
    connections: ConnectionTypes,
) -> FileScan:
    """The Oracle tasks and hook uses of one DAG file's text."""
    scan = FileScan(path, shown, source)
    if "racle" not in source and "SQL" not in source and "Sql" not in source:
        return scan
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        scan.parse_error = (exc.message, exc.raw_line)
        return scan
    wrapper = MetadataWrapper(module)
    scanner = _Scanner()
    wrapper.visit(scanner)
    scan.wrapper = wrapper
    scan.hooks = [HookUse(shown, line, name) for name, line in scanner.hooks]
    positions = wrapper.resolve(PositionProvider)
    resolver = _Resolver(scanner, path, project, shown, positions)
    for node, kind, qualified, line in scanner.calls:
        name = qualified.rpartition(".")[2]
        kwargs = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        conn_id = resolver.conn_id(kwargs)
        if kind in ("sql-query", "sql-family"):
            if conn_id is None:
                continue  # the operator's default connection: not knowable from the file
            oracle = connections.is_oracle(conn_id)
            if oracle is None:
                scan.unknown_conns.setdefault(conn_id, line)
                continue
            if not oracle:
                continue
            kind = "query" if kind == "sql-query" else "check"
        task = FoundTask(shown, line, _task_id(kwargs, line), name, qualified, kind, conn_id, node)
        task.blockers += [why for key, why in BLOCKING.items() if key in kwargs]
        if any(a.keyword is None for a in node.args):
            task.blockers.append("positional or `**kwargs` arguments")
        task.sql_arg = next((k for k in SQL_ARGS if k in kwargs), None)
        if task.sql_arg is not None:
            task.sources = resolver.sources(kwargs[task.sql_arg], line)
            arg = next(a for a in node.args if a.keyword and a.keyword.value == task.sql_arg)
            text = source.split("\n")[positions[arg].start.line - 1]
            task.sql_indent = text[: len(text) - len(text.lstrip())]
        scan.tasks.append(task)
    for node, kind, qualified, line in scanner.partials:
        if kind in ("sql-query", "sql-family"):
            continue  # mapped SQL tasks: their connection comes with each mapped call
        name = qualified.rpartition(".")[2]
        tid = _task_id(_kwargs(node), line)
        task = FoundTask(shown, line, tid, name, qualified, kind, None, node)
        task.blockers.append("dynamic task mapping (`.partial().expand()`)")
        scan.tasks.append(task)
    return scan


def _kwargs(node: cst.Call) -> dict[str, cst.BaseExpression]:
    return {a.keyword.value: a.value for a in node.args if a.keyword is not None}


def _task_id(kwargs: dict[str, cst.BaseExpression], line: int) -> str:
    node = kwargs.get("task_id")
    if node is None:
        return f"<line {line}>"
    text = _string(node)
    return text if text is not None else cst.Module(body=[]).code_for_node(node)


@dataclass
class _Resolver:
    scanner: _Scanner
    path: Path
    project: Path
    shown: str
    positions: Mapping[cst.CSTNode, CodeRange]

    def _value(self, node: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(node, cst.Name) and node.value in self.scanner.constants:
            return self.scanner.constants[node.value]
        return node

    def conn_id(self, kwargs: dict[str, cst.BaseExpression]) -> str | None:
        for key in CONN_ARGS:
            if key in kwargs:
                return _string(self._value(kwargs[key])) or cst.Module(body=[]).code_for_node(
                    kwargs[key]
                )
        for key in CONN_ARGS:
            if key in self.scanner.default_conn:
                return self.scanner.default_conn[key]
        return None

    def sources(self, node: cst.BaseExpression, line: int) -> list[SqlSource]:
        value = self._value(node)
        if isinstance(value, cst.List | cst.Tuple):
            out: list[SqlSource] = []
            for element in value.elements:
                out += self.sources(element.value, line)
            return out
        text = _string(value)
        at = int(self.positions[value].start.line) if value in self.positions else line
        if text is None:
            code = cst.Module(body=[]).code_for_node(node)
            return [
                SqlSource(None, line, self.shown, problem=f"the SQL is `{code}`, not a literal")
            ]
        if text.strip().lower().endswith(".sql"):
            return [self.template(text.strip(), line)]
        return [SqlSource(text, at, self.shown)]

    def template(self, ref: str, line: int) -> SqlSource:
        if "{{" in ref or "{%" in ref:
            return SqlSource(
                None, line, self.shown, ref, problem=f"`{ref}` is a templated file name"
            )
        found = find_template(ref, self.path.parent, self.scanner.searchpath, self.project)
        if found is None:
            where = ", ".join([str(self.path.parent), *self.scanner.searchpath])
            return SqlSource(
                None, line, self.shown, ref, problem=f"`{ref}` was not found in {where}"
            )
        try:
            text = found.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return SqlSource(None, line, self.shown, ref, found, f"`{found}`: {exc}")
        from taxiway.migrate.runner import display_path

        shown = display_path(found)
        return SqlSource(text, 1, shown, ref, found)


def find_template(ref: str, dag_dir: Path, searchpath: list[str], project: Path) -> Path | None:
    """The file Airflow's Jinja loader would open for ``ref``, found in this checkout.

    Airflow searches the DAG file's folder, then ``template_searchpath``. Paths written for
    the production host (``/usr/local/airflow/include/sql``) are tried below the project
    too, dropping leading parts one at a time.
    """
    roots = [dag_dir]
    for entry in searchpath:
        p = Path(entry)
        roots += [p] if p.is_absolute() else [project / p, dag_dir / p]
    candidates = [root / ref for root in roots]
    if Path(ref).is_absolute():
        candidates.insert(0, Path(ref))
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    for candidate in candidates:
        parts = candidate.parts
        for i in range(1, len(parts)):
            tail = project.joinpath(*parts[i:])
            if tail.is_file():
                return tail.resolve()
    return None
