"""Shared, really built environments for the local-runner integration tests.

One cache folder per test session: each (target, requirements) environment is built once
and reused by every test, which also exercises the cache. The uv package cache is the
user's (warm on a developer machine and in CI after the first run).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from taxiway.runner.check import LocalReport, local_test

PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "local_projects"
# One Airflow 2 and one Airflow 3 target, both Python 3.12 like MWAA.
TARGETS = ["2.11.2", "3.3.1"]


@pytest.fixture(scope="session")
def local_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("taxiway-local-cache")


@pytest.fixture(scope="session")
def run_local(local_cache: Path) -> Callable[[str, str], LocalReport]:
    """``run_local(project, version)``: the report of a first run, memoised per session."""
    seen: dict[tuple[str, str], LocalReport] = {}

    def run(project: str, version: str) -> LocalReport:
        if (project, version) not in seen:
            seen[(project, version)] = local_test(
                PROJECTS / project, version, cache=local_cache, with_doctor=False
            )
        return seen[(project, version)]

    return run


@pytest.fixture(params=TARGETS)
def mwaa_version(request: pytest.FixtureRequest) -> str:
    return str(request.param)
