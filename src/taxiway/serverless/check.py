"""``taxiway doctor project --target mwaa-serverless``: a project against MWAA Serverless.

Static, like the rest of the doctor: every DAG file is parsed with :mod:`ast`, nothing is
imported or run. What it reports, each with the file and line:

* ``serverless-unsupported-operator`` (error): an operator outside the shipped list
  (:mod:`taxiway.serverless.operators`); TaskFlow decorators count as the operator they
  build (``@task`` is a PythonOperator, ``@task.bash`` a BashOperator, ``@task.virtualenv``
  is not supported);
* ``serverless-custom-operator`` (warning): an operator class of the project's own (a
  subclass): it runs only from the workflow's code package;
* ``serverless-code-package`` (info): PythonOperator/BashOperator tasks and what they need;
* ``serverless-plugins`` (error), ``serverless-startup`` and ``serverless-requirements``
  (warning): parts Serverless never reads;
* ``serverless-schedule`` (error for timedelta, timetables and Assets; warning for presets
  that ``taxiway convert serverless`` rewrites to cron);
* ``serverless-assets`` (warning): Assets/Datasets in ``outlets``/``inlets``: nothing is
  triggered by them;
* ``serverless-ignored-parameter`` (warning, info for cosmetic ones): each ignored DAG
  parameter a DAG sets, with what changes for that DAG;
* ``serverless-task-limit`` (warning): an ``execution_timeout`` or sensor ``timeout`` over
  the 60-minute task limit;
* ``serverless-variable``/``serverless-connection`` (info; warning for a connection other
  than ``aws_default``): what the workflow reads and must get another way.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from taxiway.doctor.files import python_files
from taxiway.doctor.project import ProjectLayout
from taxiway.findings import Finding, Severity
from taxiway.serverless.operators import IGNORED, TASK_LIMIT_SECONDS, operator_data

_DAG_CLASSES = {"airflow.DAG", "airflow.models.DAG", "airflow.models.dag.DAG", "airflow.sdk.DAG"}
_DAG_DECORATORS = {"airflow.decorators.dag", "airflow.sdk.dag", "airflow.models.dag.dag"}
_TASK_DECORATORS = {"airflow.decorators.task", "airflow.sdk.task"}
#: ``@task.<kind>`` -> the operator it builds (None: not supported on Serverless)
_TASKFLOW = {
    "": "PythonOperator",
    "python": "PythonOperator",
    "bash": "BashOperator",
    "external_python": None,
    "virtualenv": None,
    "branch": None,
    "short_circuit": None,
    "sensor": None,
    "docker": None,
    "kubernetes": None,
    "pyspark": None,
    "branch_virtualenv": None,
}
_ASSETS = ("Dataset", "Asset", "AssetAlias", "DatasetAlias", "AssetAll", "AssetAny")
_PRESETS = {
    "@once": None,
    "@continuous": None,
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@midnight": "0 0 * * *",
}
_TEMPLATE_VAR = re.compile(r"\bvar\.(?:value|json)\.([A-Za-z_][\w]*)")
_TEMPLATE_CONN = re.compile(r"\bconn\.([A-Za-z_][\w]*)")
_COSMETIC = frozenset({"tags", "description", "access_control", "is_paused_upon_creation"})


def cron_for(preset: str) -> str | None:
    """The cron expression a schedule preset stands for (None: it has none)."""
    return _PRESETS.get(preset)


def is_cron(text: str) -> bool:
    """Five (or six) cron fields; Serverless takes a cron expression or null."""
    return len(text.split()) in (5, 6) and not text.startswith("@")


@dataclass
class _File:
    display: str
    tree: ast.Module
    names: dict[str, str] = field(default_factory=dict)  # local name -> dotted path
    dicts: dict[str, ast.Dict] = field(default_factory=dict)  # module-level NAME = {...}
    values: dict[str, ast.expr] = field(default_factory=dict)  # module-level NAME = ...
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)

    local: dict[str, _File] = field(default_factory=dict)  # the project's modules by name

    def resolve(self, node: ast.expr) -> str | None:
        """The dotted path a name or attribute chain stands for, through the imports (and
        through the project's own modules that re-export, such as a compat module)."""
        if isinstance(node, ast.Name):
            return self._through(self.names.get(node.id, node.id))
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            return self.resolve(node.func)
        return None

    def _through(self, path: str, depth: int = 0) -> str:
        module, _, name = path.rpartition(".")
        other = self.local.get(module)
        if other is None or depth > 3 or name in other.classes or name not in other.names:
            return path
        return other._through(other.names[name], depth + 1)


def _parse(path: Path, display: str) -> _File | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return None  # the MWAA doctor reports parse errors
    f = _File(display, tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                f.names[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                f.names[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ClassDef):
            f.classes[node.name] = node
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    f.values[target.id] = stmt.value
                    if isinstance(stmt.value, ast.Dict):
                        f.dicts[target.id] = stmt.value
    return f


def _operator_like(name: str) -> bool:
    return name.endswith(("Operator", "Sensor"))


def _is_airflow(path: str) -> bool:
    return path.startswith("airflow.")


def _seconds(node: ast.expr | None, f: _File) -> float | None:
    """Seconds of a ``timedelta(...)`` or a number literal; None when not static."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Call) and (f.resolve(node.func) or "").endswith("timedelta"):
        scale = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
        total = 0.0
        for kw in node.keywords:
            value = kw.value.value if isinstance(kw.value, ast.Constant) else None
            if kw.arg in scale and isinstance(value, int | float):
                total += float(value) * scale[kw.arg]
        first = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
        if isinstance(first, int | float):
            total += float(first) * 86400
        return total
    return None


class _Checker:
    def __init__(self, f: _File) -> None:
        self.f = f
        self.out: list[Finding] = []
        self.data = operator_data()

    def add(
        self, code: str, severity: Severity, subject: str, message: str, hint: str, node: ast.AST
    ) -> None:
        line = getattr(node, "lineno", None)
        self.out.append(Finding(code, severity, subject, message, hint, self.f.display, line))

    def run(self) -> list[Finding]:
        for node in ast.walk(self.f.tree):
            if isinstance(node, ast.ClassDef):
                self._class(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for deco in node.decorator_list:
                    self._decorator(deco, node)
            elif isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                self._template(node)
        return self.out

    # -- operators -------------------------------------------------------------------
    def _class(self, node: ast.ClassDef) -> None:
        bases = [self.f.resolve(b) or "" for b in node.bases]
        if any(_operator_like(b.rsplit(".", 1)[-1]) for b in bases):
            self.add(
                "serverless-custom-operator",
                Severity.WARNING,
                node.name,
                f"`{node.name}` subclasses `{bases[0].rsplit('.', 1)[-1]}`: Serverless runs a "
                "project's own operator only from the workflow's code package, and "
                "`taxiway convert serverless` cannot describe its arguments as YAML.",
                "Ship its module in the code package (`taxiway convert serverless` does) or "
                "express the task with a supported operator.",
                node,
            )

    def _decorator(self, deco: ast.expr, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        target = deco.func if isinstance(deco, ast.Call) else deco
        path = self.f.resolve(target) or ""
        kind = None
        if path in _TASK_DECORATORS:
            kind = ""
        elif path.rpartition(".")[0] in _TASK_DECORATORS:
            kind = path.rpartition(".")[2]
        elif path in _DAG_DECORATORS and isinstance(deco, ast.Call):
            self._dag(deco, fn.name)
            return
        if kind is None:
            return
        operator = _TASKFLOW.get(kind)
        if operator is None:
            self.add(
                "serverless-unsupported-operator",
                Severity.ERROR,
                f"@task.{kind}",
                f"`@task.{kind}` on `{fn.name}` builds an operator MWAA Serverless does not run.",
                "Use `@task`/PythonOperator, BashOperator or an AWS operator (Lambda, Glue, "
                "EMR, Batch) for this work.",
                deco,
            )
            return
        self._code_task(operator, f"@task{'.' + kind if kind else ''} `{fn.name}`", deco)

    def _code_task(self, operator: str, what: str, node: ast.AST) -> None:
        needs = (
            "its callable must be in the workflow's code package"
            if operator == "PythonOperator"
            else "scripts it calls must be in the workflow's code package"
        )
        self.add(
            "serverless-code-package",
            Severity.INFO,
            operator,
            f"{what} runs as a {operator}: {needs} (a zip unpacked into the dags folder), on "
            "a worker of about 1 vCPU and 3 GiB, stopped after 60 minutes.",
            "`taxiway convert serverless` writes the code package with the project's modules.",
            node,
        )

    def _call(self, node: ast.Call) -> None:
        path = self.f.resolve(node.func) or ""
        name = path.rsplit(".", 1)[-1]
        if path in _DAG_CLASSES:
            self._dag(node, _dag_id(node))
            return
        if path.endswith("Variable.get") or path.endswith("Variable.get_variable"):
            self._reads("variable", _first_str(node), node)
            return
        if path.endswith(("get_connection", "get_connection_from_secrets")):
            self._reads("connection", _first_str(node), node)
            return
        if name in _ASSETS and _is_airflow(path):
            return  # reported where it is used (schedule, outlets)
        if not _operator_like(name) or name[0].islower():
            return
        if name in self.f.classes or not _is_airflow(path):
            if name in self.f.classes or path in self.f.names.values() or "." in path:
                self._custom_use(name, path, node)
            return
        self._operator(name, path, node)

    def _custom_use(self, name: str, path: str, node: ast.Call) -> None:
        if name in self.f.classes:
            return  # the class definition carries the finding
        self.add(
            "serverless-custom-operator",
            Severity.WARNING,
            name,
            f"`{name}` (from `{path.rsplit('.', 1)[0]}`) is not an Airflow operator: it runs on "
            "Serverless only from the workflow's code package.",
            "Ship its module in the code package or use a supported operator.",
            node,
        )
        self._task_args(name, node)

    def _operator(self, name: str, path: str, node: ast.Call) -> None:
        supported = self.data.supported(path)
        if supported is None:
            hint = (
                "Use EmptyOperator (DummyOperator is gone in Airflow 3)."
                if name == "DummyOperator"
                else "Replace it with a supported operator, or run the work elsewhere "
                "(Lambda, Glue, EMR, Batch, ECS) from a supported operator."
            )
            self.add(
                "serverless-unsupported-operator",
                Severity.ERROR,
                name,
                f"`{name}` (`{path}`) is not among the operators MWAA Serverless runs.",
                hint,
                node,
            )
        elif name in ("PythonOperator", "BashOperator"):
            self._code_task(name, f"Task `{_task_id(node)}`", node)
        self._task_args(name, node)

    def _task_args(self, name: str, node: ast.Call) -> None:
        kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        timeout = _seconds(kwargs.get("execution_timeout"), self.f)
        if timeout is not None and timeout > TASK_LIMIT_SECONDS:
            self._limit(name, f"`execution_timeout` is {timeout / 60:.0f} minutes", node)
        if name.endswith("Sensor"):
            poke = _seconds(kwargs.get("timeout"), self.f)
            if poke is not None and poke > TASK_LIMIT_SECONDS:
                self._limit(name, f"its `timeout` is {poke / 60:.0f} minutes", node)
        for key in ("outlets", "inlets"):
            value = kwargs.get(key)
            if value is not None and self._mentions_assets(value):
                self.add(
                    "serverless-assets",
                    Severity.WARNING,
                    key,
                    f"`{name}` sets `{key}` to Assets/Datasets: Serverless has no Asset events, "
                    "so no workflow is triggered by them.",
                    "Trigger the downstream workflow explicitly (StartWorkflowRun) or give it "
                    "a cron schedule.",
                    node,
                )
        for key, value in kwargs.items():
            if key.endswith("conn_id") and isinstance(value, ast.Constant):
                self._reads("connection", str(value.value), node)

    def _limit(self, name: str, what: str, node: ast.AST) -> None:
        self.add(
            "serverless-task-limit",
            Severity.WARNING,
            name,
            f"`{name}`: {what}, over Serverless's 60-minute task limit: the task is stopped "
            "at 60 minutes.",
            "Split the work, or run it on Glue/EMR/Batch and wait with a deferrable sensor.",
            node,
        )

    def _mentions_assets(self, node: ast.expr, depth: int = 0) -> bool:
        for sub in ast.walk(node):
            value = self.f.values.get(sub.id) if isinstance(sub, ast.Name) else None
            if value is not None and depth < 3 and self._mentions_assets(value, depth + 1):
                return True
            if isinstance(sub, ast.Call):
                path = self.f.resolve(sub.func) or ""
                if path.rsplit(".", 1)[-1] in _ASSETS and _is_airflow(path):
                    return True
        return False

    # -- DAG parameters ---------------------------------------------------------------
    def _dag(self, node: ast.Call, dag_id: str) -> None:
        kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        schedule = kwargs.get("schedule", kwargs.get("schedule_interval"))
        if "timetable" in kwargs:
            schedule = kwargs["timetable"]
        if schedule is not None:
            self._schedule(dag_id, schedule)
        for key, value in kwargs.items():
            if key in IGNORED:
                self._ignored(dag_id, key, value, node)
        default_args = kwargs.get("default_args")
        if isinstance(default_args, ast.Name):
            default_args = self.f.dicts.get(default_args.id)
        if isinstance(default_args, ast.Dict):
            for k, v in zip(default_args.keys, default_args.values, strict=True):
                if isinstance(k, ast.Constant) and k.value in IGNORED:
                    self._ignored(dag_id, str(k.value), v, k, via="default_args")
                elif isinstance(k, ast.Constant) and k.value == "execution_timeout":
                    seconds = _seconds(v, self.f)
                    if seconds is not None and seconds > TASK_LIMIT_SECONDS:
                        self._limit(
                            dag_id,
                            f"`default_args.execution_timeout` is {seconds / 60:.0f} minutes",
                            k,
                        )

    def _schedule(self, dag_id: str, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            if node.value is None:
                return
            text = str(node.value)
            if is_cron(text):
                return
            cron = cron_for(text)
            if cron is not None:
                self.add(
                    "serverless-schedule",
                    Severity.WARNING,
                    dag_id,
                    f"DAG `{dag_id}`: schedule `{text}` is a preset; Serverless takes a cron "
                    f"expression or null.",
                    f"Use `{cron}` (`taxiway convert serverless` rewrites it).",
                    node,
                )
                return
            message = f"schedule `{text}` has no cron form"
        elif self._mentions_assets(node) or isinstance(node, ast.List | ast.Tuple):
            message = "it is scheduled on Assets/Datasets, which Serverless does not have"
        elif _seconds(node, self.f) is not None:
            message = "its schedule is a timedelta, which Serverless does not take"
        else:
            what = self.f.resolve(node) or "an expression"
            message = f"its schedule is `{what.rsplit('.', 1)[-1]}`, not a cron expression"
        self.add(
            "serverless-schedule",
            Severity.ERROR,
            dag_id,
            f"DAG `{dag_id}`: {message}; Serverless takes a cron expression or null.",
            "Give it a cron schedule, or null and start runs with StartWorkflowRun.",
            node,
        )

    def _ignored(
        self, dag_id: str, key: str, value: ast.expr, node: ast.AST, via: str = ""
    ) -> None:
        if key == "catchup" and isinstance(value, ast.Constant) and value.value is False:
            return  # what Serverless does anyway
        if key == "depends_on_past" and isinstance(value, ast.Constant) and not value.value:
            return
        if key.startswith("email_on") and isinstance(value, ast.Constant) and not value.value:
            return
        shown = ast.unparse(value) if isinstance(value, ast.expr) else ""
        where = f"`{via}.{key}`" if via else f"`{key}`"
        effect = IGNORED[key].effect
        self.add(
            "serverless-ignored-parameter",
            Severity.INFO if key in _COSMETIC else Severity.WARNING,
            f"{dag_id}:{key}",
            f"DAG `{dag_id}` sets {where}={shown[:60]}; Serverless ignores it: {effect}.",
            _IGNORED_HINTS.get(key, "Drop it, or keep the DAG on a provisioned environment."),
            node,
        )

    # -- what the workflow reads ------------------------------------------------------
    def _reads(self, kind: str, name: str | None, node: ast.AST) -> None:
        label = name or "(computed name)"
        if kind == "variable":
            message = (
                f"Reads Airflow Variable `{label}`: Serverless has no Variables store of its own."
            )
            hint = (
                f"Set `AIRFLOW_VAR_{label.upper()}` in the workflow's Environment, or read it "
                "from a secrets backend shipped in the code package."
            )
            severity = Severity.INFO
        else:
            message = (
                f"Uses connection `{label}`: Serverless has no Connections store; tasks act "
                "with the workflow's execution role."
            )
            hint = (
                "AWS operators: leave `aws_conn_id` as `aws_default` (the role). Others: a "
                "secrets backend in the code package, or `AIRFLOW_CONN_...` in Environment."
            )
            severity = Severity.INFO if label == "aws_default" else Severity.WARNING
        self.add(f"serverless-{kind}", severity, label, message, hint, node)

    def _template(self, node: ast.Constant) -> None:
        text = str(node.value)
        if "{{" not in text:
            return
        for m in _TEMPLATE_VAR.finditer(text):
            self._reads("variable", m.group(1), node)
        for m in _TEMPLATE_CONN.finditer(text):
            self._reads("connection", m.group(1), node)


_IGNORED_HINTS = {
    "catchup": "If missed intervals must run, start them yourself (StartWorkflowRun with "
    "the interval in OverrideParameters), or keep the DAG on a provisioned environment.",
    "max_active_runs": "Make each run safe to overlap (idempotent, locked per interval), or "
    "keep the DAG on a provisioned environment.",
    "depends_on_past": "Check the previous interval's output in the task itself.",
    "on_failure_callback": "Alert from EventBridge on the workflow run's FAILED status.",
    "sla_miss_callback": "Alarm on run duration in CloudWatch instead.",
    "email_on_failure": "Alert from EventBridge on the workflow run's FAILED status.",
    "dagrun_timeout": "Give each task an `execution_timeout`.",
    "tags": "Use the workflow's resource Tags.",
    "description": "Pass it as CreateWorkflow's Description (`taxiway deploy` does).",
}


def _dag_id(node: ast.Call) -> str:
    if node.args and isinstance(node.args[0], ast.Constant):
        return str(node.args[0].value)
    for kw in node.keywords:
        if kw.arg == "dag_id" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return "(dynamic id)"


def _task_id(node: ast.Call) -> str:
    for kw in node.keywords:
        if kw.arg == "task_id" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return "(dynamic id)"


def _first_str(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant):
        return str(node.args[0].value)
    for kw in node.keywords:
        if kw.arg in ("key", "conn_id") and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return None


def _files(dags: Path, root: Path) -> Iterator[_File]:
    """Every file that mentions Airflow; each knows the project's modules by name."""
    local: dict[str, _File] = {}
    for path in python_files(dags):
        parsed = _parse(path, path.relative_to(root).as_posix())
        if parsed is None:
            continue
        parts = list(path.relative_to(dags).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        local[".".join(parts)] = parsed
        parsed.local = local
    for parsed in local.values():
        if "airflow" in ast.unparse(parsed.tree).lower():
            yield parsed


def check_dags(dags: Path, root: Path) -> list[Finding]:
    """The Serverless findings of every Python file below ``dags`` (paths from ``root``)."""
    out: list[Finding] = []
    for f in _files(dags, root):
        out.extend(_Checker(f).run())
    unique = {(x.code, x.subject, x.file, x.line): x for x in out}
    return list(unique.values())


def check_layout(layout: ProjectLayout) -> list[Finding]:
    """Every Serverless finding for a project (see the module docstring)."""
    out: list[Finding] = []
    if layout.plugins is not None:
        out.append(
            Finding(
                "serverless-plugins",
                Severity.ERROR,
                layout.rel(layout.plugins),
                "MWAA Serverless loads no plugins: operators, hooks, macros or listeners "
                "defined there are missing at run time.",
                "Move the modules tasks import into the code package; UI plugins have no "
                "place on Serverless.",
                layout.rel(layout.plugins),
            )
        )
    if layout.startup is not None:
        out.append(
            Finding(
                "serverless-startup",
                Severity.WARNING,
                layout.rel(layout.startup),
                "MWAA Serverless runs no startup script: what it installs or exports is missing.",
                "Put exports in the workflow's Environment and libraries in the code package.",
                layout.rel(layout.startup),
            )
        )
    if layout.requirements is not None:
        out.append(
            Finding(
                "serverless-requirements",
                Severity.WARNING,
                layout.rel(layout.requirements),
                "MWAA Serverless installs no requirements.txt: packages beyond its own must "
                "be inside the code package (Linux wheels for Python 3.12, at the zip's root).",
                "`pip install -r requirements.txt --target package/ --platform "
                "manylinux2014_x86_64 --python-version 3.12 --only-binary=:all:`, then zip.",
                layout.rel(layout.requirements),
            )
        )
    if layout.dags is not None:
        out.extend(check_dags(layout.dags, layout.root))
    return out


def check_project(layout: ProjectLayout) -> list[Finding]:
    """The whole project against Serverless: its findings, plus the doctor's DAG checks for
    the Airflow Serverless runs (imports, Airflow 3 removals, parse-time work).

    The requirements count as installed: on Serverless they would ship in the code package.
    """
    from taxiway import mwaa
    from taxiway.doctor.dags import check_dags as doctor_dags
    from taxiway.doctor.project import import_context, layout_findings
    from taxiway.doctor.requirements import parse_requirements
    from taxiway.doctor.selection import without_ignored
    from taxiway.serverless.operators import ENGINE_MWAA

    release = mwaa.release(ENGINE_MWAA)
    out = [f for f in layout_findings(layout) if f.code == "layout"]
    if layout.dags is not None:
        parsed = parse_requirements(layout.requirements) if layout.requirements else None
        context = import_context(
            release, parsed, layout.dags, None, requirements_found=True, project_root=layout.root
        )
        out.extend(doctor_dags(layout.dags, release, context, display_root=layout.root))
    out.extend(check_layout(layout))
    return without_ignored(out, layout.root)
