"""Pure parts of `taxiway airflow`: which hours to backfill, when to warn about catch-up."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from taxiway.lake.layout import Lake
from taxiway.ui.airflow import catchup_warning, landing_hours


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
