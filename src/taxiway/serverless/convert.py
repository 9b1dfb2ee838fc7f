"""DAG descriptions -> MWAA Serverless workflow YAML (dag-factory), the code package and a
report of every change. Pure: the descriptions come from the engine (``_engine.py
describe``), which built each DAG with Airflow's DagBag in the runner's sandbox.

Order of work for one DAG, each step recording what it changed:

1. refuse what has no YAML form on Serverless, naming it: an operator outside the supported
   list, a TaskFlow decorator other than ``@task``, mapped tasks, task groups, a schedule
   that is neither cron nor null;
2. the schedule: cron kept, presets rewritten to their cron expression;
3. DAG parameters Serverless ignores (catchup, max_active_runs, tags, callbacks, ...):
   dropped, each with what that changes for this DAG;
4. ``default_args``: kept where Serverless reads them, the rest dropped;
5. tasks: the arguments each was built with (minus what ``default_args`` gave it);
   ``python_callable`` as ``module.function`` in the code package; a TaskFlow ``@task``
   becomes a PythonOperator whose callable is the function itself (a generated module
   unwraps it); XCom arguments become ``ti.xcom_pull`` templates (they arrive as text).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from taxiway.serverless.operators import DEFAULT_ARGS, IGNORED, operator_data

PYTHON_OPERATOR = "airflow.providers.standard.operators.python.PythonOperator"
_DAG_FILE_MODULE = re.compile(r"^unusual_prefix_[0-9a-f]+_")
_SKIP_KWARGS = frozenset({"task_group", "dag", "task_id", "multiple_outputs", "kwargs_to_upstream"})
SHIM_PREFIX = "taxiway_taskflow_"


@dataclass
class Change:
    """One thing the conversion did to a DAG: ``dropped``, ``rewritten`` or ``kept``."""

    kind: str
    subject: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "message": self.message}


@dataclass
class Converted:
    """One DAG's outcome: the YAML document, or why there is none."""

    dag_id: str
    file: str
    definition: dict[str, Any] | None
    changes: list[Change] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    modules: set[str] = field(default_factory=set)  # DAG-file modules the code must carry
    shim: str | None = None  # the generated TaskFlow module's source

    @property
    def ok(self) -> bool:
        return self.definition is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "file": self.file,
            "converted": self.ok,
            "refused": self.refused,
            "changes": [c.to_dict() for c in self.changes],
        }


class _Refused(Exception):
    """A DAG or task the converter refuses; the message says what and why."""


def module_of(file: str) -> str:
    """``team/athena.py`` -> ``team.athena`` (the code package is unpacked at the root)."""
    path = PurePosixPath(file)
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _yaml_value(value: Any) -> Any:
    """A described value in dag-factory's YAML form (``__type__`` for timedelta)."""
    if isinstance(value, dict):
        if "__timedelta__" in value:
            return {"__type__": "datetime.timedelta", "seconds": value["__timedelta__"]}
        if "__datetime__" in value:
            return str(value["__datetime__"])
        if "__xcom__" in value:
            xcom = value["__xcom__"]
            key = "" if xcom.get("key") in (None, "return_value") else f", key='{xcom['key']}'"
            return f"{{{{ ti.xcom_pull(task_ids='{xcom['task_id']}'{key}) }}}}"
        if "__callable__" in value or "__repr__" in value:
            raise ValueError(value.get("__repr__") or value["__callable__"]["name"])
        return {k: _yaml_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yaml_value(v) for v in value]
    return value


def _has_xcom(value: Any) -> bool:
    if isinstance(value, dict):
        return "__xcom__" in value or any(_has_xcom(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_xcom(v) for v in value)
    return False


def _date(text: str | None) -> str | None:
    if text is None:
        return None
    return text[:10] if text[10:] in ("T00:00:00+00:00", "") else text


class _Dag:
    def __init__(self, dag: dict[str, Any]) -> None:
        self.dag = dag
        self.out = Converted(dag["dag_id"], str(dag.get("file") or ""), None)
        self.data = operator_data()
        self.shims: list[tuple[str, str, str, str]] = []  # (name, file, dag id, task id)

    def change(self, kind: str, subject: str, message: str) -> None:
        self.out.changes.append(Change(kind, subject, message))

    def refuse(self, reason: str) -> None:
        self.out.refused.append(reason)

    def convert(self) -> Converted:
        dag = self.dag
        body: dict[str, Any] = {"dag_id": dag["dag_id"]}
        schedule = self._schedule()
        body["schedule"] = schedule
        if dag.get("start_date"):
            body["start_date"] = _date(dag["start_date"])
        if dag.get("end_date"):
            body["end_date"] = _date(dag["end_date"])
        if dag.get("params"):
            body["params"] = {k: _yaml_value(v) for k, v in dag["params"].items()}
        if dag.get("max_active_tasks", 16) != 16:
            body["max_active_tasks"] = dag["max_active_tasks"]
        self._ignored()
        body["default_args"] = self._default_args()
        if not body["default_args"]:
            del body["default_args"]
        tasks = {}
        for task_id, task in dag["tasks"].items():
            try:
                tasks[task_id] = self._task(task_id, task)
            except _Refused as exc:
                self.refuse(str(exc))
        body["tasks"] = tasks
        if self.shims:
            self.out.shim = shim_source(self.shims)
        if not self.out.refused:
            self.out.definition = {dag["dag_id"]: body}
        return self.out

    def _schedule(self) -> str | None:
        sched = self.dag["schedule"]
        given, cron, kind = sched.get("given"), sched.get("cron"), sched.get("timetable")
        if kind == "NullTimetable":
            return None
        if cron and isinstance(given, str) and given != cron:
            self.change("rewritten", "schedule", f"`{given}` -> `{cron}` (Serverless takes cron)")
            return str(cron)
        if cron:
            return str(cron)
        self.refuse(
            f"schedule `{sched.get('summary') or given}` ({kind}) is neither cron nor null; "
            "Serverless has no such schedule"
        )
        return None

    def _ignored(self) -> None:
        dag = self.dag
        found: list[tuple[str, str]] = []
        if dag.get("catchup"):
            found.append(("catchup", "True"))
        if dag.get("max_active_runs") != dag.get("max_active_runs_default", 16):
            found.append(("max_active_runs", str(dag.get("max_active_runs"))))
        if dag.get("tags"):
            found.append(("tags", ", ".join(dag["tags"])))
        if dag.get("description"):
            found.append(("description", str(dag["description"])[:60]))
        if dag.get("dagrun_timeout"):
            found.append(("dagrun_timeout", f"{dag['dagrun_timeout']:.0f} s"))
        found += [(name, "set") for name in dag.get("callbacks", [])]
        for name, value in found:
            self.change(
                "dropped", name, f"{name}={value}: Serverless ignores it: {IGNORED[name].effect}"
            )

    def _default_args(self) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for key, value in self.dag.get("default_args", {}).items():
            if key == "depends_on_past":
                if value:
                    self.change(
                        "dropped",
                        f"default_args.{key}",
                        f"Serverless ignores it: {IGNORED[key].effect}",
                    )
                continue
            if key in IGNORED or key not in DEFAULT_ARGS:
                effect = IGNORED[key].effect if key in IGNORED else "not read by Serverless"
                self.change("dropped", f"default_args.{key}", effect)
                continue
            try:
                kept[key] = _yaml_value(value)
            except ValueError:
                self.change("dropped", f"default_args.{key}", "a Python object with no YAML form")
        return kept

    def _operator(self, task_id: str, task: dict[str, Any]) -> str:
        path = str(task["operator"])
        if task.get("mapped"):
            raise _Refused(f"task `{task_id}` is mapped (dynamic task mapping): not converted")
        if task.get("group"):
            raise _Refused(f"task `{task_id}` is in task group `{task['group']}`: not converted")
        if task.get("taskflow"):
            if task["taskflow"] != "@task":
                raise _Refused(f"task `{task_id}` is `{task['taskflow']}`: not supported")
            self.change("rewritten", task_id, "TaskFlow `@task` -> PythonOperator")
            return PYTHON_OPERATOR
        if path.startswith("airflow."):
            supported = self.data.supported(path)
            if supported is None:
                name = path.rsplit(".", 1)[-1]
                raise _Refused(f"task `{task_id}`: `{name}` is not an operator Serverless runs")
            if supported != path:
                self.change("rewritten", task_id, f"`{path}` -> `{supported}`")
            return supported
        # the project's own operator: its module goes into the code package
        module, _, name = path.rpartition(".")
        if _DAG_FILE_MODULE.match(module):
            module = module_of(self.out.file)
            self.out.modules.add(module)
        self.change(
            "kept",
            task_id,
            f"custom operator `{name}` runs from the code package (`{module}.{name}`)",
        )
        return f"{module}.{name}"

    def _task(self, task_id: str, task: dict[str, Any]) -> dict[str, Any]:
        operator = self._operator(task_id, task)
        inherited = self.dag.get("default_args", {})
        out: dict[str, Any] = {"operator": operator}
        for key, value in task.get("kwargs", {}).items():
            if key in _SKIP_KWARGS or value is None:
                continue
            if key in inherited and inherited[key] == value:
                continue  # given by default_args, which the YAML keeps once
            if key == "python_callable":
                out[key] = self._callable(task_id, task)
                continue
            if _has_xcom(value):
                self.change(
                    "rewritten",
                    f"{task_id}.{key}",
                    "XCom argument -> `ti.xcom_pull` template (the value arrives as text)",
                )
            try:
                out[key] = _yaml_value(value)
            except ValueError as exc:
                if key in ("outlets", "inlets"):
                    self.change(
                        "dropped", f"{task_id}.{key}", "Assets: Serverless has no Asset events"
                    )
                    continue
                if key.endswith("_callback"):
                    self.change("dropped", f"{task_id}.{key}", "not called on Serverless")
                    continue
                raise _Refused(f"task `{task_id}`: `{key}` is a Python object ({exc})") from exc
        if task["upstream"]:
            out["dependencies"] = list(task["upstream"])
        return out

    def _callable(self, task_id: str, task: dict[str, Any]) -> str:
        fn = task.get("callable") or task["kwargs"]["python_callable"]["__callable__"]
        module, name = str(fn["module"]), str(fn["name"])
        in_dag_file = _DAG_FILE_MODULE.match(module) or module == "__main__"
        if in_dag_file:
            module = module_of(str(fn.get("file") or self.out.file))
        if task.get("taskflow") or "<" in name:
            # A TaskFlow function, a closure or a lambda has no import path of its own: the
            # generated module takes it from the task its DAG file builds.
            self.out.modules.add(module_of(self.out.file))
            shim = _safe(task_id)
            self.shims.append((shim, self.out.file, self.out.dag_id, task_id))
            if "<" in name:
                self.change("rewritten", task_id, f"callable `{name}` taken from its DAG file")
            return f"{SHIM_PREFIX}{_safe(self.out.dag_id)}.{shim}"
        if in_dag_file:
            self.out.modules.add(module)
        return f"{module}.{name}"


def _safe(dag_id: str) -> str:
    return re.sub(r"\W", "_", dag_id)


def shim_source(shims: list[tuple[str, str, str, str]]) -> str:
    """The generated module that gives PythonOperator the functions that have no import
    path (TaskFlow functions, closures, lambdas): each taken from the task its DAG file
    builds, unwrapped (a TaskFlow decorator keeps the function in ``.function``)."""
    lines = [
        '"""Written by `taxiway convert serverless`: callables of the DAG files that have no',
        'import path of their own, taken from the tasks the DAG file builds."""',
        "",
        "import functools",
        "import os",
        "",
        "",
        "@functools.cache",
        "def _dags(file):",
        "    from airflow.models.dagbag import DagBag",
        "",
        "    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), file)",
        "    return DagBag(dag_folder=path, include_examples=False, safe_mode=False)",
        "",
        "",
        "def _callable(file, dag_id, task_id):",
        "    fn = _dags(file).dags[dag_id].get_task(task_id).python_callable",
        '    return getattr(fn, "function", fn)',
        "",
        "",
    ]
    lines += [
        f"{alias} = _callable({file!r}, {dag_id!r}, {task_id!r})"
        for alias, file, dag_id, task_id in shims
    ]
    return "\n".join(lines) + "\n"


def convert_dags(description: dict[str, Any]) -> list[Converted]:
    """Every described DAG, converted or refused."""
    return [_Dag(dag).convert() for _, dag in sorted(description["dags"].items())]


def code_files(dags: Path, results: list[Converted]) -> dict[str, bytes]:
    """The code package: the dags folder's files that are not DAG files, the DAG files a
    converted workflow imports, and the generated TaskFlow modules (path -> bytes)."""
    dag_files = {r.file for r in results}
    needed = {m for r in results if r.ok for m in r.modules}
    files: dict[str, bytes] = {}
    for path in sorted(dags.rglob("*")):
        rel = path.relative_to(dags).as_posix()
        if not path.is_file() or any(p.startswith(".") or p == "__pycache__" for p in path.parts):
            continue
        if path.suffix in (".pyc", ".yaml", ".yml"):
            continue
        if rel in dag_files and module_of(rel) not in needed:
            continue
        files[rel] = path.read_bytes()
    for r in results:
        if r.ok and r.shim:
            files[f"{SHIM_PREFIX}{_safe(r.dag_id)}.py"] = r.shim.encode()
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic zip (sorted names, fixed times): unchanged code, unchanged object."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return buffer.getvalue()


def dumps(definition: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(definition, sort_keys=False, default_flow_style=False))


def graph(dag: dict[str, Any]) -> dict[str, list[str]]:
    """Task id -> sorted upstream ids: what the round trip compares."""
    return {tid: sorted(t["upstream"]) for tid, t in dag["tasks"].items()}
