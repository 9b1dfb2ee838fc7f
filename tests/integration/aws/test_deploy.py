"""`taxiway deploy` and `taxiway bundle` against moto's server; MWAA through botocore's Stubber."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_helpers import ACCOUNT, bucket, client, create_buckets, keys
from typer.testing import CliRunner

from taxiway.cli.app import app
from taxiway.deploy.upload import NEEDED_ROLES

ALL = NEEDED_ROLES


def _deploy(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["deploy", "--env", "sandbox", *args])
    return result.exit_code, result.output


def test_deploy_without_buckets_names_them_and_uploads_nothing(aws: str) -> None:
    create_buckets(("mwaa", "artifacts", "landing"))  # curated and reports are missing
    code, out = _deploy()
    assert code == 1, out
    assert f"`{bucket('curated')}`" in out and f"`{bucket('reports')}`" in out
    assert "nothing was uploaded" in out
    assert keys(bucket("mwaa")) == [] and keys(bucket("artifacts")) == []
    # the dry run still prints the whole plan and the same missing buckets
    code, out = _deploy("--dry-run", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["missing_buckets"] == [bucket("curated"), bucket("reports")]
    assert report["applied"] is False
    assert {d["action"] for d in report["destinations"]} == {"upload"}
    assert keys(bucket("mwaa")) == []


def test_deploy_uploads_only_what_changed(aws: str) -> None:
    create_buckets(ALL)
    code, out = _deploy("--dry-run", "--format", "json")
    assert code == 0, out
    plan = json.loads(out)
    dests = {d["destination"] for d in plan["destinations"]}
    mwaa, artifacts = f"s3://{bucket('mwaa')}", f"s3://{bucket('artifacts')}"
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
    assert keys(bucket("mwaa")) == []  # a dry run changes nothing

    code, out = _deploy("--format", "json")
    assert code == 0, out
    first = json.loads(out)
    assert first["applied"] and all(d["changes"] for d in first["destinations"])
    uploaded = {f"s3://{b}/{k}" for b in (bucket("mwaa"), bucket("artifacts")) for k in keys(b)}
    assert uploaded == dests
    s3 = client("s3")
    startup = s3.get_object(Bucket=bucket("mwaa"), Key="startup.sh")["Body"].read().decode()
    assert "export TAXIWAY_ENV=sandbox" in startup and ACCOUNT in startup
    versions_before = s3.list_object_versions(Bucket=bucket("mwaa"))["Versions"]

    # the same bundle again: nothing changes, no new object versions
    code, out = _deploy("--format", "json")
    assert code == 0
    again = json.loads(out)
    assert [d for d in again["destinations"] if d["changes"]] == []
    assert len(s3.list_object_versions(Bucket=bucket("mwaa"))["Versions"]) == len(versions_before)

    # a DAG file an earlier deploy left behind is removed; an edited object re-uploaded
    s3.put_object(Bucket=bucket("mwaa"), Key="dags/old_dag.py", Body=b"# from an old bundle\n")
    s3.put_object(Bucket=bucket("mwaa"), Key="startup.sh", Body=b"#!/bin/sh\n")
    code, out = _deploy("--format", "json")
    assert code == 0
    changed = {
        d["destination"]: d["action"] for d in json.loads(out)["destinations"] if d["changes"]
    }
    assert changed == {
        f"{mwaa}/dags/old_dag.py": "delete",
        f"{mwaa}/startup.sh": "upload",
    }
    assert "dags/old_dag.py" not in keys(bucket("mwaa"))


def test_update_environment_points_mwaa_at_the_new_versions(aws: str, tmp_path: Path) -> None:
    """MWAA is not in moto: its client is stubbed; S3 versions are moto's real ones."""
    from botocore.stub import Stubber

    from taxiway import config
    from taxiway.deploy import bundle, upload

    create_buckets(ALL)
    settings = config.load()
    s3 = client("s3")
    built = bundle.build(settings, "sandbox", ACCOUNT, tmp_path / "b")
    the_plan = upload.plan(s3, built, "taxiway")
    upload.apply(s3, the_plan)
    req_version = s3.head_object(Bucket=bucket("mwaa"), Key="requirements.txt")["VersionId"]
    startup_version = s3.head_object(Bucket=bucket("mwaa"), Key="startup.sh")["VersionId"]

    mwaa = client("mwaa")
    stub = Stubber(mwaa)
    stub.add_response(
        "get_environment", {"Environment": {"Name": "taxiway-sandbox"}}, {"Name": "taxiway-sandbox"}
    )
    expected = {
        "Name": "taxiway-sandbox",
        "SourceBucketArn": f"arn:aws:s3:::{bucket('mwaa')}",
        "DagS3Path": "dags",
        "RequirementsS3Path": "requirements.txt",
        "RequirementsS3ObjectVersion": req_version,
        "StartupScriptS3Path": "startup.sh",
        "StartupScriptS3ObjectVersion": startup_version,
    }
    stub.add_response(
        "update_environment",
        {"Arn": "arn:aws:airflow:eu-west-1:123456789012:environment/taxiway-sandbox"},
        expected,
    )
    # an account without the environment: nothing is sent
    stub.add_client_error("get_environment", "ResourceNotFoundException", http_status_code=404)
    with stub:
        assert upload.update_environment(mwaa, s3, the_plan, "taxiway") == expected
        assert upload.update_environment(mwaa, s3, the_plan, "taxiway") is None
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("version", ["3.3.1", "2.11.2"])
def test_bundle_passes_the_doctor_for_its_mwaa_version(version: str, tmp_path: Path) -> None:
    from dataclasses import replace

    from taxiway import config
    from taxiway.deploy import bundle
    from taxiway.findings import Severity

    settings = config.load(Path(__file__).resolve().parents[3] / "taxiway.yaml")
    env = replace(settings.env("sandbox"), mwaa_version=version)
    settings = replace(settings, environments={**settings.environments, "sandbox": env})
    built = bundle.build(settings, "sandbox", ACCOUNT, tmp_path / "b")
    findings = bundle.doctor_findings(built)
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    # not even a warning: MWAA needs nothing extra (the `layout` info says what was checked)
    assert [f.code for f in findings if f.severity is not Severity.INFO] == []
    assert (built.mwaa_dir / "dags" / "taxiway_dags" / "sql" / "daily_funnel.sql").read_text() == (
        Path(__file__).resolve().parents[3] / "src" / "taxiway" / "sql" / "daily_funnel.sql"
    ).read_text()


def test_deploy_refuses_a_bundle_the_doctor_rejects(aws: str, tmp_path: Path) -> None:
    """A DAG importing what MWAA lacks: the doctor's error is shown and nothing is uploaded."""
    import shutil

    from aws_helpers import REPO

    create_buckets(ALL)
    project = tmp_path / "project"
    shutil.copytree(REPO / "dags", project / "dags", symlinks=False)
    (project / "dags" / "taxiway.yaml").unlink()
    shutil.copy(REPO / "taxiway.yaml", project / "taxiway.yaml")
    (project / "dags" / "extra_dag.py").write_text(
        "# airflow DAG\nimport not_a_package_mwaa_ships\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        app,
        ["deploy", "--env", "sandbox", "--config", str(project / "taxiway.yaml")],
    )
    assert result.exit_code == 1, result.output
    assert "doctor:" in result.output and "not_a_package_mwaa_ships" in result.output
    assert "nothing was uploaded" in result.output
    assert keys(bucket("mwaa")) == [] and keys(bucket("artifacts")) == []
