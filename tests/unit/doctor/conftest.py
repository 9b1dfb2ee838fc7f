"""Shared fixtures of the doctor's unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "airflow_projects"


@pytest.fixture
def projects() -> Path:
    """The folder of fixture projects (tests/fixtures/airflow_projects)."""
    return FIXTURES
