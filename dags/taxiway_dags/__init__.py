"""Helpers for taxiway's DAG files: stdlib, PyYAML, Airflow and the amazon provider only.

This package ships inside MWAA's dags folder, so it imports nothing MWAA lacks (the doctor
checks it: `taxiway doctor dags dags/`). The local tasks import the `taxiway` package lazily,
inside the task, where it is installed.
"""
