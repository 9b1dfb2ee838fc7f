"""`taxiway local package-requirements`: MWAA-platform wheels, then an offline install."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from taxiway import mwaa
from taxiway.findings import Severity
from taxiway.runner.check import local_test
from taxiway.runner.package import package_requirements

pytestmark = pytest.mark.integration
PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "local_projects"


def test_package_without_a_platform_wheel_fails_naming_it(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "taxiway.cli.app",
            "local",
            "package-requirements",
            str(PROJECTS / "no_wheel"),
            "--mwaa",
            "3.3.1",
            "--out",
            str(tmp_path / "plugins.zip"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=600,
    )
    assert out.returncode == 1, out.stderr
    findings = json.loads(out.stdout)["findings"]
    assert [(f["code"], f["subject"]) for f in findings] == [("no-wheel", "pyspark")]
    assert not (tmp_path / "plugins.zip").exists()


def test_packaged_wheels_install_offline_like_mwaa(tmp_path: Path, local_cache: Path) -> None:
    project = tmp_path / "offline"
    shutil.copytree(PROJECTS / "offline", project)
    result = package_requirements(
        project, "3.3.1", project / "plugins.zip", project / "requirements.txt"
    )
    assert [f.code for f in result.findings] == ["package-written"]
    names = zipfile.ZipFile(project / "plugins.zip").namelist()
    assert "toolz-1.0.0-py3-none-any.whl" in names
    (ujson_wheel,) = [n for n in names if n.startswith("ujson-5.10.0-")]
    # MWAA's interpreter and machine, whatever this host is
    assert "-cp312-cp312-" in ujson_wheel and "manylinux" in ujson_wheel
    assert ujson_wheel.endswith("x86_64.whl")
    lines = (project / "requirements.txt").read_text().splitlines()
    assert lines == [
        "--find-links /usr/local/airflow/plugins",
        "--no-index",
        "toolz==1.0.0",
        "ujson==5.10.0",
    ]
    # local test installs from the zip with the index switched off, as MWAA would
    report = local_test(project, "3.3.1", cache=local_cache, with_doctor=False)
    assert [f for f in report.findings if f.severity is Severity.ERROR] == []
    assert report.imports is not None and report.imports.dag_ids == ["uses_wheels"]

    # and really offline: with ujson's wheel gone from the zip, the install fails
    stripped = tmp_path / "stripped.zip"
    with (
        zipfile.ZipFile(project / "plugins.zip") as src,
        zipfile.ZipFile(stripped, "w") as dst,
    ):
        for name in src.namelist():
            if name != ujson_wheel:
                dst.writestr(name, src.read(name))
    shutil.move(stripped, project / "plugins.zip")
    report = local_test(project, "3.3.1", cache=local_cache, with_doctor=False)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    (failure,) = [f for f in errors if f.code == "install-failed"]
    assert "ujson" in failure.message


@pytest.mark.parametrize("version", ["2.10.3", "3.0.6"])
def test_providers_package_without_what_the_image_has(tmp_path: Path, version: str) -> None:
    """A provider depends on apache-airflow: only what MWAA's image lacks goes in the zip
    (Airflow's own tree, with its sdist-only pins such as dill, stays out)."""
    project = tmp_path / "providers"
    (project / "dags").mkdir(parents=True)
    (project / "requirements.txt").write_text(
        "apache-airflow-providers-snowflake\n"
        "apache-airflow-providers-oracle\n"
        "apache-airflow-providers-ssh\n"
    )
    result = package_requirements(project, version, tmp_path / "out" / "plugins.zip")
    assert [f.code for f in result.findings] == ["package-written"], result.findings
    release = mwaa.release(version)
    names = zipfile.ZipFile(tmp_path / "out" / "plugins.zip").namelist()
    dists = {re.sub(r"[-_.]+", "-", n.split("-", 1)[0]).lower(): n for n in names}
    for provider in ("snowflake", "oracle", "ssh"):
        wheel = dists[f"apache-airflow-providers-{provider}"]
        # at the version MWAA's constraints fix
        assert release.constraints[f"apache-airflow-providers-{provider}"] in wheel
    assert {"oracledb", "paramiko", "snowflake-connector-python"} <= set(dists)
    assert "apache-airflow" not in dists and "dill" not in dists
    # nothing the image already has at that version
    assert [n for n in dists if n in release.builtins] == []
