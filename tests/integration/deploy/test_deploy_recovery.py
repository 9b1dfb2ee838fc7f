"""A deploy that stops half-way, and an update MWAA rolls back, against `taxiway twin`.

A crash is an exception raised from inside one AWS call of the deploy (as a killed process
or a lost network would stop it there); the rerun, with nothing patched, must finish the
deploy, and one more deploy must have nothing to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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
from twin_helpers import wait_settled

from taxiway.deploy.aws import Aws

BUCKET = "campaigns-mwaa-123456789012"


class Crash(Exception):
    """The deploy's process dies here."""


def _crash(monkeypatch: pytest.MonkeyPatch, method: str, after: int = 0) -> None:
    """Make ``Aws.<method>`` crash on its call number ``after + 1`` (earlier calls run)."""
    real = getattr(Aws, method)
    calls = {"n": 0}

    def crashing(self: Aws, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] > after:
            raise Crash(method)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Aws, method, crashing)


def _deploy_json(project: Path, name: str) -> dict[str, Any]:
    run = deploy(str(project), "--environment", name, "--format", "json")
    assert run.code == 0, run.text
    return run.json()


def test_a_deploy_interrupted_anywhere_is_finished_by_the_rerun(
    twin_aws: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project("local_runner", tmp_path)
    new_environment("campaigns", BUCKET)

    # 1. after the parts are uploaded, before UpdateEnvironment
    with monkeypatch.context() as patch:
        _crash(patch, "update_environment")
        with pytest.raises(Crash):
            deploy(str(project), "--environment", "campaigns")
    assert {"requirements.txt", "plugins.zip", "startup.sh"} <= set(keys(BUCKET))
    assert "RequirementsS3Path" not in environment("campaigns")
    assert keys(BUCKET, "dags/") == [LEGACY_KEY]  # no DAG before its requirements are installed
    report = _deploy_json(project, "campaigns")
    assert {o["key"]: o["action"] for o in report["objects"]} == {
        "requirements.txt": "unchanged",
        "plugins.zip": "unchanged",
        "startup.sh": "unchanged",
        "dags/marketing_report.py": "upload",
        LEGACY_KEY: "delete",
    }
    assert set(report["environment_update"]["parts"]) == {"requirements", "plugins", "startup"}
    assert report["uploaded"] == ["dags/marketing_report.py"]
    assert environment("campaigns")["LastUpdate"]["Status"] == "SUCCESS"
    assert dag_ids("campaigns") == ["marketing_report"]

    # 2. after UpdateEnvironment, while waiting for it (a new startup script and a DAG edit)
    startup = project / "startup_script" / "startup.sh"
    startup.write_text(startup.read_text().replace("MARKETING_ENV=twin", "MARKETING_ENV=twin2"))
    dag = project / "dags" / "marketing_report.py"
    dag.write_text(dag.read_text().replace('"@weekly"', '"@daily"'))
    with monkeypatch.context() as patch:
        _crash(patch, "wait")
        with pytest.raises(Crash):
            deploy(str(project), "--environment", "campaigns")
    crashed_update = last_update_at("campaigns")
    assert b"@weekly" in body(BUCKET, "dags/marketing_report.py")
    run = deploy(str(project), "--environment", "campaigns", "--format", "json")
    assert run.code == 0, run.text
    report = run.json()
    # the rerun waits for the update under way (if it still is) and sends no second one
    assert report["environment_update"]["sent"] is None
    assert report["uploaded"] == ["dags/marketing_report.py"]
    assert last_update_at("campaigns") == crashed_update
    env = environment("campaigns")
    assert env["StartupScriptS3ObjectVersion"] == latest_version(BUCKET, "startup.sh")
    assert b"@daily" in body(BUCKET, "dags/marketing_report.py")

    # --no-wait returns once MWAA took the update; the DAG change waits for the next deploy
    startup.write_text(startup.read_text().replace("MARKETING_ENV=twin2", "MARKETING_ENV=twin3"))
    dag.write_text(dag.read_text().replace('"@daily"', '"@hourly"'))
    run = deploy(str(project), "--environment", "campaigns", "--no-wait", "--format", "json")
    assert run.code == 0, run.text
    report = run.json()
    assert report["result"] == "environment update started"
    assert report["uploaded"] == ["startup.sh"]
    assert report["deferred_dags"] == ["dags/marketing_report.py"]
    assert b"@daily" in body(BUCKET, "dags/marketing_report.py")
    report = _deploy_json(project, "campaigns")
    assert report["environment_update"]["sent"] is None
    assert report["uploaded"] == ["dags/marketing_report.py"]

    # 3. in the middle of the DAG uploads: two new DAG files, the second upload crashes
    for name in ("a_first.py", "b_second.py"):
        (project / "dags" / name).write_text(dag.read_text().replace("marketing_report", name[:-3]))
    with monkeypatch.context() as patch:
        _crash(patch, "put", after=1)
        with pytest.raises(Crash):
            deploy(str(project), "--environment", "campaigns")
    assert "dags/a_first.py" in keys(BUCKET, "dags/")
    assert "dags/b_second.py" not in keys(BUCKET, "dags/")
    report = _deploy_json(project, "campaigns")
    assert report["uploaded"] == ["dags/b_second.py"]
    assert dag_ids("campaigns") == ["a_first", "b_second", "marketing_report"]

    # and then there is nothing left to do
    stored, updated = versions(BUCKET), last_update_at("campaigns")
    assert _deploy_json(project, "campaigns")["result"] == "nothing to do"
    assert versions(BUCKET) == stored and last_update_at("campaigns") == updated


def test_an_uninstallable_requirement_is_reported_and_the_previous_version_kept(
    twin_aws: object, tmp_path: Path
) -> None:
    project = copy_project("plain", tmp_path)
    new_environment("orders", BUCKET)
    assert deploy(str(project), "--environment", "orders").code == 0
    good = environment("orders")["RequirementsS3ObjectVersion"]

    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text() + "taxiway-no-such-package==1.0\n")
    hourly = project / "dags" / "orders_hourly.py"
    hourly.write_text(hourly.read_text().replace('"@hourly"', '"@daily"'))
    run = deploy(str(project), "--environment", "orders")
    assert run.code == 1, run.text
    (line,) = [x for x in run.err.splitlines() if x.startswith("error:")]
    assert "`orders` failed and was rolled back" in line, line
    assert "taxiway-no-such-package" in line and "1 change(s) left" in line, line
    env = wait_settled("orders")
    assert env["Status"] == "AVAILABLE" and env["LastUpdate"]["Status"] == "FAILED"
    assert "taxiway-no-such-package" in env["LastUpdate"]["Error"]["ErrorMessage"]
    assert env["RequirementsS3ObjectVersion"] == good  # rolled back
    # the DAGs were left as they were: they could need what failed to install
    assert b'"@hourly"' in body(BUCKET, "dags/orders_hourly.py")

    # the next deploy's plan says what happened, and would try the update again
    run = deploy(str(project), "--environment", "orders", "--dry-run", "--format", "json")
    assert run.code == 0, run.text
    report = run.json()
    assert any(
        "last update failed" in n and "taxiway-no-such-package" in n for n in report["notes"]
    )
    (why,) = report["environment_update"]["parts"].values()
    assert f"runs version {good} of `requirements.txt`, not the current" in why
