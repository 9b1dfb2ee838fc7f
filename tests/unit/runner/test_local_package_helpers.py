"""package-requirements helpers: the pip command, pip's failures, the offline file."""

from __future__ import annotations

from pathlib import Path

from taxiway import mwaa
from taxiway.runner import package, target

PIP_FAILURE = """\
Collecting toolz==1.0.0
  Using cached toolz-1.0.0-py3-none-any.whl
ERROR: Could not find a version that satisfies the requirement pyspark==4.0.0 (from versions: none)
ERROR: No matching distribution found for pyspark==4.0.0
"""


def test_pip_download_targets_mwaa_platform_not_the_host(tmp_path: Path) -> None:
    cmd = package.pip_download_command(
        mwaa.release("2.10.3"), tmp_path / "r.txt", [tmp_path / "c.txt"], tmp_path / "w"
    )
    assert cmd[cmd.index("--python-version") + 1] == "3.11"
    platforms = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--platform"]
    assert platforms == ["manylinux_2_34_x86_64", "manylinux2014_x86_64"]
    assert "--only-binary=:all:" in cmd
    assert cmd[cmd.index("-c") + 1] == str(tmp_path / "c.txt")
    assert cmd[cmd.index("-d") + 1] == str(tmp_path / "w")


def test_missing_wheels_are_named_once() -> None:
    assert package.missing_wheels(PIP_FAILURE) == ["pyspark"]
    assert package.missing_wheels(PIP_FAILURE + PIP_FAILURE) == ["pyspark"]
    assert package.missing_wheels("ERROR: something else\n") == []


def test_failure_without_a_named_package_is_a_download_failure() -> None:
    (finding,) = package._failure_findings("ERROR: network down\n", mwaa.release("3.3.1"))
    assert finding.code == "download-failed"
    assert "network down" in finding.message


def test_offline_requirements_switch_the_index_off_and_keep_requirements() -> None:
    text = (
        "-c https://example/constraints.txt\n--index-url https://x\nboto3>=1.34  # aws\n\ntoolz\n"
    )
    assert package.offline_requirements(text) == (
        "--find-links /usr/local/airflow/plugins\n--no-index\nboto3>=1.34\ntoolz\n"
    )


def test_offline_requirements_install_from_the_project_plugins(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(package.offline_requirements("toolz==1.0.0\n"))
    zip_a = tmp_path / "a.zip"
    zip_a.write_bytes(b"one")
    zip_b = tmp_path / "b.zip"
    zip_b.write_bytes(b"two")
    release = mwaa.release("3.3.1")
    spec_a = target.env_spec(release, "3.12.1", "/py", req, zip_a)
    assert spec_a.user is not None and spec_a.user.uses_plugins
    assert spec_a.user.text.splitlines()[0] == "--find-links {plugins}"
    assert spec_a.plugins == zip_a
    # new wheels in the zip -> a new environment
    assert spec_a.key != target.env_spec(release, "3.12.1", "/py", req, zip_b).key
    # plugins that the requirements do not install from do not change the key
    plain = tmp_path / "plain.txt"
    plain.write_text("toolz==1.0.0\n")
    assert (
        target.env_spec(release, "3.12.1", "/py", plain, zip_a).key
        == target.env_spec(release, "3.12.1", "/py", plain, zip_b).key
    )
