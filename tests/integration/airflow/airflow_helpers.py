from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DAGS = ROOT / "dags"


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        PYTHONPATH=str(DAGS),
        TAXIWAY_CONFIG=str(ROOT / "taxiway.yaml"),
        # bucket names end in the account id; `taxiway deploy` writes it into the bundle
        TAXIWAY_ACCOUNT_ID="123456789012",
    )
    env.update(extra)
    return env
