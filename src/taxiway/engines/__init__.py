"""Engines run the curate step: DuckDB locally; Spark (local or on EMR) on AWS."""
