"""The collector's own decisions, on fake clients: what is read when, and what a failure means."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from taxiway.errors import UsageError
from taxiway.preflight.collect import Reader
from taxiway.preflight.collect_environment import get_environment, read_account_block
from taxiway.preflight.snapshot import Bucket

FULL = dict.fromkeys(
    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
)


class S3Control:
    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer, self.calls = answer, 0

    def get_public_access_block(self, AccountId: str) -> dict[str, Any]:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def testread_account_block_is_read_only_when_the_bucket_block_is_incomplete() -> None:
    control = S3Control({"PublicAccessBlockConfiguration": FULL})
    r = Reader(lambda service: control)
    assert (
        read_account_block(r, "123456789012", Bucket("source", "b", True, "Enabled", FULL)) is None
    )
    assert control.calls == 0
    partial = Bucket("source", "b", True, "Enabled", {"BlockPublicAcls": True})
    assert read_account_block(r, "123456789012", partial) == FULL and control.calls == 1


def test_unreachable_s3_control_is_a_note() -> None:
    control = S3Control(EndpointConnectionError(endpoint_url="http://123456789012.127.0.0.1"))
    r = Reader(lambda service: control)
    assert read_account_block(r, "123456789012", Bucket("source", "b", True)) is None
    assert r.notes == ["`s3control:get_public_access_block` failed (endpoint unreachable)"]


class Mwaa:
    class meta:  # boto3 clients have `meta.region_name`
        region_name = "eu-west-1"

    def __init__(self, code: str, names: list[str]) -> None:
        self.code, self.names = code, names

    def get_environment(self, Name: str) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": self.code, "Message": "x"}}, "GetEnvironment")

    def list_environments(self, **kwargs: str) -> dict[str, Any]:
        if "NextToken" not in kwargs:
            return {"Environments": self.names[:1], "NextToken": "t"}
        return {"Environments": self.names[1:]}


def test_missing_environment_names_every_page_of_those_found() -> None:
    with pytest.raises(UsageError) as caught:
        get_environment(Mwaa("ResourceNotFoundException", ["b-env", "a-env"]), "orders")
    assert "No MWAA environment `orders` in eu-west-1" in str(caught.value)
    assert "`a-env`, `b-env`" in str(caught.value)
    with pytest.raises(UsageError, match="nor any other; pass the region"):
        get_environment(Mwaa("ResourceNotFoundException", []), "orders")
    with pytest.raises(UsageError, match="airflow:GetEnvironment"):
        get_environment(Mwaa("AccessDeniedException", []), "orders")
