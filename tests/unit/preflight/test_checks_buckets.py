"""Bucket checks over hand-built data: each setting maps to its own code."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from taxiway.preflight.checks_resources import check_bucket
from taxiway.preflight.snapshot import Bucket

NAME = "taxiway-sandbox-curated-123456789012"
PAB = {
    k: True
    for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
}


def tls(**stmt: Any) -> dict[str, Any]:
    base = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return {"Statement": [{**base, **stmt}]}


GOOD = Bucket("curated", NAME, True, "Enabled", PAB, "aws:kms", tls())


@pytest.mark.parametrize(
    ("bucket", "codes"),
    [
        (GOOD, []),
        (replace(GOOD, role="logs", encryption="AES256"), []),
        (replace(GOOD, encryption="AES256"), ["bucket-not-kms"]),
        (replace(GOOD, encryption=None), ["bucket-no-encryption"]),
        (replace(GOOD, versioning=None), ["bucket-versioning-disabled"]),
        (replace(GOOD, versioning="Suspended"), ["bucket-versioning-disabled"]),
        (
            replace(GOOD, public_access_block={**PAB, "RestrictPublicBuckets": False}),
            ["bucket-public-access"],
        ),
        (replace(GOOD, public_access_block=None), ["bucket-public-access"]),
        (replace(GOOD, policy=None), ["bucket-no-tls-policy"]),
        # A TLS statement that only covers objects, or only one principal, does not count.
        (replace(GOOD, policy=tls(Resource=f"arn:aws:s3:::{NAME}")), ["bucket-no-tls-policy"]),
        (
            replace(GOOD, policy=tls(Principal={"AWS": "arn:aws:iam::1:root"})),
            ["bucket-no-tls-policy"],
        ),
        (
            replace(GOOD, policy=tls(Condition={"Bool": {"aws:SecureTransport": "true"}})),
            ["bucket-no-tls-policy"],
        ),
        (Bucket("curated", NAME, exists=False), ["bucket-missing"]),
    ],
)
def test_bucket_checks(bucket: Bucket, codes: list[str]) -> None:
    assert [f.code for f in check_bucket(bucket)] == codes
