"""The one progress callback type of the local runner (``render.info`` in the CLI)."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """The default callback: say nothing (library use, tests)."""
    return None
