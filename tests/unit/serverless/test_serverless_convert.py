"""The pure conversion: descriptions (the engine's JSON form of a built DAG) in, YAML
documents, changes and refusals out."""

from __future__ import annotations

from typing import Any

from taxiway.serverless.convert import convert_dags, module_of

BASH = "airflow.providers.standard.operators.bash.BashOperator"


def _dag(dag_id: str, tasks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    dag = {
        "dag_id": dag_id,
        "file": f"sub/{dag_id}.py",
        "schedule": {"timetable": "CronTriggerTimetable", "cron": "0 * * * *", "given": "@hourly"},
        "start_date": "2026-01-01T00:00:00+00:00",
        "catchup": False,
        "max_active_runs": 16,
        "max_active_runs_default": 16,
        "tags": [],
        "callbacks": [],
        "params": {},
        "default_args": {},
        "tasks": tasks,
    }
    dag.update(extra)
    return dag


def _task(operator: str = BASH, upstream: tuple[str, ...] = (), **kw: Any) -> dict[str, Any]:
    return {"operator": operator, "kwargs": kw, "upstream": list(upstream), "group": None}


def test_refusals_name_the_task_and_the_reason() -> None:
    results = convert_dags(
        {
            "dags": {
                "snow": _dag(
                    "snow",
                    {
                        "load": _task(
                            "airflow.providers.snowflake.operators.snowflake.SnowflakeOperator"
                        )
                    },
                ),
                "mapped": _dag("mapped", {"m": {**_task(), "mapped": True}}),
                "grouped": _dag("grouped", {"g.t": {**_task(), "group": "g"}}),
                "delta": _dag(
                    "delta",
                    {"t": _task(bash_command="true")},
                    schedule={
                        "timetable": "DeltaTriggerTimetable",
                        "cron": None,
                        "summary": "0:10:00",
                    },
                ),
            }
        }
    )
    refused = {r.dag_id: r.refused for r in results}
    assert refused == {
        "delta": [
            "schedule `0:10:00` (DeltaTriggerTimetable) is neither cron nor null; Serverless "
            "has no such schedule"
        ],
        "grouped": ["task `g.t` is in task group `g`: not converted"],
        "mapped": ["task `m` is mapped (dynamic task mapping): not converted"],
        "snow": ["task `load`: `SnowflakeOperator` is not an operator Serverless runs"],
    }
    assert not any(r.ok for r in results)


def test_ignored_parameters_are_dropped_with_their_effect() -> None:
    [result] = convert_dags(
        {
            "dags": {
                "hourly": _dag(
                    "hourly",
                    {
                        "a": _task(bash_command="a", retries=2),
                        "b": _task(
                            upstream=("a",),
                            bash_command="b",
                            execution_timeout={"__timedelta__": 600.0},
                        ),
                    },
                    catchup=True,
                    max_active_runs=1,
                    callbacks=["on_failure_callback"],
                    default_args={
                        "retries": 2,
                        "depends_on_past": True,
                        "sla": {"__timedelta__": 60},
                    },
                )
            }
        }
    )
    assert result.ok
    changes = [(c.kind, c.subject) for c in result.changes]
    assert changes == [
        ("rewritten", "schedule"),
        ("dropped", "catchup"),
        ("dropped", "max_active_runs"),
        ("dropped", "on_failure_callback"),
        ("dropped", "default_args.depends_on_past"),
        ("dropped", "default_args.sla"),
    ]
    body = result.definition["hourly"]  # type: ignore[index]
    assert body["schedule"] == "0 * * * *"
    assert body["start_date"] == "2026-01-01"
    assert body["default_args"] == {"retries": 2}
    # `retries` came from default_args: written once, not on every task
    assert body["tasks"]["a"] == {"operator": BASH, "bash_command": "a"}
    assert body["tasks"]["b"]["execution_timeout"] == {
        "__type__": "datetime.timedelta",
        "seconds": 600.0,
    }
    assert body["tasks"]["b"]["dependencies"] == ["a"]


def test_module_of_files_in_subfolders() -> None:
    assert module_of("team/athena.py") == "team.athena"
    assert module_of("helpers/__init__.py") == "helpers"
