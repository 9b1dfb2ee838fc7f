from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from taxiway import config
from taxiway.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_repo_settings_load() -> None:
    settings = config.load(ROOT / "taxiway.yaml")
    assert set(settings.environments) == {"local", "sandbox", "test", "production"}
    assert settings.env("local").target == "local"
    assert settings.pipeline.topic == "events"


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    f = tmp_path / "taxiway.yaml"
    f.write_text(yaml.safe_dump({"environments": {"local": {"target": "local", "data_dri": "x"}}}))
    with pytest.raises(
        ConfigError, match=r"taxiway.yaml: environments.local.data_dri: unknown key"
    ):
        config.load(f)


def test_bad_value_names_key(tmp_path: Path) -> None:
    f = tmp_path / "taxiway.yaml"
    data = {
        "pipeline": {"late_event_lookback_days": "seven"},
        "environments": {"local": {"target": "local"}},
    }
    f.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"pipeline.late_event_lookback_days: expected int"):
        config.load(f)


def test_data_dir_override_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = config.load(ROOT / "taxiway.yaml")
    monkeypatch.delenv("TAXIWAY_DATA_DIR", raising=False)
    assert config.data_dir(settings) == str(ROOT / "data")
    monkeypatch.setenv("TAXIWAY_DATA_DIR", str(tmp_path))
    assert config.data_dir(settings) == str(tmp_path)
    assert config.data_dir(settings, override="/x") == "/x"


def test_start_hour_must_be_an_hour(tmp_path: Path) -> None:
    f = tmp_path / "taxiway.yaml"
    doc = {"pipeline": {"start_hour": "2026-11-01"}, "environments": {"local": {"target": "local"}}}
    f.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=r"pipeline.start_hour: `2026-11-01` is not an hour"):
        config.load(f)
