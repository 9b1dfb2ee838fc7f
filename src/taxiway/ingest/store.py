"""Where the sink's objects go, and how it finds where it left off.

Object keys are relative to the landing root and follow DESIGN.md's Kafka Connect layout
(the one rule lives in :class:`taxiway.lake.layout.Lake`)::

    topics/<topic>/year=YYYY/month=MM/day=DD/hour=HH/<topic>+<partition>+<startOffset:010d>.json.gz

The landing root is ``<data_dir>/landing`` locally and ``s3://<landing bucket>`` on AWS, so
the EMR curate step's ``--landing-root s3://<landing-bucket> --topics-dir topics`` reads
what this writes.

Exactly once without a database: every object holds a *contiguous* run of offsets of one
partition (the sink starts a new object at an hour change or an offset gap), and objects of
one partition are written in offset order. So the next offset of a partition is
``startOffset + lines`` of its object with the highest start offset, over *all* hours: a
crash between writing two objects (even of different hours) leaves a prefix of them, and
the restart begins right after that prefix. An object never appears partially under its
final name: locally it is written to a hidden temporary name and renamed with
``os.replace``; on S3 a single ``PutObject`` is atomic (with ``If-None-Match: *`` so two
sinks on one topic fail loudly instead of overwriting each other).
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from taxiway.errors import DataError, UsageError
from taxiway.lake.layout import Lake

TOPICS_DIR = "topics"
_TMP_MARK = ".tmp-"


def object_key(topic: str, hour: datetime, partition: int, start_offset: int) -> str:
    """The key of an object under the landing root (``topics/<topic>/year=.../...json.gz``)."""
    # Lake builds ``<root>/landing/topics/...``: with an empty root the part after
    # ``landing/`` is the key, so there is one copy of the layout rule.
    path = Lake(Path(""), topic).landing_file(hour, partition, start_offset)
    return path.relative_to("landing").as_posix()


def parse_object_name(topic: str, name: str) -> tuple[int, int] | None:
    """``events+2+0000001234.json.gz`` -> ``(2, 1234)``; None for any other name."""
    m = re.fullmatch(rf"{re.escape(topic)}\+(\d+)\+(\d{{10,}})\.json(?:\.gz)?", name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def count_lines(name: str, body: bytes) -> int:
    """Records in an object: one per line (the sink always ends the last line with ``\\n``)."""
    if name.endswith(".gz"):
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise DataError(
                f"Landing object `{name}` is not readable gzip ({exc}); the sink recovers its "
                "offsets from the last object of each partition: move the object away and "
                "restart the sink."
            ) from exc
    return body.count(b"\n")


class LandingStore(Protocol):
    """The I/O seam: put an object atomically, list keys, read one back."""

    def describe(self) -> str: ...

    def put(self, key: str, body: bytes) -> None: ...

    def keys(self, prefix: str) -> list[str]: ...

    def get(self, key: str) -> bytes: ...


class LocalLandingStore:
    """A folder (``<data_dir>/landing``); temp name + ``os.replace`` makes a write atomic."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def put(self, key: str, body: bytes) -> None:
        final = self.root / key
        final.parent.mkdir(parents=True, exist_ok=True)
        # a hidden name that curate's `*.json(.gz)` listing never picks up
        tmp = final.with_name(f".{final.name}{_TMP_MARK}{os.getpid()}")
        with open(tmp, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.is_dir():
            return []
        out = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                path = Path(dirpath) / name
                if name.startswith(".") and _TMP_MARK in name:
                    path.unlink(missing_ok=True)  # left by a killed sink: never a final name
                    continue
                out.append(path.relative_to(self.root).as_posix())
        return out

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()


class S3LandingStore:
    """An S3 bucket; boto3 honours ``AWS_ENDPOINT_URL`` (moto's server in tests)."""

    def __init__(self, bucket: str, client: Any = None, region: str | None = None) -> None:
        self.bucket = bucket
        self.client = client if client is not None else s3_client(region)

    def describe(self) -> str:
        return f"s3://{self.bucket}"

    def put(self, key: str, body: bytes) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*")
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "412"):
                raise DataError(
                    f"`s3://{self.bucket}/{key}` already exists: another sink is writing this "
                    "topic's partitions; run one sink per topic."
                ) from exc
            raise DataError(f"Could not write `s3://{self.bucket}/{key}`: {exc}") from exc

    def keys(self, prefix: str) -> list[str]:
        from botocore.exceptions import ClientError

        out: list[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                out.extend(obj["Key"] for obj in page.get("Contents", []))
        except ClientError as exc:
            raise DataError(
                f"Could not list `s3://{self.bucket}/{prefix}`: {exc}; check that the bucket "
                "exists (`terraform apply` creates it) and that your credentials can list it."
            ) from exc
        return out

    def get(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body


def s3_client(region: str | None = None) -> Any:
    """A boto3 S3 client (imported lazily: boto3 is the ``aws`` extra)."""
    try:
        import boto3
    except ImportError as exc:
        from taxiway.errors import MissingDependencyError

        raise MissingDependencyError("boto3", "aws") from exc
    return boto3.client("s3", region_name=region)


def landing_bucket(project: str, env: str, region: str | None) -> str:
    """The environment's landing bucket; the account id comes from STS."""
    try:
        import boto3
    except ImportError as exc:
        from taxiway.errors import MissingDependencyError

        raise MissingDependencyError("boto3", "aws") from exc
    from taxiway import naming

    try:
        account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    except Exception as exc:  # botocore's NoCredentialsError, ClientError, EndpointConnectionError
        raise UsageError(
            f"Could not find the AWS account of environment `{env}` with STS ({exc}); "
            "configure AWS credentials (e.g. `AWS_PROFILE`)."
        ) from exc
    return naming.bucket(project, env, "landing", str(account))


@dataclass(frozen=True)
class LastObject:
    """A partition's last written object and the offset after it."""

    key: str
    start_offset: int
    records: int

    @property
    def next_offset(self) -> int:
        return self.start_offset + self.records


def recover(store: LandingStore, topic: str) -> dict[int, LastObject]:
    """Per partition, the object with the highest start offset across all hours.

    Only that object is read (to count its lines): objects of one partition hold disjoint,
    contiguous offset ranges, so the one that starts last also ends last.
    """
    last: dict[int, tuple[int, str]] = {}
    for key in store.keys(f"{TOPICS_DIR}/{topic}/"):
        parsed = parse_object_name(topic, key.rsplit("/", 1)[-1])
        if parsed is None:
            continue
        partition, start = parsed
        if partition not in last or start > last[partition][0]:
            last[partition] = (start, key)
    out = {}
    for partition, (start, key) in last.items():
        out[partition] = LastObject(key, start, count_lines(key, store.get(key)))
    return out


def open_store(settings: Any, env: str, data_dir: str | None) -> LandingStore:
    """The landing store of environment ``env``: a folder locally, the S3 bucket on AWS."""
    from taxiway import config as cfg

    environment = settings.env(env)
    if environment.target == "aws":
        bucket = landing_bucket(settings.project, env, environment.region)
        return S3LandingStore(bucket, region=environment.region)
    return LocalLandingStore(Path(cfg.data_dir(settings, env, data_dir)) / "landing")
