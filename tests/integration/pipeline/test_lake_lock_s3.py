"""S3Lock against moto's S3 server: one holder, expiry takeover by ETag, safe release."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from taxiway.lake.lock import LockBusyError, LockLostError, S3Lock

BUCKET = "taxiway-dev-curated-123456789012"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    s3 = _client(url)
    s3.create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def _client(url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _lock(url: str, key: str, run_id: str, ttl: float = 900.0, heartbeat: bool = True) -> S3Lock:
    return S3Lock(
        BUCKET,
        key,
        run_id=run_id,
        owner=f"test:{run_id}",
        ttl=ttl,
        client=_client(url),
        heartbeat=heartbeat,
    )


def _body(url: str, key: str) -> dict[str, Any]:
    obj = _client(url).get_object(Bucket=BUCKET, Key=key)
    data: dict[str, Any] = json.loads(obj["Body"].read())
    return data


def _exists(url: str, key: str) -> bool:
    return bool(_client(url).list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount"))


def test_one_holder_at_a_time_and_release_frees_it(s3_endpoint: str) -> None:
    key = "locks/basic.lock"
    a, b = _lock(s3_endpoint, key, "run-a"), _lock(s3_endpoint, key, "run-b")
    a.acquire(wait=False)
    body = _body(s3_endpoint, key)
    assert body["run_id"] == "run-a" and body["owner"] == "test:run-a"
    assert 899 < body["expires_at"] - body["acquired_at"] <= 900
    with pytest.raises(LockBusyError) as info:
        b.acquire(wait=False)
    assert info.value.holder["run_id"] == "run-a"
    assert f"s3://{BUCKET}/{key}" in str(info.value)
    a.release()
    assert not _exists(s3_endpoint, key)
    b.acquire(wait=False)
    assert _body(s3_endpoint, key)["run_id"] == "run-b"
    b.release()


def test_a_crashed_holders_lock_expires_and_is_taken_over_safely(s3_endpoint: str) -> None:
    key = "locks/expiry.lock"
    # dead: no beats. The ttl outlasts the pause a saturated machine may put between the two
    # acquires (0.6 s did not: the next holder found the lock already expired, never waited)
    crashed = _lock(s3_endpoint, key, "crashed", ttl=3.0, heartbeat=False)
    start = time.monotonic()  # before the lock is taken: its expiry is at least ttl later
    crashed.acquire(wait=False)  # ...and never releases: the process died
    its_etag = crashed.etag
    nxt = _lock(s3_endpoint, key, "next")
    told: list[dict[str, Any]] = []
    nxt.acquire(timeout=10, poll=0.1, on_wait=told.append)
    # not before the ttl ran out, however slow the machine was between the two acquires
    assert time.monotonic() - start >= 3.0, "it waited for the expiry"
    assert [h["run_id"] for h in told] == ["crashed"]
    assert _body(s3_endpoint, key)["run_id"] == "next"
    # the old holder comes back to life: it must neither renew nor delete the new lock
    with pytest.raises(LockLostError, match="taken over"):
        crashed.refresh()
    crashed.etag = its_etag  # still believes it holds the lock
    crashed.release()  # a conditional delete on its own ETag: refused, silently
    assert _body(s3_endpoint, key)["run_id"] == "next"
    nxt.release()
    assert not _exists(s3_endpoint, key)


def test_refresh_pushes_the_expiry(s3_endpoint: str) -> None:
    key = "locks/refresh.lock"
    lock = _lock(s3_endpoint, key, "long-run", ttl=5, heartbeat=False)
    lock.acquire(wait=False)
    before = _body(s3_endpoint, key)["expires_at"]
    time.sleep(0.05)
    lock.refresh()
    assert _body(s3_endpoint, key)["expires_at"] > before
    lock.release()


def test_a_live_holder_is_kept_alive_by_its_heartbeat(s3_endpoint: str) -> None:
    key = "locks/heartbeat.lock"
    live = _lock(s3_endpoint, key, "live", ttl=0.6)
    live.acquire(wait=False)
    with pytest.raises(LockBusyError):  # 2.5 ttl later it still holds the lake
        _lock(s3_endpoint, key, "waiter").acquire(timeout=1.5, poll=0.1)
    live.check()
    live.release()
    assert not _exists(s3_endpoint, key)


def test_check_reports_a_lock_taken_over_behind_the_holders_back(s3_endpoint: str) -> None:
    key = "locks/stolen.lock"
    holder = _lock(s3_endpoint, key, "holder", ttl=0.3)
    holder.acquire(wait=False)
    _client(s3_endpoint).put_object(Bucket=BUCKET, Key=key, Body=b'{"run_id": "thief"}')
    time.sleep(0.5)  # the next heartbeat's conditional renew fails
    with pytest.raises(LockLostError, match="taken over"):
        holder.check()
    holder.release()
    assert _body(s3_endpoint, key)["run_id"] == "thief", "release leaves the new lock alone"


@pytest.mark.parametrize("over_expired", [False, True], ids=["fresh", "over-expired-lock"])
def test_racing_runs_get_exactly_one_winner(s3_endpoint: str, over_expired: bool) -> None:
    for trial in range(3):
        key = f"locks/race-{over_expired}-{trial}.lock"
        if over_expired:  # every racer sees the same expired lock and tries to take it over
            _lock(s3_endpoint, key, "crashed", ttl=0.01, heartbeat=False).acquire(wait=False)
            time.sleep(0.05)
        locks = [_lock(s3_endpoint, key, f"run-{i}") for i in range(6)]
        barrier = threading.Barrier(len(locks))
        won: list[str] = []

        def attempt(lock: S3Lock, barrier: threading.Barrier, won: list[str]) -> None:
            barrier.wait()
            if lock.try_acquire():
                won.append(lock.run_id)

        threads = [threading.Thread(target=attempt, args=(lk, barrier, won)) for lk in locks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(won) == 1, f"trial {trial}: winners {won}"
        assert _body(s3_endpoint, key)["run_id"] == won[0]


def test_default_client_honours_aws_endpoint_url(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with S3Lock(BUCKET, "locks/env.lock", run_id="env"):
        assert _body(s3_endpoint, "locks/env.lock")["run_id"] == "env"
    assert not _exists(s3_endpoint, "locks/env.lock")
