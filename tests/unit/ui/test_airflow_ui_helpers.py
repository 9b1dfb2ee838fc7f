"""Pure parts of `taxiway airflow`: which hours to backfill, when to warn about catch-up."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from taxiway.lake.layout import Lake
from taxiway.ui.airflow import AirflowSite, catchup_warning, environment, landing_hours


def test_landing_hours_are_the_hour_folders_that_hold_files(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    wanted = [datetime(2026, 11, 28, 23, tzinfo=UTC), datetime(2026, 11, 29, 0, tzinfo=UTC)]
    for hour in reversed(wanted):
        folder = lake.landing_hour_dir(hour)
        folder.mkdir(parents=True)
        (folder / "events+0+0000000000.json.gz").write_bytes(b"")
    lake.landing_hour_dir(datetime(2026, 11, 29, 1, tzinfo=UTC)).mkdir(parents=True)  # empty
    assert landing_hours(lake) == wanted


def test_no_landing_folder_means_no_hours(tmp_path: Path) -> None:
    assert landing_hours(Lake(tmp_path)) == []


def test_catchup_far_beyond_the_data_is_a_warning() -> None:
    hours = [datetime(2026, 11, 29, 5, tzinfo=UTC), datetime(2026, 11, 29, 6, tzinfo=UTC)]
    now = datetime(2026, 11, 29, 20, tzinfo=UTC)
    details = {"catchup": True, "start_date": "2026-01-01T00:00:00Z"}
    warning = catchup_warning(details, hours, now)
    assert warning is not None and "2026-01-01T00" in warning
    assert catchup_warning({**details, "catchup": False}, hours, now) is None
    # from the first landing hour, 15 h to now of which 2 are the data's: no warning ...
    assert catchup_warning({**details, "start_date": "2026-11-29T05:00:00Z"}, hours, now) is None
    # ... but two days later the same start replays ~60 empty hours ahead of the backfill
    later = datetime(2026, 12, 1, 20, tzinfo=UTC)
    warning = catchup_warning({**details, "start_date": "2026-11-29T05:00:00Z"}, hours, later)
    assert warning is not None and "about 61 more hours" in warning
    assert catchup_warning(details, [], now) is None


def test_the_dag_starts_at_the_first_landing_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`taxiway airflow` hands the first hour on disk to the DAG, so catchup starts there."""
    dags = Path(__file__).resolve().parents[3] / "dags"
    site = AirflowSite(
        project=tmp_path,
        home=tmp_path / ".airflow",
        dags=dags,
        data_dir=tmp_path / "data",
        config=None,
        port=18080,
        dag_start=datetime(2026, 11, 29, 5, tzinfo=UTC),
    )
    env = environment(site)
    assert env["TAXIWAY_DAG_START"] == "2026-11-29T05"
    assert env["TAXIWAY_DAG_CATCHUP"] == "false"  # the backfill runs the hours on disk
    monkeypatch.syspath_prepend(str(dags))
    monkeypatch.setenv("TAXIWAY_DAG_START", env["TAXIWAY_DAG_START"])
    monkeypatch.setenv("TAXIWAY_ENV", "local")
    from taxiway_dags import settings

    assert settings.current().start == datetime(2026, 11, 29, 5, tzinfo=UTC)
    monkeypatch.delenv("TAXIWAY_DAG_START")
    assert settings.current().start == datetime(2026, 11, 1, tzinfo=UTC)  # pipeline.start_hour


def test_catchup_is_on_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The DAG catches up by default (MWAA); TAXIWAY_DAG_CATCHUP=false builds it without."""
    dags = Path(__file__).resolve().parents[3] / "dags"
    monkeypatch.syspath_prepend(str(dags))
    monkeypatch.setenv("TAXIWAY_ENV", "local")
    monkeypatch.delenv("TAXIWAY_DAG_CATCHUP", raising=False)
    from taxiway_dags import settings
    from taxiway_dags.factory import hourly_dag

    assert hourly_dag().catchup is True
    monkeypatch.setenv("TAXIWAY_DAG_CATCHUP", "false")
    assert settings.current().catchup is False
    assert hourly_dag().catchup is False
    monkeypatch.setenv("TAXIWAY_DAG_CATCHUP", "maybe")
    with pytest.raises(ValueError, match="TAXIWAY_DAG_CATCHUP `maybe` is not true or false"):
        settings.current()
