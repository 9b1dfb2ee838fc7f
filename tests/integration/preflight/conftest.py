"""preflight runs against `taxiway twin` (moto's server plus the twin's MWAA), like every AWS test.

``aws`` is a fresh, empty account on the session's twin (tests/integration/conftest.py);
each test builds what it needs afresh. ``settings_file`` is the taxiway.yaml of the planned
(pre-creation) mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from preflight_env import write_settings


@pytest.fixture
def aws(twin_aws: Any) -> str:
    """An empty account on the twin (moto and the twin's MWAA reset together)."""
    return str(twin_aws.endpoint)


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return write_settings(tmp_path)
