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

try:  # Airflow 3 (and 2.x with the standard provider)
    from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
except ImportError:  # Airflow 2
    from airflow.sensors.time_delta import TimeDeltaSensor  # type: ignore[no-redef]

# The same class in Airflow 2 and 3: a run covers [start, end) and starts after `end`, so
# `data_interval_start` is the hour that has finished. (Airflow 3's "@hourly" is a
# CronTriggerTimetable whose interval is the hour that has just begun.)
from airflow.timetables.interval import CronDataIntervalTimetable

__all__ = ["DAG", "CronDataIntervalTimetable", "PythonOperator", "TimeDeltaSensor"]
