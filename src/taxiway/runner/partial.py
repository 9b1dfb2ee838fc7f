"""When requirements.txt does not install: leave out the lines uv names, import anyway.

MWAA's update stops at the first install failure, and so did the local runner: users then
fixed one pin per run, the very loop the runner exists to shorten. Now the failure is still
reported (``install-failed``, uv's own lines), and then the lines uv's message names are
commented out of the environment's copy of the requirements and the install is tried again,
up to :data:`ROUNDS` times, so the DAGs are imported in an environment with every line that
does install. The report says it is partial and which lines were left out.

A network failure is not retried (every line would fail the same way).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from taxiway.runner.failures import classify
from taxiway.runner.target import requirement_name

ROUNDS = 3
LEFT_OUT = "# left out by taxiway (does not install): "
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def named_in(message: str) -> set[str]:
    """Canonical package-like words of uv's message (``flask==0.12.5`` gives ``flask``)."""
    names = set()
    for token in _TOKEN.findall(message):
        names.add(_canonical(token.rstrip(".")))
        head = requirement_name(token)
        if head:
            names.add(head)
    return names


def lines_to_leave_out(lines: list[str], message: str) -> list[tuple[int, str]]:
    """(1-based number, text) of each requirement line whose package the message names."""
    named = named_in(message)
    found = []
    for number, line in enumerate(lines, start=1):
        name = requirement_name(line)
        if name is not None and name in named:
            found.append((number, line.strip()))
    return found


def install_partially(
    requirements: Path,
    message: str,
    install: Callable[[], subprocess.CompletedProcess[str]],
    failure_message: Callable[[str], str],
) -> list[tuple[int, str]] | None:
    """Comment out what uv names in ``requirements`` and ``install`` again until it works.

    Returns the lines left out (number, text) when an install finally succeeded, None when
    no line could be blamed or :data:`ROUNDS` attempts all failed (the file is then as
    the last attempt left it; the caller drops the environment).
    """
    lines = requirements.read_text(encoding="utf-8").splitlines()
    left: list[tuple[int, str]] = []
    for _ in range(ROUNDS):
        if classify(message).kind == "network":
            return None
        blamed = lines_to_leave_out(lines, message)
        if not blamed:
            return None
        for number, text in blamed:
            lines[number - 1] = LEFT_OUT + text
        left += blamed
        requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = install()
        if out.returncode == 0:
            return sorted(left)
        message = failure_message(out.stderr)
    return None
