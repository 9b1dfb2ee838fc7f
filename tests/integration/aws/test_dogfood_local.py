"""Dogfood: the bundle `taxiway deploy` uploads imports cleanly in `taxiway local test`.

The bundle's startup script sets TAXIWAY_ENV=sandbox, so MWAA's own environment (Airflow,
the amazon provider, MWAA's constraints; built with uv, no Docker) parses the DAG with the
EMR/Athena operators, for MWAA 3.3.1 and 2.11.2.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from aws_helpers import ACCOUNT, REPO

from taxiway import config
from taxiway.findings import Severity
from taxiway.platform import bundle
from taxiway.runner.check import local_test


@pytest.mark.parametrize("version", ["3.3.1", "2.11.2"])
def test_deployed_bundle_passes_local_test(version: str, tmp_path: Path) -> None:
    settings = config.load(REPO / "taxiway.yaml")
    env = replace(settings.env("sandbox"), mwaa_version=version)
    settings = replace(settings, environments={**settings.environments, "sandbox": env})
    built = bundle.build(settings, "sandbox", ACCOUNT, tmp_path / "b")
    report = local_test(built.mwaa_dir, version)
    errors = [
        f"{f.code} {f.file}: {f.message}" for f in report.findings if f.severity is Severity.ERROR
    ]
    assert errors == []
    assert report.imports is not None
    assert report.imports.dag_ids == ["taxiway_hourly"]
    hourly = next(f for f in report.imports.files if f.file == "taxiway_hourly.py")
    assert hourly.tasks == 7  # settle, curate, register_partitions, four reports
