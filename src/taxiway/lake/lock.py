"""The lake lock: one curate run at a time per lake, from staging to publish.

Two runs that overlap in time each deduplicate against the partitions the *other* has not
published yet, so together they can publish the same ``event_id`` twice (issue 15). The lock
serialises them: the second run waits (or fails with ``--no-wait``) and then dedupes against
what the first one published. Two runs at once give the tables of the two runs in a row.

Two implementations with one interface (``acquire``/``release``/``holder``, context manager):

``FileLock``
    ``fcntl.flock`` on ``<root>/.lake.lock``. The kernel drops the lock when the
    holder dies (SIGKILL included), so a crashed run never blocks the next one and no expiry
    is needed. The file holds the holder's owner, run id and pid for the waiting message.
``S3Lock``
    An object written with a conditional put (``IfNoneMatch='*'``): exactly one writer
    creates it. The body carries owner, run id and an expiry (``ttl`` seconds, renewed every
    ``ttl / 3`` by a heartbeat thread while the holder lives); an expired lock is taken over with ``IfMatch=<its ETag>``, so of
    two runs that both saw it expire only one wins, and release deletes with ``IfMatch`` so
    a run never removes a lock that was taken over from it.

This module imports only the standard library and :mod:`taxiway.lake.s3api` (the lock's
three S3 calls, stdlib SigV4: EMR 7's Python has no boto3 anything guarantees), so the EMR
Spark job ships both in its ``--py-files`` zip and takes the same lock on its lake. The
region is always explicit: ``region=`` or ``AWS_REGION``/``AWS_DEFAULT_REGION`` (the EMR
step sets ``AWS_REGION`` for the driver), never guessed.
"""

from __future__ import annotations

import abc
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typing.Self is 3.11+: the module runs on EMR 7's Python 3.9
    from typing_extensions import Self

#: Called once when ``acquire`` starts waiting, with the holder's info (or ``{}``).
OnWait = Callable[[dict[str, Any]], None]


class LockBusyError(Exception):
    """The lock is held by another run and the caller chose not to wait (or timed out)."""

    def __init__(self, where: str, holder: dict[str, Any]) -> None:
        self.where = where
        self.holder = holder
        who = describe(holder)
        super().__init__(f"The lake lock `{where}` is held by {who}.")


class LockRegionError(Exception):
    """An S3 lock without a region: it is never guessed."""


class LockLostError(Exception):
    """An S3 lock expired and was taken over by another run while this one held it."""


def describe(holder: dict[str, Any]) -> str:
    """``run `X` (owner, since HH:MM:SS UTC)`` for messages; tolerant of missing keys."""
    if not holder:
        return "another run"
    since = holder.get("acquired_at")
    when = time.strftime("%H:%M:%S UTC", time.gmtime(since)) if isinstance(since, float) else "?"
    return f"run `{holder.get('run_id') or '?'}` ({holder.get('owner') or '?'}, since {when})"


def default_owner() -> str:
    """``user@host:pid``: who holds a lock, for a human reading the waiting message."""
    import getpass

    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        user = "?"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"


class _Lock(abc.ABC):
    """The waiting loop shared by both locks; subclasses implement the single attempt."""

    where = ""

    @abc.abstractmethod
    def try_acquire(self) -> bool:
        """Take the lock now if it is free; True when taken."""

    @abc.abstractmethod
    def holder(self) -> dict[str, Any]:
        """Who holds the lock ({} when unknown): owner, run id, since when."""

    @abc.abstractmethod
    def release(self) -> None:
        """Give the lock back (a no-op when not held)."""

    def acquire(
        self,
        wait: bool = True,
        timeout: float | None = None,
        poll: float = 0.2,
        on_wait: OnWait | None = None,
    ) -> None:
        """Take the lock; wait (calling ``on_wait`` once) or raise :class:`LockBusyError`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        told = False
        while not self.try_acquire():
            holder = self._holder_settled()
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                raise LockBusyError(self.where, holder)
            if not told and on_wait is not None:
                on_wait(holder)
                told = True
            time.sleep(poll)

    def _holder_settled(self, tries: int = 20) -> dict[str, Any]:
        # A holder writes who it is just after taking the lock: a waiter that looks in between
        # reads nothing, so give the holder a few milliseconds before naming it.
        holder = self.holder()
        while not holder.get("run_id") and tries > 0:
            time.sleep(0.005)
            holder, tries = self.holder(), tries - 1
        return holder

    def check(self) -> None:
        """Raise if the lock was lost (only an S3 lock can be: by expiry and takeover)."""
        return None  # a file lock is held until released or until its holder dies

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


#: The lock's name under a lake root, locally and on S3 (``Lake.lock_file`` uses it too).
LOCK_NAME = ".lake.lock"


def lock_for(
    root: str, run_id: str = "", ttl: float = 900.0, region: str | None = None
) -> FileLock | S3Lock:
    """The lake lock for a root: ``s3://bucket/prefix`` -> :class:`S3Lock`, a path -> file.

    What the EMR job calls with its ``--root``, so it shares the lock with every other run on
    that lake::

        with lock_for(args.root, run_id=args.run_id) as lock:
            ...  # read partitions, stage, then lock.check() right before publishing
    """
    if root.startswith("s3://"):
        bucket, _, prefix = root[len("s3://") :].partition("/")
        key = "/".join(p for p in (prefix.strip("/"), LOCK_NAME) if p)
        return S3Lock(bucket, key, run_id=run_id, ttl=ttl, region=region)
    path = root[len("file://") :] if root.startswith("file://") else root
    return FileLock(os.path.join(path, LOCK_NAME), run_id=run_id)


class FileLock(_Lock):
    """An exclusive ``flock`` on a local file; released by the kernel if the holder dies."""

    def __init__(self, path: str | os.PathLike[str], run_id: str = "", owner: str = "") -> None:
        self.path = os.fspath(path)
        self.where = self.path
        self.run_id = run_id
        self.owner = owner or default_owner()
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        import fcntl

        if self._fd is not None:
            raise RuntimeError(f"lock `{self.path}` is already held by this object")
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        info = {"owner": self.owner, "run_id": self.run_id, "acquired_at": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return True

    def holder(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.loads(fh.read() or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        import fcntl

        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # nobody holds it: the next waiter's message has no stale name
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class S3Lock(_Lock):
    """A lock object in S3, created with a conditional put and carrying its own expiry."""

    def __init__(
        self,
        bucket: str,
        key: str,
        run_id: str = "",
        owner: str = "",
        ttl: float = 900.0,
        client: Any = None,
        heartbeat: bool = True,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.region = region
        self.key = key
        self.where = f"s3://{bucket}/{key}"
        self.run_id = run_id
        self.owner = owner or default_owner()
        self.ttl = ttl
        self._client = client
        self.etag: str | None = None
        self.heartbeat = heartbeat
        self._beat: threading.Thread | None = None
        self._stop = threading.Event()
        self._lost: LockLostError | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from taxiway.lake.s3api import S3Client

            region = (
                self.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            )
            if not region:
                raise LockRegionError(
                    f"No AWS region for the lake lock `{self.where}`: set AWS_REGION (the EMR "
                    "step passes `--conf spark.yarn.appMasterEnv.AWS_REGION=<region>`)."
                )
            self._client = S3Client(region)
        return self._client

    def _body(self) -> bytes:
        now = time.time()
        info = {
            "owner": self.owner,
            "run_id": self.run_id,
            "acquired_at": now,
            "expires_at": now + self.ttl,
        }
        return json.dumps(info).encode()

    @staticmethod
    def _code(exc: Exception) -> str:
        response = getattr(exc, "response", None) or {}
        return str(response.get("Error", {}).get("Code", ""))

    def _read(self) -> tuple[dict[str, Any], str | None]:
        """The current lock object's body and ETag, or ``({}, None)`` if there is none."""
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except Exception as exc:
            if self._code(exc) in ("NoSuchKey", "404"):
                return {}, None
            raise
        try:
            data = json.loads(obj["Body"].read() or b"{}")
        except ValueError:
            data = {}  # unreadable: treat as expired, it can only be taken over by ETag
        return (data if isinstance(data, dict) else {}), str(obj["ETag"])

    def try_acquire(self) -> bool:
        if self.etag is not None:
            raise RuntimeError(f"lock `{self.where}` is already held by this object")
        try:
            resp = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=self._body(), IfNoneMatch="*"
            )
        except Exception as exc:
            # 409 ConditionalRequestConflict: a concurrent conditional write; just retry later
            if self._code(exc) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
        else:
            self.etag = str(resp["ETag"])
            return True
        data, etag = self._read()
        if etag is None:
            return False  # released between our put and our read: the next attempt may win
        if float(data.get("expires_at", 0)) > time.time():
            return False
        # expired: a crashed holder. Overwrite exactly the object we read; if another waiter
        # took it over first, its ETag differs and our put fails.
        try:
            resp = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=self._body(), IfMatch=etag
            )
        except Exception as exc:
            if self._code(exc) not in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
                "NoSuchKey",
            ):
                raise
            return False
        self.etag = str(resp["ETag"])
        return True

    def holder(self) -> dict[str, Any]:
        return self._read()[0]

    def acquire(
        self,
        wait: bool = True,
        timeout: float | None = None,
        poll: float = 1.0,
        on_wait: OnWait | None = None,
    ) -> None:
        """Take the lock (see :meth:`_Lock.acquire`); then renew it every ``ttl / 3`` s.

        The heartbeat is why a live holder never expires however long it runs, while a
        crashed one frees the lake within ``ttl``.
        """
        super().acquire(wait=wait, timeout=timeout, poll=poll, on_wait=on_wait)
        if self.heartbeat:
            self._stop.clear()
            self._lost = None
            self._beat = threading.Thread(target=self._renew, name="s3-lock-heartbeat")
            self._beat.daemon = True
            self._beat.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.refresh()
            except LockLostError as exc:
                self._lost = exc
                return
            except Exception:  # a network blip: the next beat (ttl/3 later) retries
                continue

    def check(self) -> None:
        """Raise :class:`LockLostError` if the heartbeat found the lock taken over.

        Call it right before publishing: a run that lost its lock must not publish.
        """
        if self._lost is not None:
            raise self._lost
        if self.etag is None:
            raise LockLostError(f"The lake lock `{self.where}` is not held by this run.")

    def refresh(self) -> None:
        """Push the expiry ``ttl`` seconds ahead; raises :class:`LockLostError` if taken over."""
        if self.etag is None:
            raise LockLostError(f"The lake lock `{self.where}` is not held by this run.")
        try:
            resp = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=self._body(), IfMatch=self.etag
            )
        except Exception as exc:
            if self._code(exc) in ("PreconditionFailed", "NoSuchKey"):
                self.etag = None
                raise LockLostError(
                    f"The lake lock `{self.where}` expired and was taken over by another run; "
                    "raise its ttl above the longest run."
                ) from exc
            raise
        self.etag = str(resp["ETag"])

    def release(self) -> None:
        """Delete the lock object if it is still ours (a taken-over lock is left alone)."""
        self._stop.set()
        if self._beat is not None and self._beat is not threading.current_thread():
            self._beat.join(timeout=30)
            self._beat = None
        if self.etag is None:
            return
        etag, self.etag = self.etag, None
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=etag)
        except Exception as exc:
            if self._code(exc) not in ("PreconditionFailed", "NoSuchKey"):
                raise
