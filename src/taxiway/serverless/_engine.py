"""Runs INSIDE the Serverless engine environment (Airflow 3.0 + dag-factory), never imported
by taxiway: always in the local runner's sandbox, because it imports the user's DAG files.

``python _engine.py describe DAGS``: every DAG Airflow's DagBag builds from the folder,
described as JSON (its parameters, each task's operator class and MRO, the arguments it was
built with, its upstream tasks). ``load YAML_DIR``: every workflow YAML loaded with
dag-factory, the same description. ``run YAML_DIR DAG_ID``: one workflow run with
``dag.test()``; each task's state, try number, duration and error. One JSON document is
printed on the last line of stdout after the marker.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
import os
import sys
import time
import traceback
from typing import Any

MARKER = "TAXIWAY-ENGINE-RESULT:"


def _value(value: Any, depth: int = 0) -> Any:
    """A JSON form of an operator argument; what JSON cannot say is tagged."""
    if depth > 6:
        return {"__repr__": repr(value)[:200]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.timedelta):
        return {"__timedelta__": value.total_seconds()}
    if isinstance(value, dt.datetime | dt.date):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_value(v, depth + 1) for v in value]
    name = type(value).__name__
    if name in ("PlainXComArg", "XComArg"):
        op = getattr(value, "operator", None)
        return {"__xcom__": {"task_id": getattr(op, "task_id", None), "key": value.key}}
    if callable(value):
        fn = getattr(value, "function", value)  # a TaskFlow decorator wraps the function
        try:
            file = inspect.getfile(fn)
        except (TypeError, OSError):
            file = None
        return {
            "__callable__": {
                "module": getattr(fn, "__module__", None),
                "name": getattr(fn, "__qualname__", getattr(fn, "__name__", None)),
                "file": file,
            }
        }
    return {"__repr__": repr(value)[:200], "__type__": f"{type(value).__module__}.{name}"}


def _dagbag(folder: str) -> Any:
    from airflow.models.dagbag import DagBag

    if folder not in sys.path:
        sys.path.insert(0, folder)
    return DagBag(dag_folder=folder, include_examples=False)


def _rel(path: str | None, root: str) -> str | None:
    if not path:
        return path
    try:
        return os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    except ValueError:
        return path


def _schedule(dag: Any) -> dict[str, Any]:
    tt = dag.timetable
    given = getattr(dag, "schedule", None)
    return {
        "timetable": type(tt).__name__,
        "cron": getattr(tt, "_expression", None),
        "given": given if isinstance(given, str) or given is None else _value(given),
        "summary": getattr(tt, "summary", None),
    }


def _task(task: Any, root: str) -> dict[str, Any]:
    mapped = "MappedOperator" in type(task).__name__
    cls = getattr(task, "operator_class", None) if mapped else None
    cls = cls or type(task)
    mro = [f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__]
    kwargs = dict(getattr(task, "_BaseOperator__init_kwargs", {}) or {})
    kwargs.pop("task_id", None)
    kwargs.pop("dag", None)
    group = getattr(task, "task_group", None)
    out: dict[str, Any] = {
        "operator": mro[0],
        "mro": mro,
        "taskflow": getattr(task, "custom_operator_name", None)
        if "DecoratedOperator" in mro[0]
        else None,
        "mapped": mapped,
        "kwargs": {k: _value(v) for k, v in kwargs.items()},
        "upstream": sorted(task.upstream_task_ids),
        "group": getattr(group, "group_id", None),
    }
    callable_ = getattr(task, "python_callable", None)
    if callable_ is not None:
        described: dict[str, Any] = _value(callable_)["__callable__"]
        described["file"] = _rel(described["file"], root)
        out["callable"] = described
    return out


def _dag(dag: Any, root: str) -> dict[str, Any]:
    from airflow.configuration import conf

    callbacks = [
        name
        for name in ("on_failure_callback", "on_success_callback", "sla_miss_callback")
        if getattr(dag, name, None)
    ]
    return {
        "dag_id": dag.dag_id,
        "file": _rel(dag.fileloc, root),
        "schedule": _schedule(dag),
        "start_date": dag.start_date.isoformat() if dag.start_date else None,
        "end_date": dag.end_date.isoformat() if dag.end_date else None,
        "catchup": bool(dag.catchup),
        "catchup_default": conf.getboolean("scheduler", "catchup_by_default"),
        "max_active_runs": dag.max_active_runs,
        "max_active_runs_default": conf.getint("core", "max_active_runs_per_dag"),
        "max_active_tasks": dag.max_active_tasks,
        "dagrun_timeout": dag.dagrun_timeout.total_seconds() if dag.dagrun_timeout else None,
        "tags": sorted(dag.tags or []),
        "description": dag.description,
        "callbacks": callbacks,
        "params": {k: _value(v) for k, v in dag.params.dump().items()},
        "default_args": {k: _value(v) for k, v in (dag.default_args or {}).items()},
        "tasks": {t.task_id: _task(t, root) for t in dag.tasks},
    }


def describe(folder: str) -> dict[str, Any]:
    bag = _dagbag(folder)
    return {
        "dags": {dag_id: _dag(dag, folder) for dag_id, dag in sorted(bag.dags.items())},
        "import_errors": {_rel(k, folder): str(v)[-2000:] for k, v in bag.import_errors.items()},
    }


def _load(yaml_dir: str) -> dict[str, Any]:
    """Each YAML with dag-factory; DAG objects by id, and errors by file."""
    from dagfactory import load_yaml_dags

    if yaml_dir not in sys.path:  # the code package is unpacked next to the YAML
        sys.path.insert(0, yaml_dir)
    dags: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in sorted(os.listdir(yaml_dir)):
        if not name.endswith((".yaml", ".yml")):
            continue
        found: dict[str, Any] = {}
        try:
            load_yaml_dags(globals_dict=found, config_filepath=os.path.join(yaml_dir, name))
        except Exception as exc:  # a definition dag-factory refuses: reported, not raised
            errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        for obj in found.values():
            if type(obj).__name__ == "DAG":
                obj.fileloc = os.path.join(yaml_dir, name)
                dags[obj.dag_id] = obj
        if not found:
            errors[name] = "dag-factory built no DAG from it"
    return {"dags": dags, "errors": errors}


def load(yaml_dir: str) -> dict[str, Any]:
    loaded = _load(yaml_dir)
    return {
        "dags": {k: _dag(v, yaml_dir) for k, v in sorted(loaded["dags"].items())},
        "errors": loaded["errors"],
    }


class _Errors(logging.Handler):
    """The exception of each failed try, by task id (what ErrorMessage reports)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.by_task: dict[str, str] = {}
        self.unattributed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        ti = getattr(record, "ti", None)
        task_id = getattr(ti, "task_id", None)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = f"{type(exc).__name__}: {exc}"
            task_id = task_id or _task_of(record.exc_info[2])
            if task_id:
                self.by_task.setdefault(task_id, text)
            else:
                self.unattributed.append(text)


def _record_failures(task: Any, handler: _Errors) -> None:
    """Keep a failed task's exception by task id: Airflow 3 logs task failures through
    structlog, which a logging handler does not see, so ``execute`` of the task's class is
    wrapped (once per class; arguments passed through untouched, Airflow's safeguard
    included)."""
    cls = type(task)
    if cls.__dict__.get("_taxiway_recorded"):
        return
    original = cls.execute

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except Exception as exc:
            handler.by_task[self.task_id] = f"{type(exc).__name__}: {exc}"
            raise

    cls.execute = execute
    cls._taxiway_recorded = True


def _task_of(tb: Any) -> str | None:
    while tb is not None:
        ti = tb.tb_frame.f_locals.get("ti")
        if getattr(ti, "task_id", None):
            return str(ti.task_id)
        tb = tb.tb_next
    return None


def _error(ti: Any, handler: _Errors, spare: Any) -> str | None:
    if "failed" not in str(ti.state) or "upstream" in str(ti.state):
        return None
    found = handler.by_task.get(ti.task_id) or next(spare, None)
    # Airflow 3's dag.test runs a task's code apart from this process's loggers: when its
    # exception did not reach them, say so rather than invent one.
    return found or f"Task {ti.task_id} failed on try {ti.try_number} (exception not captured)"


def run(yaml_dir: str, dag_id: str, conf_json: str) -> dict[str, Any]:
    loaded = _load(yaml_dir)
    if dag_id not in loaded["dags"]:
        return {"error": f"no workflow `{dag_id}` in the definition", "errors": loaded["errors"]}
    dag = loaded["dags"][dag_id]
    handler = _Errors()
    for task in dag.tasks:
        _record_failures(task, handler)
    logging.getLogger().addHandler(handler)
    started = time.time()
    try:
        run_ = dag.test(run_conf=json.loads(conf_json) or None)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    tasks = []
    spare = iter(handler.unattributed)  # dag.test logs some failures without the task
    for ti in run_.get_task_instances():
        start, end = ti.start_date, ti.end_date
        tasks.append(
            {
                "task_id": ti.task_id,
                "state": str(ti.state.value if hasattr(ti.state, "value") else ti.state),
                "try_number": ti.try_number,
                "operator": ti.operator,
                "started": start.isoformat() if start else None,
                "ended": end.isoformat() if end else None,
                "duration": ti.duration,
                "error": _error(ti, handler, spare),
            }
        )
    state = run_.state
    return {
        "state": str(state.value if hasattr(state, "value") else state),
        "seconds": time.time() - started,
        "tasks": tasks,
    }


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    try:
        if mode == "describe":
            result = describe(args[0])
        elif mode == "load":
            result = load(args[0])
        elif mode == "run":
            result = run(args[0], args[1], args[2] if len(args) > 2 else "{}")
        else:
            raise SystemExit(f"unknown mode {mode}")
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    sys.stdout.write("\n" + MARKER + json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
