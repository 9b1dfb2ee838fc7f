"""The EMR job with only what EMR gives it, against the twin's S3 API.

1. The job's zip on EMR 7's Python (3.9, ``-S``: no site-packages, so no boto3): the lake
   lock's conditional writes (one holder, a second refused, an expired lock taken over by
   ETag and the loser told) go to the twin's S3 through the zip's own stdlib client, and
   the journal and manifest code rolls a publish forward.
2. One real curate step through the twin's EMR step runner: the lock object is created and
   deleted on the twin's S3 (versions prove it), Spark and the job's Hadoop store see
   ``s3://`` URIs served from a local mirror, and the manifest reaches S3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import ACCOUNT, REGION, REPO, bucket, client, create_buckets, keys

from taxiway.jobs.bundle import build_bundle

LOCKS = r"""
import json, sys, time
from taxiway.lake import contract
from taxiway.lake.lock import LockBusyError, LockLostError, S3Lock, lock_for
out = {}
try:
    import boto3  # noqa: F401
    out["boto3"] = True
except ImportError:
    out["boto3"] = False
root = sys.argv[1]
first = lock_for(root, run_id="run-a")
first.acquire(wait=False)
out["holder"] = S3Lock(first.bucket, first.key, region="eu-west-1").holder().get("run_id")
try:
    lock_for(root, run_id="run-b").acquire(wait=False)
    out["second"] = "taken"
except LockBusyError as exc:
    out["second"] = str(exc)
first.release()
out["after_release"] = S3Lock(first.bucket, first.key).holder()
stale = S3Lock(first.bucket, "stale/.lake.lock", run_id="crashed", ttl=0.5, heartbeat=False)
stale.acquire(wait=False)
time.sleep(0.7)
heir = S3Lock(first.bucket, "stale/.lake.lock", run_id="heir", heartbeat=False)
heir.acquire(wait=False)
try:
    stale.refresh()
    out["lost"] = "not told"
except LockLostError as exc:
    out["lost"] = str(exc)
stale.release()  # a taken-over lock is left alone
out["stale_holder"] = heir.holder().get("run_id")
heir.release()
# the journal and manifests: a committed publish rolled forward on a folder store
store = contract.LocalStore(sys.argv[2])
store.write_text("stage/a.parquet", "rows")
hours = {"2026-11-23T05": {"input_records": 3, "curated_new": 2, "duplicates": 1,
                           "quarantined": 0}}
manifest = contract.run_manifest("run-a", "spark", contract.parse_hour("2026-11-23T05"), hours,
                                 {"2026-11-23": 2}, ["curated/events/x.parquet"], [])
ops = [contract.replace_op("stage/a.parquet", "curated/events/x.parquet")]
store.write_text(contract.journal_file("run-a"), json.dumps(contract.journal_doc("run-a", ops, manifest)))
out["recovered"] = contract.recover(store)
out["manifest"] = json.loads(store.read_text(contract.run_manifest_file("run-a")))["totals"]
print(json.dumps(out))
"""


def _python39() -> str:
    from taxiway.runner.interpreters import find

    interp, exact = find("3.9")
    if not exact:
        pytest.fail("EMR 7 runs Python 3.9: install one (e.g. `pyenv install 3.9.18`).")
    return str(interp.path)


def test_the_jobs_lock_and_journal_run_on_python_39_without_boto3(aws: str, tmp_path: Path) -> None:
    create_buckets(("curated",))
    _main, archive = build_bundle(tmp_path / "bundle")
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(archive),
        "AWS_ENDPOINT_URL": aws,
        "AWS_ACCESS_KEY_ID": "node",
        "AWS_SECRET_ACCESS_KEY": "node",
        "AWS_REGION": REGION,  # what the EMR step passes the driver
    }
    proc = subprocess.run(
        [_python39(), "-S", "-c", LOCKS, f"s3://{bucket('curated')}", str(tmp_path / "lake")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    assert got["boto3"] is False, "EMR's Python is not assumed to have boto3"
    assert got["holder"] == "run-a"
    assert "is held by run `run-a`" in got["second"]
    assert got["after_release"] == {}
    assert "taken over by another run" in got["lost"]
    assert got["stale_holder"] == "heir", "the loser's release left the heir's lock alone"
    assert got["recovered"] == ["run-a"]
    assert got["manifest"] == {
        "input_records": 3,
        "curated_new": 2,
        "duplicates": 1,
        "quarantined": 0,
    }
    # every lock object is gone from the twin's S3, and each was written there
    s3 = client("s3")
    versions = s3.list_object_versions(Bucket=bucket("curated"))
    written = sorted(v["Key"] for v in versions.get("Versions", []))
    assert written.count(".lake.lock") == 1 and written.count("stale/.lake.lock") == 2
    assert keys(bucket("curated")) == []
    # without a region the lock refuses instead of guessing one
    no_region = {k: v for k, v in env.items() if k != "AWS_REGION"}
    proc = subprocess.run(
        [_python39(), "-S", "-c", LOCKS, f"s3://{bucket('curated')}", str(tmp_path / "l2")],
        capture_output=True,
        text=True,
        env=no_region,
        timeout=60,
    )
    assert proc.returncode == 1 and "No AWS region for the lake lock" in proc.stderr


#: the EMR instance role's statements for EMR's node software, not the job (why each)
EMR_NODE = {
    "EncryptLocalDisks": "local disk and EBS encryption of the security configuration",
    "ReadTlsCertificates": "the in-transit TLS certificates of the security configuration",
    "WriteClusterLogs": "EMR pushes the nodes' logs to LogUri",
    "ReadEmrRepositories": "EMR installs its software from its regional repositories",
    "DescribeOwnCluster": "EMR's node software reads its own cluster",
}


def _instance_role_needs(s3: Any, args: list[str], before: set[str]) -> list[Any]:
    """What the step did with the instance role's credentials, from what it left on S3 and
    the Hadoop store's publish (a move on S3 is a read, a write and a delete)."""
    import iam_check as iam

    zip_uri = args[args.index("--py-files") + 1]
    script = next(a for a in args if a.endswith("/curate_spark.py"))
    landing = args[args.index("--landing-root") + 1][5:]
    curated = args[args.index("--root") + 1][5:]
    out = []
    for uri in (zip_uri, script):  # the job's zip and entry script: EMR downloads them
        b, _, k = uri[5:].partition("/")
        out += iam._s3("s3:GetObject", b, k, "spark-submit")
    out += iam._s3("s3:ListBucket", landing, None, "the hour's files")
    for key in keys(landing):
        out += iam._s3("s3:GetObject", landing, key, "Spark reads the hour")
    versions = s3.list_object_versions(Bucket=curated)
    for v in versions.get("Versions", []):
        if v["VersionId"] not in before:
            out += iam._s3("s3:PutObject", curated, v["Key"], "the job wrote it")
    for m in versions.get("DeleteMarkers", []):
        out += iam._s3("s3:DeleteObject", curated, m["Key"], "the job deleted it")
    staged = f".spark-tmp/{args[-1]}/events/part-00000.parquet"
    out += iam._s3("s3:ListBucket", curated, None, "the Hadoop store lists partitions")
    out += iam._s3("s3:GetObject", curated, staged, "a publish move copies the staged file")
    for action in ("s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"):
        out += iam._s3(action, curated, staged, "EMRFS uploads large files in parts")
    return out


def test_a_curate_step_on_the_twin_locks_through_its_s3(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terraform_hcl: Any
) -> None:
    sys.path.insert(0, str(REPO / "dags"))
    from taxiway_dags import aws_tasks, settings

    from taxiway.events.generator import GeneratorOptions, generate
    from taxiway.twin.emr import EmrStepEmulator

    monkeypatch.setenv("TAXIWAY_ACCOUNT_ID", ACCOUNT)
    create_buckets(("landing", "curated", "artifacts"))
    s3 = client("s3")
    for path in build_bundle(tmp_path / "jobs"):
        s3.upload_file(str(path), bucket("artifacts"), f"jobs/{path.name}")
    data = tmp_path / "data"
    hour = datetime(2026, 11, 23, 5, tzinfo=UTC)
    truth = generate(data, GeneratorOptions(start=hour, hours=1, events_per_hour=60, seed=3))
    for f in sorted((data / "landing").rglob("*.json*")):
        s3.upload_file(str(f), bucket("landing"), f.relative_to(data / "landing").as_posix())
    env = settings.current("sandbox")
    args = aws_tasks.curate_args(env, "2026-11-23T05", "20261123T05-scheduled")
    before = {
        v["VersionId"]
        for v in s3.list_object_versions(Bucket=bucket("curated")).get("Versions", [])
    }
    code, log = EmrStepEmulator(REGION, tmp_path / "emr").run(args)
    assert code == 0, log[-4000:]
    curated = bucket("curated")
    versions: dict[str, Any] = s3.list_object_versions(Bucket=curated, Prefix=".lake.lock")
    # the S3 lock: one conditional write of its JSON body, then its delete (a marker)
    assert len(versions.get("Versions", [])) == 1 and len(versions.get("DeleteMarkers", [])) == 1
    body = s3.get_object(
        Bucket=curated, Key=".lake.lock", VersionId=versions["Versions"][0]["VersionId"]
    )["Body"].read()
    assert json.loads(body)["run_id"] == "20261123T05-scheduled" and "expires_at" in json.loads(
        body
    )
    listed = keys(curated)
    assert ".lake.lock" not in listed
    assert not [k for k in listed if k.endswith(".crc") or "/." in k or ".spark-tmp" in k]
    manifest = json.loads(
        s3.get_object(Bucket=curated, Key="manifests/runs/20261123T05-scheduled.json")[
            "Body"
        ].read()
    )
    assert manifest["totals"]["input_records"] == truth.input_records
    assert manifest["totals"]["curated_new"] == truth.curated
    assert [k for k in listed if k.startswith("manifests/journal/")] == []
    # the EMR instance role's policy is what the step did: no more, no less
    import iam_check as iam

    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    policy = iam.statements(terraform_hcl, "modules/emr", "instance", iam.values(key))
    missing, over = iam.compare(_instance_role_needs(s3, args, before), policy, key, EMR_NODE)
    assert missing == [], "missing grants:\n" + "\n".join(missing)
    assert over == [], "granted but never called:\n" + "\n".join(over)
