"""The few S3 calls the lake lock makes, on the standard library alone (SigV4-signed HTTP).

Why not boto3: the lock runs in the EMR job's driver, on the node's Python (3.9 on EMR 7),
which has no boto3 that anything guarantees, let alone one recent enough for conditional
writes (``If-None-Match``/``If-Match`` on PutObject came in botocore 1.35). botocore cannot
ship in the job's ``--py-files`` zip (it reads its service models from files beside it), and
a bootstrap action that pip-installs it needs a package index at every cluster start. The
lock needs three calls, so the job ships them: this module, in ``taxiway_jobs.zip``.

``S3Client`` answers like boto3's client for those calls (``get_object``, ``put_object``,
``delete_object``: same keyword names, ``ETag`` and ``Body`` in the result, failures raise
:class:`S3Error` with ``.response["Error"]["Code"]``), so :class:`~taxiway.lake.lock.S3Lock`
takes either.

- **Region**: always explicit (``region=``), never guessed; the EMR step passes it as
  ``AWS_REGION`` (``spark.yarn.appMasterEnv.AWS_REGION``).
- **Endpoint**: ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` (the twin) with path-style
  addressing, else ``https://<bucket>.s3.<region>.amazonaws.com``.
- **Credentials**: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``,
  else the instance profile through IMDSv2 (what an EMR node has), refreshed before expiry.

Imports only the standard library and keeps to Python 3.9 syntax.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import io
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

IMDS = "http://169.254.169.254"
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
Headers = dict[str, str]
#: UTC, spelled so that it runs on Python 3.9 (no datetime.UTC there)
_UTC = _dt.timezone(_dt.timedelta(0))


class S3Error(Exception):
    """An S3 error response; ``response`` has boto3's shape (``Error.Code``, HTTP status)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.response = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }


class Credentials:
    def __init__(
        self, access_key: str, secret_key: str, token: str = "", expires: float | None = None
    ) -> None:
        self.access_key, self.secret_key, self.token, self.expires = (
            access_key,
            secret_key,
            token,
            expires,
        )


def env_credentials() -> Credentials | None:
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN", ""))
    return None


def imds_credentials(endpoint: str | None = None, timeout: float = 2.0) -> Credentials:
    """The instance profile's credentials through IMDSv2 (a session token first)."""
    base = (endpoint or os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") or IMDS).rstrip("/")
    token_req = urllib.request.Request(
        f"{base}/latest/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
    )
    with urllib.request.urlopen(token_req, timeout=timeout) as resp:
        token = resp.read().decode()
    headers = {"X-aws-ec2-metadata-token": token}
    path = f"{base}/latest/meta-data/iam/security-credentials/"
    with urllib.request.urlopen(
        urllib.request.Request(path, headers=headers), timeout=timeout
    ) as resp:
        role = resp.read().decode().strip().splitlines()[0]
    with urllib.request.urlopen(
        urllib.request.Request(path + role, headers=headers), timeout=timeout
    ) as resp:
        doc = json.loads(resp.read())
    expires = _dt.datetime.strptime(doc["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    return Credentials(
        doc["AccessKeyId"],
        doc["SecretAccessKey"],
        doc.get("Token", ""),
        expires.replace(tzinfo=_UTC).timestamp(),
    )


def default_credentials() -> Credentials:
    """Environment variables, else the instance profile (IMDSv2)."""
    found = env_credentials()
    if found is not None:
        return found
    try:
        return imds_credentials()
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise S3Error(
            0,
            "NoCredentials",
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run "
            f"on an instance with an instance profile (IMDSv2 said: {exc})",
        ) from exc


def _quote(text: str, safe: str = "") -> str:
    return "".join(
        c if c in _UNRESERVED or c in safe else "".join(f"%{b:02X}" for b in c.encode())
        for c in text
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(
    method: str,
    url: str,
    headers: Headers,
    body: bytes,
    region: str,
    creds: Credentials,
    now: _dt.datetime,
    service: str = "s3",
) -> Headers:
    """``headers`` plus SigV4's (``x-amz-date``, ``x-amz-content-sha256``, token,
    ``Authorization``), signing host, every ``x-amz-*`` header and the conditional ones."""
    parts = urllib.parse.urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    out = dict(headers)
    out["x-amz-date"] = amz_date
    out["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    if creds.token:
        out["x-amz-security-token"] = creds.token
    signed = {k.lower(): " ".join(str(v).split()) for k, v in out.items()}
    signed["host"] = parts.netloc
    names = sorted(
        k for k in signed if k == "host" or k.startswith("x-amz-") or k.startswith("if-")
    )
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    canonical = "\n".join(
        [
            method,
            _quote(urllib.parse.unquote(parts.path) or "/", safe="/"),
            "&".join(f"{_quote(k)}={_quote(v)}" for k, v in sorted(query)),
            "".join(f"{k}:{signed[k]}\n" for k in names),
            ";".join(names),
            out["x-amz-content-sha256"],
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + creds.secret_key).encode(), amz_date[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out


_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>")


class S3Client:
    """GetObject, PutObject (conditional), DeleteObject (conditional), signed with SigV4."""

    def __init__(
        self,
        region: str,
        endpoint: str | None = None,
        credentials: Callable[[], Credentials] | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not region:
            raise ValueError("S3Client needs an explicit region")
        self.region = region
        self.endpoint = (
            endpoint
            if endpoint is not None
            else os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        )
        self._provider = credentials or default_credentials
        self._creds: Credentials | None = None
        self.timeout = timeout

    def _credentials(self) -> Credentials:
        creds = self._creds
        if creds is None or (creds.expires is not None and creds.expires - time.time() < 300):
            creds = self._creds = self._provider()
        return creds

    def url(self, bucket: str, key: str) -> str:
        path = _quote(key, safe="/")
        if self.endpoint:  # a custom endpoint (the twin): path-style
            return f"{self.endpoint.rstrip('/')}/{bucket}/{path}"
        return f"https://{bucket}.s3.{self.region}.amazonaws.com/{path}"

    def _call(
        self, method: str, bucket: str, key: str, body: bytes = b"", headers: Headers | None = None
    ) -> tuple[int, Headers, bytes]:
        url = self.url(bucket, key)
        now = _dt.datetime.now(_UTC)
        signed = sign(method, url, headers or {}, body, self.region, self._credentials(), now)
        if method in ("PUT", "POST"):
            signed["Content-Length"] = str(len(body))
            # else urllib sends form-urlencoded, which servers parse instead of storing
            signed.setdefault("Content-Type", "application/octet-stream")
        request = urllib.request.Request(
            url, data=body if method in ("PUT", "POST") else None, method=method, headers=signed
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as err:
            data = err.read() or b""
            code = _XML_CODE.search(data)
            message = _XML_MESSAGE.search(data)
            raise S3Error(
                err.code,
                code.group(1).decode() if code else str(err.code),
                message.group(1).decode() if message else err.reason,
            ) from None

    # boto3's keyword names, so S3Lock takes this client or boto3's
    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        _status, headers, data = self._call("GET", Bucket, Key)
        return {"Body": io.BytesIO(data), "ETag": headers.get("etag", "")}

    def put_object(
        self,
        Bucket: str,
        Key: str,
        Body: bytes,
        IfNoneMatch: str | None = None,
        IfMatch: str | None = None,
    ) -> dict[str, Any]:
        headers: Headers = {}
        if IfNoneMatch is not None:
            headers["If-None-Match"] = IfNoneMatch
        if IfMatch is not None:
            headers["If-Match"] = IfMatch
        _status, out, _data = self._call("PUT", Bucket, Key, bytes(Body), headers)
        return {"ETag": out.get("etag", "")}

    def delete_object(
        self,
        Bucket: str,
        Key: str,
        IfMatch: str | None = None,
    ) -> dict[str, Any]:
        headers = {"If-Match": IfMatch} if IfMatch is not None else {}
        self._call("DELETE", Bucket, Key, b"", headers)
        return {}
