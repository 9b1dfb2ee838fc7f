"""Plugins folder and zip checks."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from taxiway import mwaa
from taxiway.doctor.plugins import check_plugins
from taxiway.doctor.project import import_context
from taxiway.errors import UsageError


def _check(location: Path, version: str) -> set[tuple[str, str, str, int | None]]:
    target = mwaa.release(version)
    ctx = import_context(target, None, None, location)
    return {
        (f.code, f.severity.value, f.subject, f.line) for f in check_plugins(location, target, ctx)
    }


def test_plugins_folder_on_airflow_3(projects: Path) -> None:
    assert _check(projects / "plugins_folder" / "plugins", "3.3.1") == {
        ("import-unavailable", "error", "xmltodict", 3),
        ("airflow-plugin", "info", "company", 18),
        # Airflow 3 removed the plugin's `operators` list (ruff AIR301, one error instead
        # of the Airflow 2 "could be a plain module" warning) and moved BaseOperator
        ("airflow3-removed", "error", "operators", 20),
        ("airflow3-moved", "warning", "airflow.models.baseoperator.BaseOperator", 4),
        ("plugin-removable", "warning", "HelloOperator", 4),
        ("plugin-ui-unsupported", "error", "company", 18),
    }


def test_flask_views_are_fine_on_airflow_2(projects: Path) -> None:
    codes = {c for c, *_ in _check(projects / "plugins_folder" / "plugins", "2.10.3")}
    assert "plugin-ui-unsupported" not in codes
    assert {"plugin-removable", "airflow-plugin"} <= codes


def _zip(src: Path, out: Path, with_top: bool) -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for path in sorted(src.rglob("*.py")):
            rel = path.relative_to(src if with_top else src / "myplugins")
            zf.write(path, rel.as_posix())
    return out


def test_zip_with_an_extra_top_folder(projects: Path, tmp_path: Path) -> None:
    src = projects / "plugins_zip_src"
    bad = _check(_zip(src, tmp_path / "plugins.zip", with_top=True), "3.3.1")
    # ruff's AIR3 rules run on the zip's files too (BaseHook moved to airflow.sdk)
    moved = ("airflow3-moved", "warning", "airflow.hooks.base.BaseHook", 4)
    assert bad == {
        ("plugins-zip-layout", "error", "myplugins/", None),
        ("plugin-removable", "warning", "WarehouseHook", 4),
        moved,
    }
    good = _check(_zip(src, tmp_path / "good.zip", with_top=False), "3.3.1")
    assert good == {("plugin-removable", "warning", "WarehouseHook", 4), moved}


def test_not_a_zip_is_a_usage_error(tmp_path: Path) -> None:
    fake = tmp_path / "plugins.zip"
    fake.write_text("not a zip")
    with pytest.raises(UsageError, match="neither a folder nor a zip"):
        _check(fake, "3.3.1")
