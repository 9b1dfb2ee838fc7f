"""``top-level-code``: work a DAG file does every time Airflow parses it.

MWAA's scheduler re-imports each DAG file every ``min_file_process_interval`` (30 s by
default); Variable and Connection reads hit the metadata database or the secrets backend,
network and file I/O block the parser, and heavy imports add seconds. Code that runs at parse
time is the module body, class bodies, decorators and default arguments, and the body of a
``@dag`` function (called at module level); task functions run later and are skipped.

Names are followed to what they are bound to (:class:`ParseTimeAnalysis`): calling a
``@task`` function at parse time only builds an XComArg, whatever the function is called;
calling a plain function of the same module, or one imported from the dags folder, runs its
body; importing a module of the dags folder (``import config``) runs that module's body.
Findings land where the work is (``dags/config.py:5``), once, naming the DAG file that
reaches it.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from taxiway.findings import Finding, Severity

# Module name ("common.config") -> the file of the dags folder that defines it.
ModuleResolver = Mapping[str, Path]
MAX_DEPTH = 4  # how deep calls and local imports are followed

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


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return dotted(target)


def _is_dag_decorator(node: ast.expr) -> bool:
    return _decorator_name(node).split(".")[-1] == "dag"


def _is_task_decorator(node: ast.expr) -> bool:
    """``@task``, ``@task.python``, ``@task(...)``, ``@task.virtualenv(...)``, ``@teardown``."""
    parts = _decorator_name(node).split(".")
    return "task" in parts or parts[-1] in ("setup", "teardown", "asset")


def _parse_time_nodes(body: list[ast.stmt]) -> list[ast.AST]:
    """Nodes of ``body`` evaluated when it runs (see the module docstring)."""
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

    for stmt in body:
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


def parse_time_findings(
    tree: ast.Module, display: str, modules: ModuleResolver | None = None, module: str = ""
) -> list[Finding]:
    """``top-level-code`` findings: one per offending call or heavy import.

    Names are followed to what they are bound to: a call of a ``@task`` function only builds
    an XComArg (skipped, whatever its name); a call of a plain function of the same module,
    or of one imported from the dags folder (``modules`` resolves those), is followed into
    its body; a module of the dags folder imported at parse time runs its own body.
    """
    return ParseTimeAnalysis(modules or {}).module_findings(tree, display, module)


@dataclass(frozen=True)
class _Module:
    """One parsed module of the dags folder: its functions and what its names import."""

    name: str
    display: str
    tree: ast.Module
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
    imported: dict[str, tuple[str, str]]  # local name -> (module, attribute or "")


def _from_base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module of ``from <base> import ...`` inside ``module``."""
    if not node.level:
        return node.module or ""
    package = (module if is_package else module.rpartition(".")[0]).split(".")
    package = [p for p in package if p]
    if node.level > 1:
        package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, node.module] if node.module else package)


class ParseTimeAnalysis:
    """Follows calls and local imports from a DAG file's parse-time code (one per dags folder)."""

    def __init__(self, modules: ModuleResolver, root: Path | None = None) -> None:
        self.modules = modules
        self.root = root
        self._cache: dict[str, _Module | None] = {}

    def load(self, name: str) -> _Module | None:
        """The local module ``name``, parsed once; None if it is not in the dags folder."""
        if name not in self._cache:
            path = self.modules.get(name)
            self._cache[name] = None
            if path is not None:
                try:
                    tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
                except SyntaxError:
                    return None  # reported as parse-error on the file itself
                display = path.relative_to(self.root).as_posix() if self.root else path.name
                self._cache[name] = self.scope(tree, display, name, path.stem == "__init__")
        return self._cache[name]

    def scope(self, tree: ast.Module, display: str, name: str, is_package: bool) -> _Module:
        """Functions defined anywhere in ``tree`` and the local names its imports bind."""
        functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        imported: dict[str, tuple[str, str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.setdefault(node.name, node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imported[alias.asname] = (alias.name, "")
                    else:
                        top = alias.name.split(".")[0]
                        imported[top] = (top, "")
            elif isinstance(node, ast.ImportFrom):
                base = _from_base(node, name, is_package)
                for alias in node.names:
                    sub = f"{base}.{alias.name}" if base else alias.name
                    if sub in self.modules:
                        imported[alias.asname or alias.name] = (sub, "")
                    else:
                        imported[alias.asname or alias.name] = (base, alias.name)
        return _Module(name, display, tree, functions, imported)

    def module_findings(self, tree: ast.Module, display: str, name: str = "") -> list[Finding]:
        """Findings for a DAG file: its own parse-time code and everything it reaches."""
        mod = self.scope(tree, display, name, display.endswith("__init__.py"))
        out: list[Finding] = []
        self._nodes(mod, tree.body, out, via="", depth=0, seen=set())
        unique: dict[tuple[str, str | None, int | None], Finding] = {}
        for f in out:
            unique.setdefault((f.subject, f.file, f.line), f)
        return list(unique.values())

    def _nodes(
        self, mod: _Module, body: list[ast.stmt], out: list[Finding], via: str, depth: int,
        seen: set[str],
    ) -> None:  # fmt: skip
        for node in _parse_time_nodes(body):
            if isinstance(node, ast.Call):
                self._call(mod, node, out, via, depth, seen)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                out.extend(_heavy_import(node, mod.display, via))
                self._local_import(mod, node, out, via, depth, seen)

    def _call(
        self, mod: _Module, node: ast.Call, out: list[Finding], via: str, depth: int,
        seen: set[str],
    ) -> None:  # fmt: skip
        name = dotted(node.func)
        target = self._function(mod, name)
        if target is not None:
            owner, func = target
            if any(_is_task_decorator(d) for d in func.decorator_list):
                return  # calling a @task at parse time only builds an XComArg
            if any(_is_dag_decorator(d) for d in func.decorator_list):
                return  # its body is parse-time code of its own module already
            key = f"{owner.name}:{func.name}:{func.lineno}"
            if key in seen or depth >= MAX_DEPTH:
                return
            where = via or f"`{name}()` called at {mod.display}:{node.lineno}"
            self._nodes(owner, func.body, out, where, depth + 1, seen | {key})
            return
        what = classify_call(name)
        if what:
            out.append(_call_finding(name, what, mod.display, node.lineno, via))

    def _function(
        self, mod: _Module, name: str
    ) -> tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """The function a call of ``name`` runs, when it is defined in the dags folder."""
        head, _, attr = name.partition(".")
        if not attr and head in mod.imported:
            module, member = mod.imported[head]
            owner = self.load(module) if member else None
            if owner is not None and member in owner.functions:
                return owner, owner.functions[member]
            return None
        if not attr:
            func = mod.functions.get(head)
            return (mod, func) if func is not None else None
        if head in mod.imported and "." not in attr:
            module, member = mod.imported[head]
            owner = self.load(f"{module}.{member}" if member else module)
            if owner is not None and attr in owner.functions:
                return owner, owner.functions[attr]
        return None

    def _local_import(
        self, mod: _Module, node: ast.Import | ast.ImportFrom, out: list[Finding], via: str,
        depth: int, seen: set[str],
    ) -> None:  # fmt: skip
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            base = _from_base(node, mod.name, mod.display.endswith("__init__.py"))
            names = [base, *(f"{base}.{a.name}" if base else a.name for a in node.names)]
        for name in dict.fromkeys(n for n in names if n):
            # Importing a.b.c runs a/__init__.py, a/b/__init__.py and a/b/c.py.
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                sub = ".".join(parts[:i])
                owner = self.load(sub)
                key = f"module:{sub}"
                if owner is None or key in seen or depth >= MAX_DEPTH:
                    continue
                seen.add(key)
                where = via or f"`import {sub}` at {mod.display}:{node.lineno}"
                self._nodes(owner, owner.tree.body, out, where, depth + 1, seen)


def _call_finding(name: str, what: str, display: str, line: int, via: str) -> Finding:
    reached = f" (reached from {via})" if via else ""
    return Finding(
        "top-level-code",
        Severity.WARNING,
        f"{name}()",
        f"`{name}()` runs every time the scheduler parses the DAG files that reach "
        f"`{display}`{reached}: it {what}.",
        "Move it into a task (or use a Jinja template such as "
        "`{{ var.value.name }}`) so it runs at execution time.",
        display,
        line,
    )


def _heavy_import(node: ast.Import | ast.ImportFrom, display: str, via: str) -> list[Finding]:
    modules = (
        [a.name for a in node.names]
        if isinstance(node, ast.Import)
        else [node.module or ""]
        if node.level == 0
        else []
    )
    reached = f" (reached from {via})" if via else ""
    return [
        Finding(
            "top-level-code",
            Severity.WARNING,
            f"import {module}",
            f"`{display}` imports `{module}` at module level{reached}; heavy imports "
            "slow every parse of the file.",
            "Import it inside the task function that needs it.",
            display,
            node.lineno,
        )
        for module in modules
        if module.split(".", 1)[0] in HEAVY_MODULES
    ]


def local_module_map(*folders: Path | None) -> dict[str, Path]:
    """Module names importable from folders on ``sys.path`` -> their files."""
    from taxiway.doctor.files import python_files

    out: dict[str, Path] = {}
    for folder in folders:
        if folder is None or not folder.is_dir():
            continue
        for path in python_files(folder):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts:
                out.setdefault(".".join(parts), path)
    return out
