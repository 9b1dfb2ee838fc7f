"""What the twin's emulators share: boto3 clients on the twin itself and S3 copies."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

#: the twin's own endpoint, set when it starts: its emulators call the twin, never AWS
ENDPOINT: str | None = None


def client(service: str, region: str) -> Any:
    """A boto3 client on the twin (moto accepts any credentials)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=ENDPOINT,
        aws_access_key_id="twin",
        aws_secret_access_key="twin",
        config=Config(inject_host_prefix=False),
    )


def split_s3(uri: str) -> tuple[str, str]:
    rest = uri[len("s3://") :]
    bucket, _, key = rest.partition("/")
    return bucket, key


def download_prefix(s3: Any, bucket: str, prefix: str, dest: Path) -> list[Path]:
    """Every object under ``prefix`` into ``dest`` (keys kept relative to the prefix)."""
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith("/"):  # a folder marker (the console's "Create folder")
                continue
            target = dest / obj["Key"][len(prefix) :].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
            out.append(target)
    return sorted(out)


def snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }
