"""Airflow 2 / 3 imports in one place."""

from __future__ import annotations

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef,attr-defined]

try:  # Airflow 3 (and 2.x with the standard provider)
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]

__all__ = ["DAG", "PythonOperator"]
