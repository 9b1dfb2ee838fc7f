"""The sink into moto's S3 (an AWS environment), and the Kafka path through `taxiway run`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from ingest_helpers import T10, Obj, assert_exactly_once, numbered, parse_obj, produce, taxiway

from taxiway.errors import DataError
from taxiway.ingest.store import S3LandingStore

BUCKET = "taxiway-sandbox-landing-123456789012"  # naming.bucket with moto's account id


def _config(tmp_path: Path, topic: str = "events") -> Path:
    cfg = tmp_path / "taxiway.yaml"
    cfg.write_text(
        f"""project: taxiway
pipeline:
  topic: {topic}
environments:
  local:
    target: local
    data_dir: ./data
  sandbox:
    target: aws
    region: eu-west-1
    mwaa_version: "3.3.1"
    emr_release: emr-7.12.0
"""
    )
    return cfg


def _s3_objects(client: object, topic: str) -> list[Obj]:
    keys = [
        o["Key"]
        for o in client.list_objects_v2(Bucket=BUCKET, Prefix=f"topics/{topic}/").get(  # type: ignore[attr-defined]
            "Contents", []
        )
    ]
    objs = [
        parse_obj(k, client.get_object(Bucket=BUCKET, Key=k)["Body"].read())  # type: ignore[attr-defined]
        for k in keys
    ]
    return sorted(objs, key=lambda o: (o.partition, o.start))


def test_aws_environment_writes_the_landing_bucket(
    tmp_path: Path, broker: str, topic: str, moto_s3: str
) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="eu-west-1")
    # moto servers in one process share their backends: another test (the AWS twin) may have
    # made this environment's landing bucket already; start from an empty one
    if BUCKET in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET):
            for obj in page.get("Versions", []) + page.get("DeleteMarkers", []):
                s3.delete_object(Bucket=BUCKET, Key=obj["Key"], VersionId=obj["VersionId"])
        s3.delete_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    counts = {0: 50, 1: 40, 2: 30}
    records = []
    for p, n in counts.items():
        records += numbered(p, n, lambda i: T10 + 3_590_000 + i * 1_000)  # 10:59:50 onwards
    produce(broker, topic, records)
    cfg = _config(tmp_path)
    args = ("ingest", "kafka", "--env", "sandbox", "--config", str(cfg), "--bootstrap", broker)
    args += ("--topic", topic, "--flush-size", "20", "--stop-at-end", "--format", "json")

    first = taxiway(*args)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["landing"] == f"s3://{BUCKET}" and summary["records"] == 120
    objs = _s3_objects(s3, topic)
    assert_exactly_once(objs, counts)
    assert {o.hour for o in objs} == {"2026-11-23T10", "2026-11-23T11"}

    # more records later: a restart resumes from the bucket's objects
    produce(broker, topic, numbered(0, 15, lambda i: T10 + 3_700_000 + i, first=50))
    second = taxiway(*args)
    assert second.returncode == 0, second.stderr
    resumed = json.loads(second.stdout)["partitions"]
    assert {p: v["resumed_from"] for p, v in resumed.items()} == {"0": 50, "1": 40, "2": 30}
    assert_exactly_once(_s3_objects(s3, topic), {**counts, 0: 65})

    # two sinks on one topic cannot overwrite each other's objects
    key = f"topics/{topic}/year=2026/month=11/day=23/hour=10/{topic}+0+0000000000.json.gz"
    with pytest.raises(DataError, match="another sink"):
        S3LandingStore(BUCKET, client=s3).put(key, b"")


def test_generated_events_through_kafka_curate_to_the_ground_truth(
    tmp_path: Path, broker: str
) -> None:
    topic = f"ev-{uuid.uuid4().hex[:8]}"
    cfg = _config(tmp_path, topic)
    data = tmp_path / "data"
    common = ("--config", str(cfg), "--data-dir", str(data))
    gen = taxiway(
        "generate",
        "--to-kafka",
        broker,
        "--start",
        "2026-11-23T10",
        "--hours",
        "2",
        "--events-per-hour",
        "1500",
        "--malformed-rate",
        "0.02",
        *common,
    )
    assert gen.returncode == 0, gen.stderr
    assert not (data / "landing").exists(), "--to-kafka writes no landing file itself"
    truth = json.loads((data / "ground_truth.json").read_text())

    ingest = taxiway(
        "ingest", "kafka", "--bootstrap", broker, "--stop-at-end", "--format", "json", *common
    )
    assert ingest.returncode == 0, ingest.stderr
    landed = json.loads(ingest.stdout)
    assert landed["records"] == truth["input_records"]
    assert landed["invalid_json"] == truth["quarantined"]["malformed-json"] > 0
    assert sum(p["lag"] for p in landed["partitions"].values()) == 0

    run = taxiway(
        "run", "--from", "2026-11-23T10", "--to", "2026-11-23T11", "--format", "json", *common
    )
    assert run.returncode == 0, run.stderr
    totals = json.loads(run.stdout)["totals"]
    assert totals["input_records"] == truth["input_records"]
    assert totals["curated_new"] == truth["curated"]
    assert totals["duplicates"] == truth["duplicates"]
    assert totals["quarantined"] == sum(truth["quarantined"].values())


def test_demo_kafka_matches_the_ground_truth(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stale = data / "landing" / "topics" / "events" / "year=2020" / "events+0+0000999999.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}\n")  # an earlier run's object: the new broker's offsets start at 0
    cfg = _config(tmp_path)
    demo = taxiway(
        "demo", "--kafka", "--hours", "2", "--events-per-hour", "1000", "--config", str(cfg),
        "--data-dir", str(data),
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert "pipeline matches" in demo.stderr and "the sink landed" in demo.stderr
    assert not stale.exists()
    landed = sorted((data / "landing").rglob("*.json.gz"))
    assert landed and all(p.name.startswith("events+") for p in landed)
