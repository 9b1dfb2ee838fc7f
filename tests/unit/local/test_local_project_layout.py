"""Project layout: where requirements, DAGs, plugins and the startup script are."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxiway.errors import UsageError
from taxiway.local.project import find_layout


def test_mwaa_bucket_layout(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    (tmp_path / "plugins").mkdir()
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "requirements.txt").write_text("toolz\n")
    (tmp_path / "startup").mkdir()
    (tmp_path / "startup" / "startup.sh").write_text("true\n")
    layout = find_layout(tmp_path)
    assert layout.dags == tmp_path / "dags"
    assert layout.plugins == tmp_path / "plugins"
    assert layout.requirements == tmp_path / "requirements" / "requirements.txt"
    assert layout.startup == tmp_path / "startup" / "startup.sh"


def test_zip_wins_over_folder_and_dags_default_to_the_root(tmp_path: Path) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins.zip").write_bytes(b"")
    (tmp_path / "my_dag.py").write_text("")
    layout = find_layout(tmp_path)
    assert layout.plugins == tmp_path / "plugins.zip"
    assert layout.dags == tmp_path
    assert layout.requirements is None and layout.startup is None


def test_missing_project_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        find_layout(tmp_path / "nope")
