"""The lake lock's stdlib S3 client: SigV4 signatures byte-equal to botocore's, IMDSv2
credentials, S3's errors in boto3's shape, and Python 3.9 grammar for what the job ships."""

from __future__ import annotations

import ast
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from taxiway.lake import s3api

NOW = dt.datetime(2026, 12, 7, 10, 11, 12, tzinfo=dt.UTC)


def _botocore_authorization(
    method: str, url: str, headers: dict[str, str], body: bytes, creds: s3api.Credentials
) -> str:
    """What botocore's S3 SigV4 signer writes for the same request at the same instant."""
    from unittest import mock

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    auth = S3SigV4Auth(
        Credentials(creds.access_key, creds.secret_key, creds.token or None), "s3", "eu-west-1"
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        request.headers["X-Amz-Content-SHA256"] = s3api.hashlib.sha256(body).hexdigest()
        auth.add_auth(request)
    return str(request.headers["Authorization"])


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "token"),
    [
        (
            "PUT",
            "https://b.s3.eu-west-1.amazonaws.com/.lake.lock",
            {"If-None-Match": "*"},
            b"{}",
            "",
        ),
        (
            "PUT",
            "https://b.s3.eu-west-1.amazonaws.com/pre%20fix/a%2Bb%3D/.lake.lock",
            {"If-Match": '"0a1b"'},
            b'{"run_id": "r"}',
            "session-token/with+chars==",
        ),
        ("GET", "http://127.0.0.1:5000/bucket/k%C3%A9y/x~y", {}, b"", "t"),
        ("DELETE", "https://b.s3.eu-west-1.amazonaws.com/.lake.lock", {"If-Match": '"e"'}, b"", ""),
    ],
)
def test_signature_is_botocores(
    method: str, url: str, headers: dict[str, str], body: bytes, token: str
) -> None:
    creds = s3api.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    ours = s3api.sign(method, url, headers, body, "eu-west-1", creds, NOW)
    theirs = _botocore_authorization(method, url, headers, body, creds)
    # botocore signs the same headers (host, x-amz-*, if-*) the same way: one signature
    assert ours["Authorization"] == theirs
    assert ours["x-amz-date"] == "20261207T101112Z"
    assert ("x-amz-security-token" in ours) == bool(token)


def test_client_urls_and_explicit_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    aws = s3api.S3Client("eu-west-1")
    assert aws.url("b", "x y/.lake.lock") == "https://b.s3.eu-west-1.amazonaws.com/x%20y/.lake.lock"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert s3api.S3Client("eu-west-1").url("b", "k") == "http://127.0.0.1:9/b/k"
    with pytest.raises(ValueError, match="explicit region"):
        s3api.S3Client("")


class _Imds(BaseHTTPRequestHandler):
    token = "imds-token"
    calls: ClassVar[list[str]] = []

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self) -> None:
        self.calls.append(
            f"PUT {self.path} {self.headers.get('X-aws-ec2-metadata-token-ttl-seconds')}"
        )
        self._send(200, self.token.encode())

    def do_GET(self) -> None:
        self.calls.append(f"GET {self.path}")
        if self.headers.get("X-aws-ec2-metadata-token") != self.token:
            self._send(401, b"")  # IMDSv2 only, as Terraform's security configuration sets
        elif self.path.endswith("/security-credentials/"):
            self._send(200, b"taxiway-sandbox-emr-instance\n")
        else:
            doc = {
                "AccessKeyId": "ASIA",
                "SecretAccessKey": "secret",
                "Token": "tok",
                "Expiration": "2026-12-07T16:00:00Z",
            }
            self._send(200, json.dumps(doc).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def imds() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Imds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Imds.calls = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_instance_profile_credentials_through_imdsv2(
    imds: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds)
    creds = s3api.default_credentials()
    assert (creds.access_key, creds.secret_key, creds.token) == ("ASIA", "secret", "tok")
    assert creds.expires == dt.datetime(2026, 12, 7, 16, tzinfo=dt.UTC).timestamp()
    assert _Imds.calls == [
        "PUT /latest/api/token 21600",
        "GET /latest/meta-data/iam/security-credentials/",
        "GET /latest/meta-data/iam/security-credentials/taxiway-sandbox-emr-instance",
    ]
    # environment credentials win (the twin's, a developer's)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    assert s3api.default_credentials().access_key == "AKID"


def test_no_credentials_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")  # nothing there
    with pytest.raises(s3api.S3Error) as err:
        s3api.default_credentials()
    assert err.value.response["Error"]["Code"] == "NoCredentials"
    assert "instance profile" in str(err.value)


def test_job_zip_modules_parse_as_python_3_9() -> None:
    """EMR 7 runs Python 3.9: everything the job's zip holds uses its grammar."""
    import tempfile
    import zipfile

    from taxiway.jobs.bundle import build_bundle

    with tempfile.TemporaryDirectory() as tmp:
        main, archive = build_bundle(Path(tmp))
        with zipfile.ZipFile(archive) as zf:
            sources = {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".py")}
        sources["curate_spark.py"] = main.read_text(encoding="utf-8")
    assert "taxiway/lake/s3api.py" in sources and "taxiway/lake/lock.py" in sources
    for name, text in sources.items():
        ast.parse(text, filename=name, feature_version=(3, 9))
