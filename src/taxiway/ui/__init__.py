"""User interfaces beyond the terminal: the local Airflow UI on the project's DAGs."""
