"""taxiway: event analytics on Airflow, locally and on Amazon MWAA."""

__version__ = "0.1.0"
