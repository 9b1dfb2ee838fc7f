from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_helpers import small_options

from taxiway.events.generator import GroundTruth, generate


@pytest.fixture
def lake_root(tmp_path: Path) -> tuple[Path, GroundTruth]:
    root = tmp_path / "data"
    truth = generate(root, small_options())
    assert truth.corrupt_files, "the fixture must contain at least one truncated file"
    assert truth.duplicates > 0 and truth.late_events > 0
    return root, truth
