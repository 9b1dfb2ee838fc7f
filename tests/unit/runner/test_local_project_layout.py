"""Project layout: where requirements, DAGs, plugins and the startup script are."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxiway.errors import UsageError
from taxiway.runner.project import find_layout


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
    assert layout.dags is None and layout.dags_folder == tmp_path
    assert layout.requirements is None and layout.startup is None


def test_missing_project_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        find_layout(tmp_path / "nope")


def test_aws_mwaa_local_runner_layout_is_found(tmp_path: Path) -> None:
    """The layout of aws-mwaa-local-runner: its startup_script/ used to be ignored."""
    for folder in ("dags", "plugins", "requirements", "startup_script", "docker"):
        (tmp_path / folder).mkdir()
    (tmp_path / "requirements" / "requirements.txt").write_text("dag-factory==1.0.1\n")
    (tmp_path / "startup_script" / "startup.sh").write_text("#!/bin/sh\n")
    layout = find_layout(tmp_path)
    assert layout.requirements == tmp_path / "requirements" / "requirements.txt"
    assert layout.startup == tmp_path / "startup_script" / "startup.sh"
    assert layout.dags == tmp_path / "dags" and layout.plugins == tmp_path / "plugins"


def test_explicit_paths_win_and_must_exist(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    (tmp_path / "requirements.txt").write_text("toolz\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "reqs-prod.txt").write_text("toolz\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "boot.sh").write_text("#!/bin/sh\n")
    layout = find_layout(
        tmp_path,
        requirements=tmp_path / "config" / "reqs-prod.txt",
        startup=tmp_path / "scripts" / "boot.sh",
    )
    assert layout.requirements == tmp_path / "config" / "reqs-prod.txt"
    assert layout.startup == tmp_path / "scripts" / "boot.sh"
    assert layout.explicit == frozenset({"requirements", "startup"})
    with pytest.raises(UsageError, match="--plugins"):
        find_layout(tmp_path, plugins=tmp_path / "nope.zip")
