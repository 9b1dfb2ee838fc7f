"""`taxiway deploy PROJECT --environment NAME` against `taxiway twin`, through the CLI.

The twin's MWAA installs what an update names with the local runner, so every update here
is a real install: the tests keep to one Airflow version and two requirements sets (none,
and the fixtures' `bidict`), which the twin builds once per session.
"""

from __future__ import annotations

from pathlib import Path

from deploy_helpers import (
    LEGACY_KEY,
    body,
    copy_project,
    dag_ids,
    deploy,
    environment,
    keys,
    last_update_at,
    latest_version,
    new_environment,
    versions,
)
from twin_helpers import AIRFLOW

from taxiway.deploy.files import plugins_zip

BUCKET = "marketing-mwaa-123456789012"
#: a requirements file MWAA installs nothing from (the environment's creation installs that)
NO_PACKAGES = "# nothing beyond what MWAA ships\n"


def test_local_runner_project_first_deploy_then_nothing_to_do(
    twin_aws: object, tmp_path: Path
) -> None:
    project = copy_project("local_runner", tmp_path)
    new_environment("marketing", BUCKET)
    before = versions(BUCKET)

    # the plan, in JSON: each object with its action and reason; nothing changes
    run = deploy(str(project), "--environment", "marketing", "--dry-run", "--format", "json")
    assert run.code == 0, run.text
    plan = run.json()
    objects = {o["key"]: (o["kind"], o["action"], o["reason"]) for o in plan["objects"]}
    assert objects == {
        "requirements.txt": ("requirements", "upload", "not in the bucket"),
        "plugins.zip": ("plugins", "upload", "not in the bucket"),
        "startup.sh": ("startup", "upload", "not in the bucket"),
        "dags/marketing_report.py": ("dag", "upload", "not in the bucket"),
        LEGACY_KEY: ("dag", "delete", "no longer in the project (MWAA would load it)"),
    }
    assert plan["airflow_version"] == AIRFLOW and plan["mwaa_version"] == AIRFLOW
    assert plan["environment_update"]["parts"] == {
        "requirements": "new `requirements.txt`",
        "plugins": "new `plugins.zip`",
        "startup": "new `startup.sh`",
    }
    assert plan["result"] == "planned" and versions(BUCKET) == before

    # the deploy: parts, UpdateEnvironment, wait with a progress line, then the DAGs
    run = deploy(str(project), "--environment", "marketing")
    assert run.code == 0, run.text
    assert "`marketing`: UPDATING" in run.err and "`marketing` is AVAILABLE" in run.err
    env = environment("marketing")
    assert env["Status"] == "AVAILABLE" and env["LastUpdate"]["Status"] == "SUCCESS"
    for path_field, version_field, key in (
        ("RequirementsS3Path", "RequirementsS3ObjectVersion", "requirements.txt"),
        ("PluginsS3Path", "PluginsS3ObjectVersion", "plugins.zip"),
        ("StartupScriptS3Path", "StartupScriptS3ObjectVersion", "startup.sh"),
    ):
        assert env[path_field] == key and env[version_field] == latest_version(BUCKET, key)
    assert body(BUCKET, "plugins.zip") == plugins_zip(project / "plugins")
    # the twin's scheduler imports the DAG: plugins.zip and bidict are installed
    assert dag_ids("marketing") == ["marketing_report"]
    assert keys(BUCKET, "dags/") == ["dags/marketing_report.py"]  # the legacy file is gone

    # the same project again: 0 uploads, 0 UpdateEnvironment
    stored, updated = versions(BUCKET), last_update_at("marketing")
    run = deploy(str(project), "--environment", "marketing", "--format", "json")
    assert run.code == 0, run.text
    report = run.json()
    assert report["result"] == "nothing to do"
    assert report["uploaded"] == [] and report["environment_update"]["sent"] is None
    assert {o["action"] for o in report["objects"]} == {"unchanged"}
    assert versions(BUCKET) == stored and last_update_at("marketing") == updated


def test_plain_project_dag_changes_requirements_change_and_refusals(
    twin_aws: object, tmp_path: Path
) -> None:
    project = copy_project("plain", tmp_path)
    new_environment("orders", BUCKET)
    run = deploy(str(project), "--environment", "orders")
    assert run.code == 0, run.text
    assert dag_ids("orders") == ["orders_daily", "orders_hourly"]
    assert keys(BUCKET, "dags/") == [
        "dags/.airflowignore",
        "dags/lib/__init__.py",
        "dags/lib/totals.py",
        "dags/orders_daily.py",
        "dags/orders_hourly.py",
    ]
    updated = last_update_at("orders")

    # a DAG-only change: one upload, no environment update, and the output says so
    hourly = project / "dags" / "orders_hourly.py"
    hourly.write_text(hourly.read_text().replace('"@hourly"', '"*/30 * * * *"'))
    run = deploy(str(project), "--environment", "orders")
    assert run.code == 0, run.text
    assert "DAG changes only: no environment update needed" in run.err
    assert "done: 1 uploaded, 0 deleted" in run.err
    assert last_update_at("orders") == updated
    assert b"*/30 * * * *" in body(BUCKET, "dags/orders_hourly.py")

    # a removed DAG: listed in the plan first, then removed from the DAG prefix
    hourly.unlink()
    run = deploy(str(project), "--environment", "orders", "--dry-run", "--format", "json")
    deletes = [(o["key"], o["reason"]) for o in run.json()["objects"] if o["action"] == "delete"]
    assert deletes == [("dags/orders_hourly.py", "no longer in the project (MWAA would load it)")]
    assert "dags/orders_hourly.py" in keys(BUCKET, "dags/")
    run = deploy(str(project), "--environment", "orders")
    assert run.code == 0, run.text
    assert "dags/orders_hourly.py" not in keys(BUCKET, "dags/")
    assert dag_ids("orders") == ["orders_daily"]
    assert last_update_at("orders") == updated

    # a requirements change: upload, UpdateEnvironment, wait; then the DAG that needs it
    (project / "requirements.txt").write_text(NO_PACKAGES)
    daily = project / "dags" / "orders_daily.py"
    daily.write_text(
        daily.read_text()
        .replace("from bidict import bidict\n", "")
        .replace('bidict({"new": 1, "paid": 2, "shipped": 3})', '{"new": 1, "paid": 2}')
    )
    old_requirements = environment("orders")["RequirementsS3ObjectVersion"]
    run = deploy(str(project), "--environment", "orders", "--format", "json")
    assert run.code == 0, run.text
    report = run.json()
    assert report["environment_update"]["parts"] == {"requirements": "new `requirements.txt`"}
    assert report["environment_update"]["sent"]["RequirementsS3ObjectVersion"] == latest_version(
        BUCKET, "requirements.txt"
    )
    assert report["uploaded"] == ["requirements.txt", "dags/orders_daily.py"]  # in that order
    env = environment("orders")
    assert env["RequirementsS3ObjectVersion"] != old_requirements
    assert env["LastUpdate"]["Status"] == "SUCCESS" and last_update_at("orders") > updated

    # a pin that conflicts with what MWAA ships: the doctor refuses it before any upload
    stored, updated = versions(BUCKET), last_update_at("orders")
    (project / "requirements.txt").write_text("humanize==4.0.0\n")
    run = deploy(str(project), "--environment", "orders")
    assert run.code == 1, run.text
    assert "error" in run.out and "humanize==4.0.0" in run.out  # the doctor's finding
    assert "doctor: 1 error(s)" in run.err and "nothing was uploaded" in run.err
    assert versions(BUCKET) == stored and last_update_at("orders") == updated

    # no such environment: one line naming those found in the region
    run = deploy(str(project), "--environment", "ordrs")
    assert run.code == 2
    assert run.err.strip().splitlines()[-1] == (
        "error: No MWAA environment `ordrs` in eu-west-1; found: `orders`."
    )
