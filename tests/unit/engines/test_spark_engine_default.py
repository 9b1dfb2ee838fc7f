"""`SparkEngine` runs the EMR job's one path by default (no JVM is started here)."""

from __future__ import annotations

import pytest

from taxiway.engines.spark import SparkEngine


def test_the_default_is_the_native_path_the_emr_step_runs() -> None:
    assert SparkEngine().classify == "native"
    assert SparkEngine(classify="python").classify == "python"
    with pytest.raises(ValueError, match="classify must be `native` or `python`"):
        SparkEngine(classify="arrow")
