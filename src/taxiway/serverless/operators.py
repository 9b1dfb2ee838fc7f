"""What MWAA Serverless runs and what it ignores: shipped data, read once.

``data/operators.csv`` lists the operator class paths a workflow may name, each with its
source (AWS's converter's allow-list, or the user guide's page on code operators) and the
date it was read, in its header. The DAG parameters Serverless ignores come from the user
guide's "supported Airflow parameters" page; each carries what changes for a DAG that sets
it, because "ignored" alone does not tell a team that missed hours will never run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: The user guide pages the data comes from (read from the docs corpus on 2026-12-07).
OPERATORS_URL = "https://docs.aws.amazon.com/mwaa/latest/mwaa-serverless-userguide/operators.html"
PARAMETERS_URL = (
    "https://docs.aws.amazon.com/mwaa/latest/mwaa-serverless-userguide/"
    "supported-airflow-parameters.html"
)
DATA_DATE = "2026-12-07"
#: Serverless runs Airflow 3.0 on Python 3.12; AWS's converter 0.1.4 pins these.
ENGINE_MWAA = "3.0.6"
DAG_FACTORY = "dag-factory==1.0.1"
#: A task is stopped after 60 minutes; a worker has about 1 vCPU and 3 GiB.
TASK_LIMIT_SECONDS = 3600
CODE_OPERATORS = frozenset({"PythonOperator", "BashOperator"})


@dataclass(frozen=True)
class Ignored:
    """A DAG-level parameter Serverless accepts and ignores, and what that changes."""

    name: str
    effect: str


#: DAG-level parameters the user guide lists as unsupported (ignored), with their effect.
IGNORED: dict[str, Ignored] = {
    i.name: i
    for i in (
        Ignored("catchup", "missed intervals are not run: a paused or failed hour stays missing"),
        Ignored(
            "max_active_runs",
            "runs may overlap: a slow run and the next scheduled one execute at the same time",
        ),
        Ignored(
            "depends_on_past",
            "a task runs even when its previous run failed: order across runs is not kept",
        ),
        Ignored(
            "dagrun_timeout", "a run is not stopped at the timeout (tasks still stop at 60 min)"
        ),
        Ignored("on_failure_callback", "not called: a failed run alerts no one through it"),
        Ignored("on_success_callback", "not called"),
        Ignored("sla_miss_callback", "not called: missed SLAs are not reported"),
        Ignored("email_on_failure", "no e-mail is sent on failure"),
        Ignored("email_on_retry", "no e-mail is sent on retry"),
        Ignored("tags", "not shown anywhere (workflows have resource tags instead)"),
        Ignored("description", "ignored in the YAML: pass it to CreateWorkflow instead"),
        Ignored("access_control", "ignored: access is IAM on the workflow"),
        Ignored("is_paused_upon_creation", "ignored: a workflow's schedule is active once created"),
        Ignored(
            "max_consecutive_failed_dag_runs", "ignored: the schedule is never paused on failures"
        ),
    )
}
#: ``default_args`` keys a workflow keeps (AWS's converter's schema, dag.default_args).
DEFAULT_ARGS = frozenset(
    {
        "owner",
        "email",
        "retries",
        "retry_delay",
        "priority_weight",
        "end_date",
        "wait_for_downstream",
        "execution_timeout",
        "trigger_rule",
        "start_date",
        "depends_on_past",
        "email_on_failure",
        "email_on_retry",
    }
)


@dataclass(frozen=True)
class OperatorData:
    """The supported operators: class path -> source; class name -> class paths."""

    paths: dict[str, str]

    @property
    def names(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for path in self.paths:
            out.setdefault(path.rsplit(".", 1)[-1], []).append(path)
        return {k: tuple(v) for k, v in out.items()}

    def supported(self, path: str) -> str | None:
        """The supported class path for ``path``: itself, or the same class of the same
        provider under its current module (Airflow moved many); None when unsupported."""
        if path in self.paths:
            return path
        name = path.rsplit(".", 1)[-1]
        candidates = self.names.get(name, ())
        if not candidates:
            return None
        family = _family(path)
        same = [c for c in candidates if _family(c) == family]
        return (same or list(candidates))[0] if family is not None else candidates[0]


def _family(path: str) -> str | None:
    """``amazon`` for ``airflow.providers.amazon...``, ``core`` for ``airflow.operators``."""
    parts = path.split(".")
    if parts[:2] == ["airflow", "providers"] and len(parts) > 2:
        return "standard" if parts[2] == "standard" else parts[2]
    if parts[:2] in (["airflow", "operators"], ["airflow", "sensors"]):
        return "standard"
    return None


@cache
def operator_data() -> OperatorData:
    """The shipped list (``data/operators.csv``)."""
    text = (resources.files("taxiway.serverless") / "data" / "operators.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return OperatorData({r["operator"]: r["source"] for r in rows})
