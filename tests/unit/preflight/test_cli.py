"""`taxiway preflight` argument handling: each wrong combination is one usage error, before AWS."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from taxiway.cli.app import app
from taxiway.errors import UsageError


def refused(*args: str) -> str:
    result = CliRunner().invoke(app, ["preflight", *args])
    assert isinstance(result.exception, UsageError), (result.exit_code, result.stdout)
    return str(result.exception)


@pytest.fixture(autouse=True)
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An unreachable endpoint: a test that got as far as calling AWS would fail loudly.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.chdir(tmp_path)


def test_one_source_of_environment() -> None:
    assert "not both" in refused("--env", "sandbox", "--environment", "orders")
    message = refused("--no-doctor")
    assert "--environment NAME" in message and "taxiway.toml" in message


def test_flags_that_belong_to_the_other_mode() -> None:
    assert "goes with `--env`" in refused("--environment", "orders", "--config", "taxiway.yaml")
    assert "comes from taxiway.yaml" in refused("--env", "sandbox", "--region", "eu-west-1")


def test_project_given_twice_or_missing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert "Two projects" in refused("a", "--project", "b", "--environment", "orders")
    assert "does not exist" in refused("nowhere", "--environment", "orders")


def test_an_unknown_config_key_is_refused_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "taxiway.toml").write_text('enviroment = "orders"\n', encoding="utf-8")
    from taxiway.errors import ConfigError

    result = CliRunner().invoke(app, ["preflight", "--no-doctor"])
    assert isinstance(result.exception, ConfigError)
    assert "enviroment" in str(result.exception) and "taxiway.toml" in str(result.exception)
