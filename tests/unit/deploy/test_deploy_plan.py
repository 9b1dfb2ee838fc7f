"""The plan: which objects go up, which go away, and whether (and why) MWAA is updated."""

from __future__ import annotations

from datetime import UTC, datetime

from taxiway.deploy import plan as plans
from taxiway.deploy.environment import Environment, Target, parse, update_finished
from taxiway.deploy.files import LocalFile, ProjectFiles
from taxiway.deploy.plan import RemoteObject

REQ = LocalFile.of_bytes("requirements.txt", b"bidict==0.23.1\n")
STARTUP = LocalFile.of_bytes("startup.sh", b"#!/bin/sh\nexport A=1\n")
DAG = LocalFile.of_bytes("dags/a.py", b"# a DAG\n")
HELPER = LocalFile.of_bytes("dags/lib/h.py", b"x = 1\n")


def _files(**parts: LocalFile) -> ProjectFiles:
    return ProjectFiles(
        {
            "requirements": parts.get("requirements"),
            "plugins": None,
            "startup": parts.get("startup"),
        },
        {"a.py": DAG, "lib/h.py": HELPER},
    )


def _target(**versions: str) -> Target:
    return Target(
        "bucket",
        "dags",
        {"requirements": "requirements.txt", "plugins": None, "startup": "startup.sh"},
        {"requirements": versions.get("requirements"), "startup": versions.get("startup")},
    )


def _ours(key: str, local: LocalFile, version: str) -> RemoteObject:
    """An object a deploy wrote: its hash in the metadata (an SSE-KMS ETag, not an MD5)."""
    return RemoteObject(key, etag="kms-etag", sha256=local.sha256, version_id=version)


def _actions(plan: plans.Plan) -> dict[str, tuple[str, str]]:
    return {o.key: (o.action, o.reason) for o in plan.objects}


def test_first_deploy_uploads_everything_and_updates_for_each_new_part() -> None:
    plan = plans.build(_target(), _files(requirements=REQ, startup=STARTUP), {}, {})
    assert {k: a for k, (a, _) in _actions(plan).items()} == {
        "requirements.txt": "upload",
        "startup.sh": "upload",
        "dags/a.py": "upload",
        "dags/lib/h.py": "upload",
    }
    assert plan.update == {
        "requirements": "new `requirements.txt`",
        "startup": "new `startup.sh`",
    }


def test_unchanged_project_is_nothing_to_do() -> None:
    parts = {
        "requirements": _ours("requirements.txt", REQ, "r1"),
        "startup": _ours("startup.sh", STARTUP, "s1"),
    }
    dags = {
        "dags/a.py": RemoteObject("dags/a.py", etag=DAG.md5),  # the listing's ETag decides
        "dags/lib/h.py": _ours("dags/lib/h.py", HELPER, "h1"),  # the HEAD's hash decides
        "dags/": RemoteObject("dags/", etag="folder"),  # a folder marker is never stale
    }
    plan = plans.build(
        _target(requirements="r1", startup="s1"),
        _files(requirements=REQ, startup=STARTUP),
        parts,
        dags,
    )
    assert plan.nothing_to_do, plan.summary()
    assert _actions(plan)["dags/a.py"] == ("unchanged", "same MD5 (ETag)")
    assert _actions(plan)["dags/lib/h.py"] == ("unchanged", "same SHA-256")
    assert plan.summary() == "0 upload(s), 0 deletion(s), 4 unchanged"


def test_dag_only_change_needs_no_update_and_says_so() -> None:
    parts = {"requirements": _ours("requirements.txt", REQ, "r1")}
    dags = {
        "dags/a.py": _ours("dags/a.py", LocalFile.of_bytes("x", b"# older\n"), "a1"),
        "dags/lib/h.py": _ours("dags/lib/h.py", HELPER, "h1"),
        "dags/gone.py": RemoteObject("dags/gone.py", etag="e"),
        "requirements.txt": RemoteObject("requirements.txt"),  # never a stale DAG
    }
    plan = plans.build(_target(requirements="r1"), _files(requirements=REQ), parts, dags)
    assert plan.update == {}
    actions = _actions(plan)
    assert actions["dags/a.py"][0] == "upload" and actions["dags/a.py"][1].startswith("changed")
    assert actions["dags/gone.py"] == ("delete", "no longer in the project (MWAA would load it)")
    assert "requirements.txt" not in {o.key for o in plan.dags}
    assert plan.summary().endswith("DAG changes only: no environment update needed")


def test_changed_requirements_upload_and_update() -> None:
    old = LocalFile.of_bytes("r", b"bidict==0.22.0\n")
    parts = {"requirements": _ours("requirements.txt", old, "r1")}
    plan = plans.build(_target(requirements="r1"), _files(requirements=REQ), parts, {})
    assert _actions(plan)["requirements.txt"][0] == "upload"
    assert plan.update == {"requirements": "new `requirements.txt`"}
    args = plans.update_request("env", _target(requirements="r1"), plan, {"requirements": "r2"})
    assert args == {
        "Name": "env",
        "RequirementsS3Path": "requirements.txt",
        "RequirementsS3ObjectVersion": "r2",
    }


def test_an_upload_an_earlier_deploy_did_not_finish_is_installed_by_the_rerun() -> None:
    """S3 has the project's bytes, but the environment runs another version: update."""
    parts = {"requirements": _ours("requirements.txt", REQ, "r2")}
    plan = plans.build(_target(requirements="r1"), _files(requirements=REQ), parts, {})
    assert _actions(plan)["requirements.txt"][0] == "unchanged"
    assert (
        "runs version r1 of `requirements.txt`, not the current r2" in plan.update["requirements"]
    )


def test_a_part_the_environment_does_not_use_yet_is_set_and_pinned() -> None:
    target = Target("bucket", "dags", {}, {})
    parts = {"startup": _ours("startup.sh", STARTUP, "s1")}
    plan = plans.build(target, _files(startup=STARTUP), parts, {})
    assert plan.update == {"startup": "the environment does not use `startup.sh` yet"}
    unpinned = Target("bucket", "dags", {"startup": "startup.sh"}, {})
    plan = plans.build(unpinned, _files(startup=STARTUP), parts, {})
    assert "no pinned version" in plan.update["startup"]


def test_a_part_the_project_lacks_is_kept_and_listed() -> None:
    target = Target("bucket", "dags", {"plugins": "plugins.zip"}, {"plugins": "p1"})
    plan = plans.build(target, _files(), {}, {})
    (kept,) = plan.of("plugins")
    assert kept.action == "keep" and "the project has no plugins" in kept.reason
    assert plan.update == {}


def test_without_an_environment_only_uploads_are_planned() -> None:
    plan = plans.build(_target(), _files(requirements=REQ), {}, {}, environment=False)
    assert _actions(plan)["requirements.txt"][0] == "upload" and plan.update == {}


def test_needs_head_only_where_the_etag_cannot_decide() -> None:
    local = {"dags/a.py": DAG, "dags/lib/h.py": HELPER, "dags/new.py": DAG}
    listed = {
        "dags/a.py": RemoteObject("dags/a.py", etag=DAG.md5),
        "dags/lib/h.py": RemoteObject("dags/lib/h.py", etag="kms"),
    }
    assert plans.needs_head(local, listed) == ["dags/lib/h.py"]


def test_sync_without_delete_keeps_extra_objects() -> None:
    actions = plans.sync("artifact", {"jobs/a": DAG}, {"jobs/old": RemoteObject("jobs/old")})
    assert [(a.key, a.action) for a in actions] == [("jobs/a", "upload")]


def test_parse_get_environment() -> None:
    created = datetime(2026, 12, 1, tzinfo=UTC)
    env = parse(
        {
            "Name": "orders",
            "Status": "AVAILABLE",
            "AirflowVersion": "2.11.2",
            "SourceBucketArn": "arn:aws:s3:::orders-bucket",
            "DagS3Path": "dags/",
            "RequirementsS3Path": "/requirements/requirements.txt",
            "RequirementsS3ObjectVersion": "v1",
            "LastUpdate": {
                "Status": "FAILED",
                "CreatedAt": created,
                "Error": {"ErrorCode": "REQUIREMENTS_INSTALL_FAILED", "ErrorMessage": "no\n pkg"},
            },
        },
        "eu-west-1",
    )
    assert env.target.bucket == "orders-bucket" and env.target.dag_prefix == "dags"
    assert env.target.key("requirements") == "requirements/requirements.txt"
    assert env.target.key("plugins") == "plugins.zip"  # MWAA's usual name when unset
    assert env.target.versions == {"requirements": "v1", "plugins": None, "startup": None}
    assert env.target.dag_key("a.py") == "dags/a.py"
    assert env.last_update.failed
    assert env.last_update.error() == "REQUIREMENTS_INSTALL_FAILED: no pkg"
    assert env.updatable and not env.settling


def test_update_finished_needs_a_newer_update_or_a_seen_change() -> None:
    def env(status: str, at: datetime | None) -> Environment:
        data: dict[str, object] = {
            "Name": "e",
            "Status": status,
            "SourceBucketArn": "arn:aws:s3:::b",
        }
        if at:
            data["LastUpdate"] = {"Status": "SUCCESS", "CreatedAt": at}
        return parse(data)

    before = parse(
        {"Name": "e", "LastUpdate": {"CreatedAt": datetime(2026, 1, 1, tzinfo=UTC)}}
    ).last_update
    old, new = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    # right after UpdateEnvironment MWAA may still answer AVAILABLE with the old LastUpdate
    assert not update_finished(env("AVAILABLE", old), before, seen_settling=False)
    assert not update_finished(env("UPDATING", new), before, seen_settling=True)
    assert update_finished(env("AVAILABLE", new), before, seen_settling=False)
    assert update_finished(env("AVAILABLE", old), before, seen_settling=True)
