"""Fixtures of tests/infra: the Terraform tree parsed once per session with python-hcl2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

# Helper modules live beside this file; make them importable in any pytest import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from infra_hcl import REPO, Parsed, parse_tree


@pytest.fixture(scope="session")
def parsed_tree() -> tuple[Parsed, dict[str, str]]:
    return parse_tree()


@pytest.fixture(scope="session")
def hcl(parsed_tree: tuple[Parsed, dict[str, str]]) -> Parsed:
    files, errors = parsed_tree
    assert not errors, f"python-hcl2 could not parse: {errors}"
    return files


@pytest.fixture(scope="session")
def settings_doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((REPO / "taxiway.yaml").read_text(encoding="utf-8"))
    return doc
