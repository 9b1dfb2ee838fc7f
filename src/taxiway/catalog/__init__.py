"""Catalogs: a DuckDB warehouse file locally, the Glue Data Catalog on AWS."""
