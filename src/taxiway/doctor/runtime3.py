"""What Airflow 3 removed at run time that ruff's AIR3 rules do not see.

- ``airflow3-db-access``: task code reaching the metadata database: ``settings.Session()``
  (``from airflow import settings`` or ``from airflow.settings import Session``),
  ``@provide_session`` and ``create_session()`` (``airflow.utils.session``, 1.10's
  ``airflow.utils.db``), ``settings.engine``, and the class methods of Airflow's ORM models
  that open a session themselves (``DagRun.find``, ``DagModel.get_current``,
  ``Pool.get_pool``, from ``airflow.models``). Airflow 3 runs tasks through the Task
  Execution API and gives them no database connection: a session fails with
  ``RuntimeError: Direct database access via the ORM is not allowed in Airflow 3.0``.
- ``airflow3-removed`` for the context keys Airflow 3 removed, read from
  ``get_current_context()`` (``ctx = get_current_context(); ctx["execution_date"]``,
  ``get_current_context().get("next_ds")``): ruff sees only a ``@task``'s ``**context``;
  :func:`taxiway.doctor.dags.runtime_removals` covers a plain function's ``**kwargs``.
- ``airflow3-removed`` for Jinja templates that use a removed context variable
  (``"{{ execution_date }}"``, ``"{{ next_ds }}"``, ``"{{ ti.execution_date }}"``): the
  template context no longer has them, and a DAG's templates render with
  ``jinja2.StrictUndefined``, so the task fails when its fields are rendered.

The removed variables are the ones Airflow's "Upgrading to Airflow 3" guide lists
("Some Airflow context variables ... are no longer available in a task instance's
context"). Each finding is one per name and file and lists the lines.
"""

from __future__ import annotations

import ast
import re

from taxiway.findings import Finding, Severity

#: Context keys and template variables Airflow 3 removed (its upgrade guide's list).
REMOVED_VARIABLES = frozenset(
    {
        "execution_date",
        "next_ds",
        "next_ds_nodash",
        "next_execution_date",
        "prev_ds",
        "prev_ds_nodash",
        "prev_execution_date",
        "prev_execution_date_success",
        "tomorrow_ds",
        "tomorrow_ds_nodash",
        "yesterday_ds",
        "yesterday_ds_nodash",
    }
)
# Attributes a TaskInstance/DagRun lost (`logical_date` replaces them), as templates read them.
_REMOVED_ATTRS = frozenset({"execution_date", "next_execution_date", "prev_execution_date"})
_HOLDERS = frozenset({"ti", "task_instance", "dag_run", "dagrun"})

# Where the session helpers live: 2.x/3.x's airflow.utils.session, 1.10's airflow.utils.db.
_SESSION_MODULES = frozenset({"airflow.utils.session", "airflow.utils.db"})
_SESSION_HELPERS = frozenset({"provide_session", "create_session", "create_global_lock"})
# Class methods of Airflow's ORM models that open a session themselves (`@provide_session`
# in Airflow 2 and 3): `DagRun.find(dag_id=...)` in a task queries the metadata database.
# Variable and Connection are not here: on Airflow 3 their `get` goes through the Task SDK.
_MODEL_QUERIES = {
    "DagRun": frozenset(
        {"find", "find_duplicate", "get_latest_runs", "active_runs_of_dags", "get_run"}
    ),
    "DagModel": frozenset({"get_current", "get_dagmodel", "get_paused_dag_ids"}),
    "TaskInstance": frozenset({"get_task_instance"}),
    "Pool": frozenset(
        {"get_pool", "get_pools", "get_default_pool", "create_or_update_pool", "delete_pool"}
    ),
}
# What Airflow 3's supervisor replaces in `airflow.settings` (`block_orm_access`).
_SETTINGS_ATTRS = frozenset(
    {"Session", "engine", "async_engine", "AsyncSession", "NonScopedSession"}
)


def runtime_findings(tree: ast.AST, display: str) -> list[Finding]:
    """The findings of this module for one parsed file on an Airflow 3 target."""
    return (
        db_access(tree, display)
        + current_context_keys(tree, display)
        + template_variables(tree, display)
    )


def _where(lines: list[int]) -> str:
    return ", ".join(str(n) for n in sorted(set(lines)))


# --- the metadata database -------------------------------------------------------------


def db_access(tree: ast.AST, display: str) -> list[Finding]:
    """``airflow3-db-access``: one finding per helper (``settings.Session``,
    ``provide_session``, ...) per file, at its first line, listing the import and uses."""
    bound: dict[str, str] = {}  # local name -> what it is ("provide_session", "settings")
    models: dict[str, str] = {}  # local name -> ORM model class ("DagRun")
    uses: dict[str, list[int]] = {}
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                local = alias.asname or alias.name
                if node.module in _SESSION_MODULES and alias.name in _SESSION_HELPERS:
                    bound[local] = alias.name
                    uses.setdefault(alias.name, []).append(node.lineno)
                elif node.module == "airflow" and alias.name == "settings":
                    bound[local] = "settings"
                elif node.module == "airflow.settings" and alias.name in _SETTINGS_ATTRS:
                    bound[local] = f"settings.{alias.name}"
                    uses.setdefault(f"settings.{alias.name}", []).append(node.lineno)
                elif _is_models(node.module) and alias.name in _MODEL_QUERIES:
                    models[local] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "airflow.settings" and alias.asname:
                    bound[alias.asname] = "settings"
    if not bound and not models:
        return []
    typing_only = _annotation_nodes(tree)  # `session: Session` opens nothing
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        query = _model_query(node, models)
        if query is not None and isinstance(node, ast.Call):
            uses.setdefault(query, []).append(node.lineno)
            used.add(query)
            continue
        if isinstance(node, ast.Attribute) and node.attr in _SETTINGS_ATTRS:
            base = node.value
            named = isinstance(base, ast.Name) and bound.get(base.id) == "settings"
            if not named and _dotted(base) != "airflow.settings":
                continue
            name = f"settings.{node.attr}"
            uses.setdefault(name, []).append(node.lineno)
            used.add(name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            what = bound.get(node.id)
            if what is not None and what != "settings":
                uses.setdefault(what, []).append(node.lineno)
                used.add(what)
    out = []
    for name, lines in uses.items():
        in_use = name in used
        out.append(
            Finding(
                "airflow3-db-access",
                Severity.ERROR if in_use else Severity.WARNING,
                name,
                f"`{name}` reaches Airflow's metadata database, which Airflow 3 closes to "
                "tasks and DAG parsing (both run in supervised processes that talk to the API "
                "server): the session fails with `RuntimeError: Direct database access via "
                "the ORM is not allowed in Airflow 3.0`"
                + ("" if in_use else " (imported here, not used yet)")
                + f"; line(s) {_where(lines)}.",
                "Read what the task needs from its context or through the Airflow REST API "
                "(`apache-airflow-client`); Variables and Connections through `airflow.sdk`.",
                display,
                min(lines),
            )
        )
    return out


def _is_models(module: str) -> bool:
    return module == "airflow.models" or module.startswith("airflow.models.")


def _model_query(node: ast.AST, models: dict[str, str]) -> str | None:
    """``DagRun.find`` for a call ``DagRun.find(...)`` of an imported ORM model, else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    base = node.func.value
    model = models.get(base.id) if isinstance(base, ast.Name) else None
    if model is None or node.func.attr not in _MODEL_QUERIES[model]:
        return None
    return f"{model}.{node.func.attr}"


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """``id()`` of every node inside a type annotation."""
    roots: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            roots.append(node.returns)
    return {id(n) for root in roots for n in ast.walk(root)}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else ""
    return ""


# --- get_current_context() --------------------------------------------------------------


def _is_current_context(node: ast.expr) -> bool:
    """``get_current_context()`` (also through a module: ``python.get_current_context()``)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )
    return name == "get_current_context"


def _key_read(node: ast.AST, holder: ast.expr | None = None) -> tuple[ast.expr, object] | None:
    """(container, key) of ``x["key"]`` or ``x.get("key", ...)``."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.value, node.slice.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return node.func.value, node.args[0].value
    return None


def current_context_keys(tree: ast.AST, display: str) -> list[Finding]:
    """``airflow3-removed`` for removed keys read from ``get_current_context()``, directly or
    through a name assigned from it in the same function (or module)."""
    uses: dict[str, list[int]] = {}
    scopes: list[ast.AST] = [tree] + [
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    for scope in scopes:
        holders = {
            t.id
            for n in _own_nodes(scope)
            if isinstance(n, ast.Assign) and _is_current_context(n.value)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for node in _own_nodes(scope):
            read = _key_read(node)
            if read is None:
                continue
            container, key = read
            direct = _is_current_context(container)
            named = isinstance(container, ast.Name) and container.id in holders
            if (direct or named) and isinstance(key, str) and key in REMOVED_VARIABLES:
                uses.setdefault(key, []).append(getattr(node, "lineno", 0))
    return [
        Finding(
            "airflow3-removed",
            Severity.ERROR,
            key,
            f"Context key `{key}` is removed in Airflow 3.0: `get_current_context()` has no "
            f"such key, so reading it fails (KeyError) or gives None; used on line(s) "
            f"{_where(lines)}.",
            "Use `logical_date` / `data_interval_start` / `data_interval_end`.",
            display,
            min(lines),
        )
        for key, lines in uses.items()
    ]


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of ``scope`` outside nested functions (each function is its own scope)."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


# --- Jinja templates --------------------------------------------------------------------

_JINJA = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.DOTALL)
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
# A name at the start of an expression path: not after `.` (an attribute) or a word char.
_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)(?:\s*\.\s*([A-Za-z_]\w*))?")


def template_names(text: str) -> list[tuple[str, int]]:
    """Removed variables a Jinja template reads (``execution_date``, ``ti.execution_date``),
    each with the number of newlines before it in ``text``."""
    found: list[tuple[str, int]] = []
    for m in _JINJA.finditer(text):
        expr = _STRING.sub("''", m.group(1) if m.group(1) is not None else m.group(2))
        for name in _NAME.finditer(expr):
            head, attr = name.group(1), name.group(2)
            if head in REMOVED_VARIABLES:
                found.append((head, text.count("\n", 0, m.start())))
            elif head in _HOLDERS and attr in _REMOVED_ATTRS:
                found.append((f"{head}.{attr}", text.count("\n", 0, m.start())))
    return found


def _strings(tree: ast.AST) -> list[tuple[str, int, bool]]:
    """Every string the code holds, with its first line and whether its lines are the
    source's (one literal, no escaped newlines), except docstrings and bare strings."""
    skip = {
        id(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
    }
    out = []
    for n in ast.walk(tree):
        if not isinstance(n, ast.Constant) or not isinstance(n.value, str):
            continue
        if "{" not in n.value or id(n) in skip:
            continue
        literal = (n.end_lineno or n.lineno) - n.lineno == n.value.count("\n")
        out.append((n.value, n.lineno, literal))
    return out


def template_variables(tree: ast.AST, display: str) -> list[Finding]:
    """``airflow3-removed`` for each removed variable a template string uses."""
    uses: dict[str, list[int]] = {}
    for text, line, literal in _strings(tree):
        for name, offset in template_names(text):
            uses.setdefault(name, []).append(line + offset if literal else line)
    return [
        Finding(
            "airflow3-removed",
            Severity.ERROR,
            f"{{{{ {name} }}}}",
            f"Template variable `{name}` is removed in Airflow 3.0: the template context has "
            "no such name, and templates render with StrictUndefined, so the task fails "
            f"when its fields are rendered; used on line(s) {_where(lines)}.",
            _TEMPLATE_HINTS.get(name.rpartition(".")[2], _TEMPLATE_HINT),
            display,
            min(lines),
        )
        for name, lines in uses.items()
    ]


_TEMPLATE_HINT = "Use `{{ logical_date }}`, `{{ ds }}` or `{{ data_interval_start }}`."
_TEMPLATE_HINTS = {
    "next_ds": "Use `{{ data_interval_end | ds }}`.",
    "next_ds_nodash": "Use `{{ data_interval_end | ds_nodash }}`.",
    "next_execution_date": "Use `{{ data_interval_end }}`.",
    "prev_ds": "Use `{{ prev_data_interval_start_success | ds }}` or "
    "`{{ macros.ds_add(ds, -1) }}` for the day before.",
    "prev_ds_nodash": "Use `{{ macros.ds_format(macros.ds_add(ds, -1), '%Y-%m-%d', '%Y%m%d') }}`.",
    "prev_execution_date": "Use `{{ prev_data_interval_start_success }}`.",
    "prev_execution_date_success": "Use `{{ prev_data_interval_start_success }}`.",
    "tomorrow_ds": "Use `{{ macros.ds_add(ds, 1) }}`.",
    "tomorrow_ds_nodash": "Use `{{ macros.ds_format(macros.ds_add(ds, 1), '%Y-%m-%d', '%Y%m%d') }}`.",
    "yesterday_ds": "Use `{{ macros.ds_add(ds, -1) }}`.",
    "yesterday_ds_nodash": "Use `{{ macros.ds_format(macros.ds_add(ds, -1), '%Y-%m-%d', '%Y%m%d') }}`.",
}
