from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from airflow_helpers import airflow_env


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated Airflow metadata DB (sqlite), once per test session: dag.test() needs it."""
    home = tmp_path_factory.mktemp("airflow_home")
    airflow = Path(sys.executable).parent / "airflow"
    proc = subprocess.run(
        [str(airflow), "db", "migrate"],
        env=airflow_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"`airflow db migrate` failed:\n{proc.stdout}\n{proc.stderr}"
    return home
