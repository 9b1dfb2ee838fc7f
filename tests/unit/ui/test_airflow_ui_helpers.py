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


def test_catchup_from_long_before_the_data_is_a_warning() -> None:
    hours = [datetime(2026, 11, 29, 5, tzinfo=UTC)]
    details = {"catchup": True, "start_date": "2026-01-01T00:00:00Z"}
    warning = catchup_warning(details, hours)
    assert warning is not None and "2026-01-01" in warning
    assert catchup_warning({**details, "catchup": False}, hours) is None
    assert catchup_warning({**details, "start_date": "2026-11-29T00:00:00Z"}, hours) is None
    assert catchup_warning(details, []) is None


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
    monkeypatch.syspath_prepend(str(dags))
    monkeypatch.setenv("TAXIWAY_DAG_START", env["TAXIWAY_DAG_START"])
    monkeypatch.setenv("TAXIWAY_ENV", "local")
    from taxiway_dags import settings

    assert settings.current().start == datetime(2026, 11, 29, 5, tzinfo=UTC)
    monkeypatch.delenv("TAXIWAY_DAG_START")
    assert settings.current().start == datetime(2026, 11, 1, tzinfo=UTC)  # pipeline.start_hour
