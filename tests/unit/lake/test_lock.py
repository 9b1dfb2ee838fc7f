"""FileLock: exclusive across processes, says who holds it, and dies with its holder."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from taxiway.lake.layout import Lake
from taxiway.lake.lock import FileLock, LockBusyError, S3Lock, describe, lock_for

HOLD = """
import os, signal, sys
from taxiway.lake.lock import FileLock
FileLock(sys.argv[1], run_id="crashed-run").acquire(wait=False)
print("held", flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # a crashed run: no release, no cleanup
"""


def test_second_holder_is_refused_and_told_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "lake" / ".lake.lock"
    first = FileLock(path, run_id="run-a", owner="alice@box:1")
    first.acquire(wait=False)
    second = FileLock(path, run_id="run-b")
    with pytest.raises(LockBusyError) as info:
        second.acquire(wait=False)
    assert info.value.holder["run_id"] == "run-a"
    assert "run `run-a` (alice@box:1" in str(info.value)
    first.release()
    second.acquire(wait=False)  # free again
    assert second.holder()["run_id"] == "run-b"
    second.release()
    assert second.holder() == {}, "a released lock names nobody"


def test_waiter_is_told_once_and_gets_the_lock_when_released(tmp_path: Path) -> None:
    path = tmp_path / ".lake.lock"
    first = FileLock(path, run_id="run-a")
    first.acquire()
    told: list[dict[str, object]] = []
    got = threading.Event()

    def second() -> None:
        lock = FileLock(path, run_id="run-b")
        lock.acquire(poll=0.02, on_wait=told.append)
        got.set()
        lock.release()

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.3)
    assert not got.is_set(), "the second run must wait while the first holds the lock"
    first.release()
    t.join(timeout=5)
    assert got.is_set()
    assert [h["run_id"] for h in told] == ["run-a"]


def test_timeout_raises_busy(tmp_path: Path) -> None:
    path = tmp_path / ".lake.lock"
    with FileLock(path, run_id="run-a"):
        start = time.monotonic()
        with pytest.raises(LockBusyError):
            FileLock(path).acquire(timeout=0.2, poll=0.05)
        assert time.monotonic() - start >= 0.2


def test_a_killed_holder_does_not_block_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / ".lake.lock"
    proc = subprocess.run(
        [sys.executable, "-c", HOLD, str(path)], capture_output=True, text=True, timeout=30
    )
    assert proc.stdout.strip() == "held"
    assert proc.returncode == -signal.SIGKILL
    assert FileLock(path).holder()["run_id"] == "crashed-run", "it was held, then its holder died"
    lock = FileLock(path, run_id="next")
    lock.acquire(wait=False)  # the kernel released the flock with the process
    lock.release()


def test_describe_tolerates_missing_fields() -> None:
    assert describe({}) == "another run"
    assert describe({"run_id": "r1", "owner": "o", "acquired_at": 0.0}) == (
        "run `r1` (o, since 00:00:00 UTC)"
    )


def test_lock_module_imports_nothing_from_taxiway_or_boto3() -> None:
    """The EMR job ships this file and its S3 client in its zip: stdlib only, never boto3,
    even when it takes an S3 lock (the client is made on first use)."""
    code = (
        "import sys; import taxiway.lake.lock as l; "
        "l.S3Lock('b', 'k', region='eu-west-1').client; "
        "bad = sorted(m for m in sys.modules if m.startswith(('boto3', 'botocore')) "
        "or (m.startswith('taxiway.') and m not in "
        "('taxiway.lake', 'taxiway.lake.lock', 'taxiway.lake.s3api'))); "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "[]"
    for module in ("taxiway.lake.lock", "taxiway.lake.s3api"):
        __import__(module)
        source = Path(sys.modules[module].__file__ or "").read_text()
        imports = re.findall(
            r"^[ \t]*(?:from (taxiway[.\w]*) import|import (taxiway\S*))", source, re.M
        )
        assert {a or b for a, b in imports} <= {"taxiway.lake.s3api"}, module


def test_an_s3_lock_never_guesses_its_region(monkeypatch: pytest.MonkeyPatch) -> None:
    from taxiway.lake.lock import LockRegionError

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LockRegionError, match=re.escape("spark.yarn.appMasterEnv.AWS_REGION")):
        lock_for("s3://bucket", run_id="r").try_acquire()
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert lock_for("s3://bucket", run_id="r").client.region == "eu-west-1"  # type: ignore[union-attr]
    assert lock_for("s3://b", region="us-east-2").client.region == "us-east-2"  # type: ignore[union-attr]


def test_lock_for_picks_the_backend_from_the_root(tmp_path: Path) -> None:
    local = lock_for(str(tmp_path), run_id="r")
    assert isinstance(local, FileLock)
    assert local.path == str(Lake(tmp_path).lock_file), "the same lock as `taxiway run`"
    s3 = lock_for("s3://taxiway-dev-curated-123456789012/", run_id="r")
    assert isinstance(s3, S3Lock) and s3.key == ".lake.lock"
    s3 = lock_for("s3://bucket/some/prefix/", run_id="r")
    assert (s3.bucket, s3.key) == ("bucket", "some/prefix/.lake.lock")
    assert FileLock(tmp_path / "x").check() is None, "a file lock cannot be lost"
