"""Amazon MWAA Serverless as a target: check a project, convert its DAGs, deploy workflows.

* :mod:`~taxiway.serverless.operators`: the operators Serverless runs (shipped data, with its
  source and the date it was read) and the DAG parameters it ignores.
* :mod:`~taxiway.serverless.check`: ``taxiway doctor project --target mwaa-serverless``,
  static (no Airflow, no user code run): findings over the project's DAG files.
* :mod:`~taxiway.serverless.engine`: the local runner's Airflow with dag-factory, where DAG
  files are described and workflow YAML is loaded and run (always in the runner's sandbox).
* :mod:`~taxiway.serverless.convert`: DAG descriptions -> dag-factory YAML, the code package
  and the report of every change (pure).
* :mod:`~taxiway.serverless.deploy`: definitions and code to S3, Create/UpdateWorkflow only
  for what changed, a run followed to its end.
"""

from __future__ import annotations
