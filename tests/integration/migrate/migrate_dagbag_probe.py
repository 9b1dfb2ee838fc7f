"""Run in a subprocess by test_migrate_dagbag.py: import a DAG folder with Airflow's DagBag.

Arguments: FOLDER OUT [FOLDER OUT ...]. One DagBag per folder, one JSON document per OUT:
import errors, and for every task its operator class, upstream task ids and, for
EmrAddStepsOperator, the arguments the codemod wrote.
"""

from __future__ import annotations

import json
import sys
from typing import ClassVar


class _BlockLivy:
    """A meta path finder that makes the Livy provider unimportable, installed or not, so the
    probe proves the rewritten DAGs do not need it."""

    attempts: ClassVar[list[str]] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "airflow.providers.apache" or name.startswith("airflow.providers.apache."):
            # The fixtures use no other Apache provider: any attempt here is a Livy import.
            self.attempts.append(name)
        if name.startswith("airflow.providers.apache.livy"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the probe)")
        return None


def main(folder: str, out: str) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=folder)
    tasks: dict[str, dict[str, object]] = {}
    for dag_id, dag in sorted(bag.dags.items()):
        for task in dag.tasks:
            info: dict[str, object] = {
                "operator": type(task).__name__,
                "upstream": sorted(task.upstream_task_ids),
            }
            if type(task).__name__ == "EmrAddStepsOperator":
                info.update(
                    steps=task.steps,
                    job_flow_name=task.job_flow_name,
                    job_flow_id=task.job_flow_id,
                    cluster_states=task.cluster_states,
                    wait_for_completion=task.wait_for_completion,
                    waiter_delay=task.waiter_delay,
                    waiter_max_attempts=task.waiter_max_attempts,
                    deferrable=task.deferrable,
                    retries=task.retries,
                )
            tasks[f"{dag_id}.{task.task_id}"] = info
    # A file, not stdout: Airflow logs to stdout while filling the bag.
    with open(out, "w", encoding="utf-8") as fh:
        doc = {
            "import_errors": bag.import_errors,
            "tasks": tasks,
            "livy_import_attempts": list(_BlockLivy.attempts),
        }
        json.dump(doc, fh, default=str)


if __name__ == "__main__":
    sys.meta_path.insert(0, _BlockLivy())
    pairs = sys.argv[1:]
    for i in range(0, len(pairs), 2):
        main(pairs[i], pairs[i + 1])
