"""taxiway_hourly: curate the finished landing hour, register partitions, rebuild the reports.

The same task graph on every target; `TAXIWAY_ENV` (default `local`) picks the operators:
DuckDB in the task locally, an EMR step and Athena queries on AWS. No business logic here.
"""

# airflow DAG file: DagBag's safe mode skips files without the words "airflow" and "dag".
import os
import sys

# MWAA puts the dags folder on sys.path; not every loader does (a bare DagBag in a
# subprocess, `taxiway local test`), so make the sibling package importable either way.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.append(_HERE)

from taxiway_dags.factory import hourly_dag  # noqa: E402

dag = hourly_dag()
