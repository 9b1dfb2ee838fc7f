"""Every AWS call of a deploy: S3 heads, listings, puts and deletes; MWAA get, list, update, wait.

Clients come from :func:`taxiway.awsclient.client_factory` (the toolkit's one recipe). Each
call runs inside :func:`calling`, which turns botocore's errors into one
:class:`DeployError` line naming the IAM action and the resource, so "access denied" says
what to grant, and "no credentials" says how to give some.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from taxiway.awsclient import ClientFactory
from taxiway.deploy.environment import Environment, LastUpdate, parse, update_finished
from taxiway.deploy.files import LocalFile
from taxiway.deploy.plan import HASH_KEY, RemoteObject
from taxiway.errors import TaxiwayError

#: progress callback of :meth:`Aws.wait`: (status, seconds elapsed)
OnStatus = Callable[[str, float], None]

_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden", "403"}
)
_BAD_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
    }
)
_MISSING = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})


class DeployError(TaxiwayError):
    """AWS refused a deploy's call or lacks what it needs; the message says what to do."""


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


@contextmanager
def calling(action: str, resource: str) -> Iterator[None]:
    """Translate botocore's errors of one call (IAM ``action`` on ``resource``) into one line."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise DeployError(
            f"No AWS credentials for `{action}`: {exc}; configure some (`aws configure`, "
            "`--profile NAME`, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)."
        ) from exc
    except ClientError as exc:
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message") or "").strip().rstrip(".")
        if code in _DENIED:
            raise DeployError(
                f"Access denied: `{action}` on `{resource}`; grant the credentials' identity "
                f"`{action}` on it (or pass the --profile that has it)."
            ) from exc
        if code in _BAD_CREDENTIALS:
            raise DeployError(
                f"AWS refused the credentials for `{action}` ({code}: {message}); renew them "
                "(`aws sso login`, new keys) or pass another --profile."
            ) from exc
        if "<html" in message.lower():  # not AWS: a proxy or an emulator without the service
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
            message = (
                f"HTTP {status} with an HTML page, not an AWS answer (does the endpoint, "
                "AWS_ENDPOINT_URL if set, offer this service?)"
            )
        raise DeployError(f"`{action}` on `{resource}` failed: {code}: {message or exc}.") from exc
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
        raise DeployError(
            f"Cannot reach AWS for `{action}` ({exc}); check the network, --region and "
            "AWS_ENDPOINT_URL."
        ) from exc
    except BotoCoreError as exc:
        raise DeployError(f"`{action}` on `{resource}` failed: {exc}.") from exc


def _strip(etag: Any) -> str | None:
    return str(etag).strip('"') if etag else None


def _version(value: Any) -> str | None:
    return str(value) if value and value != "null" else None


class Aws:
    """The deploy's AWS calls, on clients made by one factory."""

    def __init__(self, make: ClientFactory, region: str | None = None) -> None:
        self._make = make
        self._clients: dict[str, Any] = {}
        self.region = region

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._make(service)
            if self.region is None:
                self.region = str(self._clients[service].meta.region_name)
        return self._clients[service]

    @property
    def s3(self) -> Any:
        return self._client("s3")

    @property
    def mwaa(self) -> Any:
        return self._client("mwaa")

    def account_id(self) -> str:
        """The caller's account id (STS GetCallerIdentity)."""
        with calling("sts:GetCallerIdentity", "*"):
            return str(self._client("sts").get_caller_identity()["Account"])

    # -- MWAA ---------------------------------------------------------------------------

    def find_environment(self, name: str) -> Environment | None:
        """GetEnvironment, or None when there is no environment of that name."""
        with calling("airflow:GetEnvironment", f"environment/{name}"):
            try:
                data = self.mwaa.get_environment(Name=name)["Environment"]
            except self.mwaa.exceptions.ResourceNotFoundException:
                return None
        return parse(data, self.region)

    def environment_names(self) -> list[str]:
        """Every environment in the region (ListEnvironments)."""
        names: list[str] = []
        with calling("airflow:ListEnvironments", "*"):
            for page in self.mwaa.get_paginator("list_environments").paginate():
                names += [str(n) for n in page.get("Environments", [])]
        return sorted(names)

    def environment(self, name: str) -> Environment:
        """GetEnvironment; a missing one is an error naming those that exist in the region."""
        env = self.find_environment(name)
        if env is not None:
            return env
        names = self.environment_names()
        found = (
            "found: " + ", ".join(f"`{n}`" for n in names)
            if names
            else "it has none (check --region and --profile)"
        )
        raise DeployError(f"No MWAA environment `{name}` in {self.region}; {found}.")

    def update_environment(self, args: dict[str, str]) -> None:
        """UpdateEnvironment with ``args`` (the paths and object versions to install)."""
        name = args["Name"]
        with calling("airflow:UpdateEnvironment", f"environment/{name}"):
            try:
                self.mwaa.update_environment(**args)
            except self.mwaa.exceptions.ValidationException as exc:
                raise DeployError(
                    f"MWAA refused the update of `{name}`: {exc.response['Error'].get('Message')}"
                ) from exc

    def wait(
        self,
        name: str,
        before: LastUpdate,
        on_status: OnStatus,
        *,
        timeout: float,
        update_sent: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> Environment:
        """Poll GetEnvironment until the environment has settled; report each poll.

        ``update_sent=False`` waits out a change already under way (no LastUpdate to watch).
        Polls every 2 s at first and every 15 s after a few minutes: MWAA updates take
        20-40 minutes, the twin's seconds.
        """
        start = clock()
        seen_settling = not update_sent
        while True:
            env = self.environment(name)
            elapsed = clock() - start
            on_status(env.status, elapsed)
            seen_settling = seen_settling or env.settling
            if update_finished(env, before, seen_settling):
                return env
            if elapsed > timeout:
                raise DeployError(
                    f"MWAA environment `{name}` is still {env.status} after {elapsed / 60:.0f} "
                    "min; the update goes on in AWS: rerun `taxiway deploy` to keep waiting "
                    "(it uploads nothing twice)."
                )
            sleep(min(15.0, max(2.0, elapsed / 10)))

    # -- S3 -----------------------------------------------------------------------------

    def bucket_exists(self, bucket: str) -> bool:
        """HEAD the bucket: False when it is missing or not ours to see (403)."""
        from botocore.exceptions import ClientError

        with calling("s3:ListBucket", f"arn:aws:s3:::{bucket}"):
            try:
                self.s3.head_bucket(Bucket=bucket)
            except ClientError as exc:
                if error_code(exc) in _MISSING | _DENIED:
                    return False
                raise
        return True

    def check_bucket(self, bucket: str) -> None:
        """The source bucket exists and is versioned, or a DeployError saying how to fix it."""
        from botocore.exceptions import ClientError

        with calling("s3:ListBucket", f"arn:aws:s3:::{bucket}"):
            try:
                self.s3.head_bucket(Bucket=bucket)
            except ClientError as exc:
                if error_code(exc) not in _MISSING:
                    raise
                raise DeployError(
                    f"The environment's source bucket `{bucket}` does not exist; create it "
                    "(versioned) or point the environment at another one."
                ) from exc
        with calling("s3:GetBucketVersioning", f"arn:aws:s3:::{bucket}"):
            status = self.s3.get_bucket_versioning(Bucket=bucket).get("Status")
        if status != "Enabled":
            raise DeployError(
                f"Bucket `{bucket}` has versioning {'suspended' if status else 'off'}; MWAA "
                "installs requirements, plugins and startup scripts by object version: "
                f"`aws s3api put-bucket-versioning --bucket {bucket} "
                "--versioning-configuration Status=Enabled`, then deploy again. Nothing was "
                "uploaded."
            )

    def head(self, bucket: str, key: str) -> RemoteObject | None:
        """HEAD one object: its ETag, our hash metadata and its version; None when absent."""
        from botocore.exceptions import ClientError

        with calling("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"):
            try:
                head = self.s3.head_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if error_code(exc) in _MISSING:
                    return None
                raise
        meta = head.get("Metadata") or {}
        return RemoteObject(
            key,
            etag=_strip(head.get("ETag")),
            sha256=str(meta[HASH_KEY]) if meta.get(HASH_KEY) else None,
            version_id=_version(head.get("VersionId")),
        )

    def listing(self, bucket: str, prefix: str) -> dict[str, RemoteObject]:
        """Every object under ``prefix`` (ETags only)."""
        out: dict[str, RemoteObject] = {}
        with calling("s3:ListBucket", f"arn:aws:s3:::{bucket}/{prefix}*"):
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    key = str(obj["Key"])
                    out[key] = RemoteObject(key, etag=_strip(obj.get("ETag")))
        return out

    def put(self, bucket: str, key: str, local: LocalFile) -> str | None:
        """Upload ``local`` with its hash as metadata; return the new object version."""
        with calling("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}"):
            resp = self.s3.put_object(
                Bucket=bucket, Key=key, Body=local.body(), Metadata={HASH_KEY: local.sha256}
            )
        return _version(resp.get("VersionId"))

    def delete(self, bucket: str, key: str) -> None:
        with calling("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{key}"):
            self.s3.delete_object(Bucket=bucket, Key=key)
