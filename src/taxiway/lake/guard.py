"""The lake lock as taxiway uses it locally: one run (or catalog write) at a time per lake.

:mod:`taxiway.lake.lock` is the mechanism (and ships to the EMR job); this module adds the
taxiway error and the rule that whoever takes the lock first rolls forward any publish a
crashed run committed (:func:`taxiway.lake.journal.recover`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from taxiway.errors import TaxiwayError
from taxiway.lake import journal
from taxiway.lake.layout import Lake
from taxiway.lake.lock import FileLock, LockBusyError, OnWait, describe


class LakeBusyError(TaxiwayError):
    """Another run holds the lake lock and the caller asked not to wait."""


@contextmanager
def lake_lock(
    lake: Lake,
    run_id: str = "",
    *,
    wait: bool = True,
    on_wait: OnWait | None = None,
    timeout: float | None = None,
) -> Iterator[list[str]]:
    """Hold the lake's lock; yields the run ids of crashed publishes it rolled forward."""
    lock = FileLock(lake.lock_file, run_id=run_id)
    try:
        lock.acquire(wait=wait, timeout=timeout, on_wait=on_wait)
    except LockBusyError as exc:
        raise LakeBusyError(
            f"The lake `{lake.root}` is being curated by {describe(exc.holder)}; wait for it "
            "to finish, or drop `--no-wait` to queue behind it."
        ) from exc
    try:
        yield journal.recover(lake)
    finally:
        lock.release()


def settle(lake: Lake) -> list[str]:
    """Roll forward a crashed run's committed publish before reading, if no run is active.

    If a run holds the lock it already did this (it is the first thing under the lock), so a
    reader does not wait for it.
    """
    if not journal.pending(lake):
        return []
    try:
        with lake_lock(lake, "reader", wait=False) as recovered:
            return recovered
    except LakeBusyError:
        return []
