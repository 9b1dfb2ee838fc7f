"""``top-level-code``: work a DAG file does every time Airflow parses it.

MWAA's scheduler re-imports each DAG file every ``min_file_process_interval`` (30 s by
default); Variable and Connection reads hit the metadata database or the secrets backend,
network and file I/O block the parser, and heavy imports add seconds. Code that runs at parse
time is the module body, class bodies, decorators and default arguments, and the body of a
``@dag`` function (called at module level); task functions run later and are skipped.
"""

from __future__ import annotations

import ast

from taxiway.findings import Finding, Severity

HEAVY_MODULES = frozenset(
    {
        "pandas", "numpy", "scipy", "sklearn", "tensorflow", "torch", "matplotlib",
        "pyspark", "duckdb", "polars", "pyarrow", "sqlglot", "dask", "transformers",
        "great_expectations", "seaborn", "plotly", "statsmodels", "xgboost", "lightgbm",
    }
)  # fmt: skip
_NETWORK_PREFIXES = (
    "requests.", "httpx.", "urllib.request.", "urllib3.", "boto3.", "socket.",
    "http.client.", "aiohttp.", "paramiko.", "smtplib.", "ftplib.",
)  # fmt: skip
_NETWORK_CALLS = frozenset({"urlopen", "boto3.client", "boto3.resource", "boto3.Session"})
_FILE_CALLS = frozenset(
    {"open", "io.open", "os.listdir", "os.scandir", "os.walk", "glob.glob", "shutil.copy"}
)
_FILE_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes"})
_PROCESS = ("subprocess.", "os.system", "os.popen")
_CONNECTION_METHODS = frozenset({"get_connection", "get_connection_from_secrets", "get_conn"})


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a Name/Attribute chain, else the last attribute or ""."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(dotted(node.func) + "()")
    return ".".join(reversed(parts))


def _is_dag_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return dotted(target).split(".")[-1] == "dag"


def _parse_time_nodes(tree: ast.Module) -> list[ast.AST]:
    """Nodes evaluated when the module is imported (see the module docstring)."""
    out: list[ast.AST] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.extend(node.decorator_list)
            out.extend(node.args.defaults)
            out.extend(d for d in node.args.kw_defaults if d is not None)
            if any(_is_dag_decorator(d) for d in node.decorator_list):
                for stmt in node.body:
                    visit(stmt)
            return
        if isinstance(node, ast.Lambda):
            return
        out.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for stmt in tree.body:
        visit(stmt)
    return out


def classify_call(name: str) -> str | None:
    """What kind of parse-time work a call to ``name`` (dotted) is, or None."""
    if "()" in name:
        return None  # a method of a call's result: the inner call is reported already
    last = name.rsplit(".", 1)[-1]
    if name.endswith(("Variable.get", "Variable.set", "Variable.setdefault")):
        return "reads an Airflow Variable (a metadata-database or secrets-backend query)"
    if last in _CONNECTION_METHODS or name.endswith("Connection.get"):
        return "reads an Airflow Connection (a database or secrets-backend query)"
    if last.endswith("Hook") and last[:1].isupper():
        return "creates a hook (hooks read connections and open clients)"
    if name in _NETWORK_CALLS or name.startswith(_NETWORK_PREFIXES):
        return "does network I/O"
    if name in _FILE_CALLS or last in _FILE_METHODS:
        return "does file I/O"
    if name.startswith(_PROCESS):
        return "starts a process"
    return None


def parse_time_findings(tree: ast.Module, display: str) -> list[Finding]:
    """``top-level-code`` findings: one per offending call or heavy import."""
    out: list[Finding] = []
    for node in _parse_time_nodes(tree):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            what = classify_call(name)
            if what:
                out.append(
                    Finding(
                        "top-level-code",
                        Severity.WARNING,
                        f"{name}()",
                        f"`{name}()` runs every time the scheduler parses `{display}`: it {what}.",
                        "Move it into a task (or use a Jinja template such as "
                        "`{{ var.value.name }}`) so it runs at execution time.",
                        display,
                        node.lineno,
                    )
                )
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if node.level == 0
                else []
            )
            for module in modules:
                if module.split(".", 1)[0] in HEAVY_MODULES:
                    out.append(
                        Finding(
                            "top-level-code",
                            Severity.WARNING,
                            f"import {module}",
                            f"`{display}` imports `{module}` at module level; heavy imports "
                            "slow every parse of the file.",
                            "Import it inside the task function that needs it.",
                            display,
                            node.lineno,
                        )
                    )
    return out
