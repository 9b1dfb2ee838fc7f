"""Shared helpers of the AWS twin's tests (a unique module name: pytest imports test helpers
by basename, and every test folder has a conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taxiway import naming

ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"  # taxiway.yaml's region for every aws environment
REPO = Path(__file__).resolve().parents[3]


def client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=REGION)


def bucket(role: str, env: str = "sandbox") -> str:
    return naming.bucket("taxiway", env, role, ACCOUNT)


def create_buckets(roles: tuple[str, ...], env: str = "sandbox") -> None:
    """The environment's buckets as Terraform creates them (versioned)."""
    s3 = client("s3")
    for role in roles:
        name = bucket(role, env)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def keys(name: str) -> list[str]:
    s3 = client("s3")
    out: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        out.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(out)
