"""`taxiway deploy --env ENV` and `taxiway bundle`: taxiway's own pipeline through the
toolkit's deploy, against `taxiway twin`.

The platform bundles into a folder laid out like an MWAA project, then the same deploy as a
user's project takes it to the MWAA environment `taxiway-<env>`; the EMR artifacts go up
with the same hash comparison. With the environment on the twin, its update installs the
bundle's requirements and imports taxiway's DAG with the local runner.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import ACCOUNT, REPO, bucket, client, create_buckets, keys
from typer.testing import CliRunner

from taxiway.cli.app import app
from taxiway.platform.bundle import startup_script
from taxiway.platform.deploy import NEEDED_ROLES

#: the one Airflow version the twin's MWAA installs in these tests (tests/integration/twin_helpers)
TWIN_AIRFLOW = "2.11.2"


def _deploy(*args: str) -> tuple[int, str]:
    """Exit code, and stdout for ``--format json`` (else stdout and stderr together)."""
    result = CliRunner().invoke(app, ["deploy", "--env", "sandbox", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout if "json" in args else result.output


def _versions(name: str) -> list[Any]:
    return sorted(
        (v["Key"], v["VersionId"])
        for v in client("s3").list_object_versions(Bucket=name).get("Versions", [])
    )


@pytest.fixture
def platform(twin_aws: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The twin as the sandbox account, taxiway.yaml of this checkout."""
    monkeypatch.setenv("TAXIWAY_CONFIG", str(REPO / "taxiway.yaml"))


def _project(tmp_path: Path, mwaa_version: str | None = None) -> Path:
    """A copy of taxiway's dags/ and taxiway.yaml (optionally for another MWAA version)."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "dags", project / "dags", symlinks=False)
    (project / "dags" / "taxiway.yaml").unlink()
    text = (REPO / "taxiway.yaml").read_text()
    if mwaa_version:
        text = text.replace('mwaa_version: "3.3.1"', f'mwaa_version: "{mwaa_version}"')
    (project / "taxiway.yaml").write_text(text)
    return project / "taxiway.yaml"


def test_deploy_without_buckets_names_them_and_uploads_nothing(platform: None) -> None:
    create_buckets(("mwaa", "artifacts", "landing"))  # curated and reports are missing
    code, out = _deploy()
    assert code == 1, out
    assert f"`{bucket('curated')}`" in out and f"`{bucket('reports')}`" in out
    assert "nothing was uploaded" in out
    assert keys(bucket("mwaa")) == [] and keys(bucket("artifacts")) == []
    code, out = _deploy("--dry-run", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["missing_buckets"] == [bucket("curated"), bucket("reports")]
    assert report["mwaa"] is None and keys(bucket("mwaa")) == []


def test_before_the_environment_exists_the_bucket_gets_the_files(platform: None) -> None:
    """Terraform creates MWAA after the first upload: until then there is nothing to update."""
    create_buckets(NEEDED_ROLES)
    code, out = _deploy("--dry-run", "--format", "json")
    assert code == 0, out
    plan = json.loads(out)
    mwaa, artifacts = f"s3://{bucket('mwaa')}", f"s3://{bucket('artifacts')}"
    dests = {o["uri"] for o in plan["mwaa"]["objects"]} | {o["uri"] for o in plan["artifacts"]}
    assert {
        f"{mwaa}/dags/taxiway_hourly.py",
        f"{mwaa}/dags/taxiway_dags/naming.py",
        f"{mwaa}/dags/taxiway_dags/sql/daily_funnel.sql",
        f"{mwaa}/dags/taxiway_dags/deployment.json",
        f"{mwaa}/dags/taxiway.yaml",
        f"{mwaa}/requirements.txt",
        f"{mwaa}/startup.sh",
        f"{artifacts}/jobs/curate_spark.py",
        f"{artifacts}/jobs/taxiway_jobs.zip",
    } <= dests
    assert any("No MWAA environment `taxiway-sandbox` yet" in n for n in plan["mwaa"]["notes"])
    assert keys(bucket("mwaa")) == []  # a dry run changes nothing

    code, out = _deploy("--format", "json")
    assert code == 0, out
    first = json.loads(out)
    uploaded = {f"s3://{b}/{k}" for b in (bucket("mwaa"), bucket("artifacts")) for k in keys(b)}
    assert uploaded == dests
    assert first["mwaa"]["environment_update"]["sent"] is None
    startup = client("s3").get_object(Bucket=bucket("mwaa"), Key="startup.sh")["Body"].read()
    assert "export TAXIWAY_ENV=sandbox" in startup.decode() and ACCOUNT in startup.decode()
    stored = _versions(bucket("mwaa")) + _versions(bucket("artifacts"))

    # the same bundle again: nothing changes, no new object versions
    code, out = _deploy("--format", "json")
    assert code == 0
    again = json.loads(out)
    assert again["mwaa"]["result"] == "nothing to do" and again["artifacts_uploaded"] == []
    assert _versions(bucket("mwaa")) + _versions(bucket("artifacts")) == stored

    # a DAG file an earlier deploy left behind is removed; an edited object re-uploaded
    s3 = client("s3")
    s3.put_object(Bucket=bucket("mwaa"), Key="dags/old_dag.py", Body=b"# from an old bundle\n")
    s3.put_object(Bucket=bucket("artifacts"), Key="jobs/curate_spark.py", Body=b"# edited\n")
    code, out = _deploy("--format", "json")
    assert code == 0
    report = json.loads(out)
    changed = {
        o["key"]: o["action"] for o in report["mwaa"]["objects"] if o["action"] != "unchanged"
    }
    assert changed == {"dags/old_dag.py": "delete"}
    assert report["artifacts_uploaded"] == ["jobs/curate_spark.py"]
    assert "dags/old_dag.py" not in keys(bucket("mwaa"))


def test_deploy_updates_the_environment_and_the_twin_installs_the_bundle(
    platform: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment as Terraform makes it (a startup script, no requirements yet)."""
    from twin_helpers import client as twin_client
    from twin_helpers import create_environment

    def environment_of(name: str) -> Any:
        return twin_client("mwaa").get_environment(Name=name)["Environment"]

    config = _project(tmp_path, TWIN_AIRFLOW)
    monkeypatch.setenv("TAXIWAY_CONFIG", str(config))
    create_buckets(NEEDED_ROLES)
    # Terraform's aws_s3_object.startup writes the same text, without taxiway's metadata
    client("s3").put_object(
        Bucket=bucket("mwaa"), Key="startup.sh", Body=startup_script("sandbox", ACCOUNT).encode()
    )
    # and a DAG folder that is not empty (a file from before taxiway: the deploy removes it)
    client("s3").put_object(Bucket=bucket("mwaa"), Key="dags/legacy.py", Body=b"# by hand\n")
    create_environment(
        "taxiway-sandbox", bucket("mwaa"), TWIN_AIRFLOW, StartupScriptS3Path="startup.sh"
    )
    code, out = _deploy("--format", "json")
    assert code == 0, out
    report = json.loads(out)["mwaa"]
    objects = {o["key"]: (o["action"], o["reason"]) for o in report["objects"]}
    # the same bytes as Terraform's object (its ETag is their MD5): no upload, no update
    assert objects["startup.sh"] == ("unchanged", "same MD5 (ETag)")
    assert objects["dags/legacy.py"][0] == "delete"
    assert report["environment_update"]["parts"] == {"requirements": "new `requirements.txt`"}
    env = environment_of("taxiway-sandbox")
    assert env["LastUpdate"]["Status"] == "SUCCESS"
    assert env["RequirementsS3Path"] == "requirements.txt"
    dags = twin_client("mwaa").invoke_rest_api(Name="taxiway-sandbox", Path="/dags", Method="GET")
    assert [d["dag_id"] for d in dags["RestApiResponse"]["dags"]] == ["taxiway_hourly"]

    updated = env["LastUpdate"]["CreatedAt"]
    stored = _versions(bucket("mwaa"))
    code, out = _deploy("--format", "json")
    assert code == 0, out
    assert json.loads(out)["mwaa"]["result"] == "nothing to do"
    assert _versions(bucket("mwaa")) == stored
    assert environment_of("taxiway-sandbox")["LastUpdate"]["CreatedAt"] == updated


@pytest.mark.parametrize("version", ["3.3.1", "2.11.2"])
def test_bundle_passes_the_doctor_for_its_mwaa_version(version: str, tmp_path: Path) -> None:
    from dataclasses import replace

    from taxiway import config
    from taxiway.findings import Severity
    from taxiway.platform import bundle

    settings = config.load(REPO / "taxiway.yaml")
    env = replace(settings.env("sandbox"), mwaa_version=version)
    settings = replace(settings, environments={**settings.environments, "sandbox": env})
    built = bundle.build(settings, "sandbox", ACCOUNT, tmp_path / "b")
    findings = bundle.doctor_findings(built)
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    # not even a warning: MWAA needs nothing extra (the `layout` info says what was checked)
    assert [f.code for f in findings if f.severity is not Severity.INFO] == []
    assert (built.mwaa_dir / "dags" / "taxiway_dags" / "sql" / "daily_funnel.sql").read_text() == (
        REPO / "src" / "taxiway" / "sql" / "daily_funnel.sql"
    ).read_text()


def test_deploy_refuses_a_bundle_the_doctor_rejects(
    platform: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DAG importing what MWAA lacks: the doctor's error is shown and nothing is uploaded."""
    create_buckets(NEEDED_ROLES)
    config = _project(tmp_path)
    (config.parent / "dags" / "extra_dag.py").write_text(
        "# airflow DAG\nimport not_a_package_mwaa_ships\n", encoding="utf-8"
    )
    code, out = _deploy("--config", str(config))
    assert code == 1, out
    assert "not_a_package_mwaa_ships" in out and "doctor: 1 error(s)" in out
    assert "nothing was uploaded" in out
    assert keys(bucket("mwaa")) == [] and keys(bucket("artifacts")) == []


def test_bundle_writes_the_folder_offline(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["bundle", "--env", "sandbox", "--out", str(tmp_path / "b"), "--account-id", ACCOUNT],
        env={"TAXIWAY_CONFIG": str(REPO / "taxiway.yaml")},
    )
    assert result.exit_code == 0, result.output
    mwaa = tmp_path / "b" / "mwaa"
    assert (mwaa / "requirements.txt").is_file() and (mwaa / "startup.sh").is_file()
    assert (mwaa / "dags" / "taxiway_hourly.py").is_file()
    assert (tmp_path / "b" / "artifacts" / "jobs" / "taxiway_jobs.zip").is_file()
