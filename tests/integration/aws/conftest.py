"""The local AWS twin in this process: moto's server and the twin's MWAA control plane
(backends shared with the tests, which attach the EMR and Athena emulators they inspect)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_helpers import REGION, REPO


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the twin once per session on a free port; stop it at the end.

    Its own EMR and Athena emulators are stopped: a test that needs them starts its own
    (tests/integration/aws/test_twin.py) and reads what they ran.
    """
    from taxiway.twin.server import Twin

    twin = Twin(port=0, data_dir=tmp_path_factory.mktemp("twin"), region=REGION).start()
    twin.emr.stop()
    twin.athena.stop()
    try:
        yield twin.endpoint
    finally:
        twin.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty account on the twin; boto3 in this process talks to it."""
    import requests

    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for key, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "TAXIWAY_CONFIG": str(REPO / "taxiway.yaml"),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@pytest.fixture(scope="session")
def terraform_hcl() -> Any:
    """infra/terraform parsed once per session (python-hcl2 in its own uv environment)."""
    import iam_check

    files, errors = iam_check.h.parse_tree()
    assert not errors, f"python-hcl2 could not parse: {errors}"
    return files
