"""boto3 clients for the toolkit (deploy, preflight, twin users): one recipe, one place.

* ``AWS_ENDPOINT_URL`` (a proxy, ``taxiway twin``) serves every API at one host, so MWAA's
  ``api.`` host prefix is turned off when it is set: the prefixed host would not exist.
* ``--profile`` and ``--region`` mean what they mean to the AWS CLI; without them the
  standard chain decides (``AWS_PROFILE``, ``AWS_DEFAULT_REGION``, ``~/.aws/config``).
* No region at all is a usage error naming the flag, not botocore's ``NoRegionError``
  at the first call.

boto3 is imported inside :func:`client_factory`: the CLI starts without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from taxiway.errors import MissingDependencyError, UsageError

ClientFactory = Callable[[str], Any]


@lru_cache(maxsize=8)
def _session(region: str | None, profile: str | None) -> Any:
    # One session per (region, profile) per process: it caches the service models, which
    # makes the second and later clients ~10x cheaper to create.
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.session.Session(region_name=region, profile_name=profile)
    except ProfileNotFound as exc:
        raise UsageError(
            f"AWS profile `{profile}` is not in ~/.aws/config or ~/.aws/credentials; "
            "pass an existing --profile (`aws configure list-profiles` lists them)."
        ) from exc


def client_factory(
    region: str | None = None,
    *,
    profile: str | None = None,
    attempts: int = 3,
    read_timeout: float = 20,
) -> ClientFactory:
    """A function ``make(service) -> boto3 client`` with short timeouts and few retries.

    ``attempts`` counts the first try (standard retry mode: throttling and transient 5xx).
    Raises :class:`UsageError` when no region is given or configured.
    """
    try:
        import boto3  # noqa: F401  (the check that the aws extra is installed)
        from botocore.config import Config
    except ImportError as exc:
        raise MissingDependencyError("boto3", "aws") from exc
    session = _session(region, profile)
    if not session.region_name:
        raise UsageError(
            "No AWS region: pass --region, set AWS_DEFAULT_REGION, or give the profile a "
            "region (`aws configure set region eu-west-1`)."
        )
    custom = bool(os.environ.get("AWS_ENDPOINT_URL"))
    config = Config(
        connect_timeout=5,
        read_timeout=read_timeout,
        retries={"total_max_attempts": attempts, "mode": "standard"},
        inject_host_prefix=not custom,
    )

    def make(service: str) -> Any:
        return session.client(service, config=config)

    return make


def region_of(make: ClientFactory) -> str:
    """The region the factory's clients use (for messages and ARNs)."""
    return str(make("sts").meta.region_name)
