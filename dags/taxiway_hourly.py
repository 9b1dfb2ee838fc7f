"""taxiway_hourly: curate the finished landing hour, register partitions, rebuild the reports.

The same task graph on every target; `TAXIWAY_ENV` (default `local`) picks the operators:
DuckDB in the task locally, an EMR step and Athena queries on AWS. No business logic here.
"""

# airflow DAG file: DagBag's safe mode skips files without the words "airflow" and "dag".
from taxiway_dags.factory import hourly_dag

dag = hourly_dag()
