"""Import resolution: stdlib per Python version, distribution names, local modules."""

from __future__ import annotations

import ast

import pytest

from taxiway import mwaa
from taxiway.doctor.imports import (
    ImportContext,
    distribution_candidates,
    imports_of,
    stdlib_modules,
)


def test_stdlib_follows_the_target_python() -> None:
    assert "distutils" in stdlib_modules("3.7") and "distutils" not in stdlib_modules("3.12")
    assert "imp" in stdlib_modules("3.11") and "imp" not in stdlib_modules("3.12")
    assert "zoneinfo" not in stdlib_modules("3.7") and "zoneinfo" in stdlib_modules("3.10")
    assert "tomllib" not in stdlib_modules("3.10") and "tomllib" in stdlib_modules("3.11")
    assert {"json", "os", "__future__"} <= stdlib_modules("3.12")


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("yaml", "pyyaml"),
        ("dateutil.parser", "python-dateutil"),
        ("google.cloud.storage", "google-cloud-storage"),
        ("airflow.providers.amazon.aws.hooks.s3", "apache-airflow-providers-amazon"),
        ("airflow.providers.common.sql.operators.sql", "apache-airflow-providers-common-sql"),
        ("airflow.providers.apache.livy.operators.livy", "apache-airflow-providers-apache-livy"),
        ("snowflake.connector", "snowflake-connector-python"),
        ("psycopg2.extras", "psycopg2-binary"),
    ],
)
def test_distribution_candidates(module: str, expected: str) -> None:
    assert expected in distribution_candidates(module)


def test_namespace_packages_need_their_dotted_name() -> None:
    # `google.cloud.bigquery` must not be satisfied by protobuf or google-auth being present
    assert "protobuf" not in distribution_candidates("google.cloud.bigquery")
    assert distribution_candidates("google.protobuf.json_format")[0] == "protobuf"


def test_imports_of_skips_optional_imports_and_marks_deferred() -> None:
    tree = ast.parse(
        "import os\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import pandas\n"
        "try:\n    import ujson\nexcept ImportError:\n    import json\n"
        "from . import sibling\n"
        "def task():\n    import requests\n"
    )
    refs = [(r.module, r.line, r.deferred) for r in imports_of(tree)]
    assert refs == [
        ("os", 1, False),
        ("typing", 2, False),
        ("json", 8, False),
        ("requests", 11, True),
    ]


def _context(version: str, extra: frozenset[str] = frozenset()) -> ImportContext:
    r = mwaa.release(version)
    return ImportContext(
        r.python, r.airflow_major, frozenset(r.builtins) | extra, frozenset({"helpers"})
    )


def test_context_against_real_builtins() -> None:
    ctx = _context("3.3.1")
    for ok in (
        "yaml",
        "boto3",
        "airflow.sdk",
        "airflow.providers.amazon.aws.hooks.s3",
        "helpers.x",
    ):
        assert ctx.unavailable_reason(ok) is None, ok
    assert "`apache-airflow-providers-apache-livy` is not built in" in (
        ctx.unavailable_reason("airflow.providers.apache.livy.hooks") or ""
    )
    assert ctx.unavailable_reason("pandas") is not None  # not built into 3.3.1
    assert _context("3.3.1", frozenset({"pandas"})).unavailable_reason("pandas") is None
    # Airflow 2 has no task SDK; Python 3.12 has no distutils
    assert "Airflow 3" in (_context("2.11.2").unavailable_reason("airflow.sdk") or "")
    assert _context("3.3.1").unavailable_reason("distutils.util") is not None
    assert _context("2.0.2").unavailable_reason("distutils.util") is None
