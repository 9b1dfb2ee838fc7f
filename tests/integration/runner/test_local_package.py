"""`taxiway local package-requirements`: MWAA-platform wheels, then an offline install."""

from __future__ import annotations

import dataclasses
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
from taxiway.runner import environment, target
from taxiway.runner.check import environment_finding, local_test
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


# 2.10.3 only in the suite (3.0.6 was checked by hand: 16 wheels, none built in)
@pytest.mark.parametrize("version", ["2.10.3"])
def test_providers_package_without_what_the_image_has(
    tmp_path: Path, version: str, local_cache: Path
) -> None:
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
    # and the zip installs offline on the image's built-ins, as MWAA would install it
    shutil.copy(tmp_path / "out" / "plugins.zip", project / "plugins.zip")
    shutil.copy(tmp_path / "out" / "requirements.txt", project / "requirements.txt")
    (project / "dags" / "providers.py").write_text(PROVIDERS_DAG)
    report = local_test(project, version, cache=local_cache, with_doctor=False)
    assert [f for f in report.findings if f.severity is Severity.ERROR] == []
    assert report.imports is not None and report.imports.dag_ids == ["uses_providers"]


PROVIDERS_DAG = """
from datetime import datetime

from airflow import DAG
from airflow.providers.oracle.hooks.oracle import OracleHook  # noqa: F401
from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook  # noqa: F401
from airflow.providers.ssh.hooks.ssh import SSHHook  # noqa: F401

with DAG("uses_providers", start_date=datetime(2024, 1, 1), schedule=None):
    pass
"""


def test_an_image_package_that_does_not_install_here_is_left_out_and_said(
    tmp_path: Path,
) -> None:
    """The image step installs every other built-in; one that cannot install on this
    machine costs only itself, and the environment says which."""
    release = mwaa.release("3.3.1")
    spec = target.env_spec(release, sys.version.split()[0], sys.executable, None)
    spec = dataclasses.replace(
        spec,
        base=("toolz==1.0.0",),
        image=(f"filelock=={release.builtins['filelock']}", "filelock-nosuch-taxiway==1.0"),
    )
    built = environment.ensure(spec, tmp_path)
    assert isinstance(built, environment.BuiltEnv), built
    assert built.image_missing() == ["filelock-nosuch-taxiway==1.0"]
    assert subprocess.run([str(built.python), "-c", "import filelock, toolz"]).returncode == 0
    finding = environment_finding(built, "3.3.1", "3.12")
    assert finding.code == "image-incomplete" and "filelock-nosuch-taxiway" in finding.message
