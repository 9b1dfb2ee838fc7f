"""Shared, session-scoped parts of the browser tests: Chromium, a small lake, screenshots.

Chromium is Debian's ``chromium`` with ``chromium-driver`` (selenium drives it through
/usr/bin/chromedriver). When they are missing the session installs them with apt-get (as
root) or fails saying how; no test is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
INSTALL_HINT = "install them with `sudo apt-get install -y chromium chromium-driver`"


def _find_browser() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None
    )
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver, installed with apt-get when missing."""
    found = _find_browser()
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        proc = subprocess.run(
            "apt-get update -qq && apt-get install -y -qq chromium chromium-driver",
            shell=True,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, f"apt-get could not install chromium:\n{proc.stderr[-2000:]}"
        found = _find_browser()
    if found is None:
        pytest.fail(f"Chromium and chromedriver are needed for the browser tests; {INSTALL_HINT}.")
    return found


@pytest.fixture()
def browser(chromium: tuple[str, str], tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium (its own profile) driven by selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1400,1000")
    driver = webdriver.Chrome(service=Service(chromium[1]), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def screenshot(tmp_path: Path) -> Any:
    """Save a full-page screenshot under the test's tmp dir; also copy it to
    ``$TAXIWAY_SCREENSHOT_DIR`` when set (to look at it after the run)."""

    def take(driver: Any, name: str, full_page: bool = True) -> Path:
        if full_page:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1400, min(max(int(height) + 120, 800), 6000))
        path = tmp_path / f"{name}.png"
        assert driver.save_screenshot(str(path)), f"could not save {path}"
        extra = os.environ.get("TAXIWAY_SCREENSHOT_DIR")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path

    return take


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three landing hours around midnight (so there are two event dates and late events)."""
    start = datetime(2026, 11, 28, 22, tzinfo=UTC)
    from taxiway.lake.layout import hour_range

    root = tmp_path_factory.mktemp("lake")
    from taxiway import config
    from taxiway.events.generator import GeneratorOptions, generate
    from taxiway.pipeline.local import curate_hours, refresh_catalog

    settings = config.load()
    generate(root, GeneratorOptions(start=start, hours=3, events_per_hour=2000, late_rate=0.05))
    hours = hour_range(start, datetime(2026, 11, 29, 0, tzinfo=UTC))
    curate_hours(settings, "local", root, hours[:2])
    curate_hours(settings, "local", root, hours[2:])
    refresh_catalog(settings, root)
    return root
