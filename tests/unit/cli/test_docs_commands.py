"""Every `taxiway ...` command written in README.md and docs/*.md parses as written.

Each line of a fenced shell block that runs taxiway is split like a shell would and given
to the real command tree (``make_context``: the command exists, its options exist, required
arguments are there, values are of the right type), without running it. A doc that names a
flag the CLI no longer has fails here, not in a user's terminal.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from taxiway.cli.app import cli_command

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# a usage synopsis (`[--hours 24]`, `test|start`) or printed output (`taxiway x: 2 errors`)
_SYNOPSIS = re.compile(r"\[-|\[[A-Z]+\]|\w\|\w|^\S*taxiway(?: [\w-]+)*:")
_PREFIX = re.compile(r"^(?:\$ )?(?:\.venv/bin/|\.tools/bin/uv run |uv run )?taxiway(?=\s)")


def _commands() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        in_block = False
        text = doc.read_text(encoding="utf-8").replace("\\\n", " ")  # continuation lines
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.strip().startswith("```"):
                in_block = not in_block
                continue
            command = line.strip()
            if not (in_block and _PREFIX.match(command)) or _SYNOPSIS.search(command):
                continue
            for more in lines[i + 1 : i + 20]:  # a quoted SQL string over several lines
                if _closed(command):
                    break
                command += "\n" + more
            found.append((f"{doc.name}: {line.strip()[:60]}", command))
    return found


def _closed(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


COMMANDS = _commands()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize(("where", "text"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_a_documented_command_parses(where: str, text: str) -> None:
    words = shlex.split(_PREFIX.sub("taxiway", text, count=1), comments=True)
    words = words[: words.index("&")] if "&" in words else words
    for stop in ("|", "&&", ">", "2>&1"):
        if stop in words:
            words = words[: words.index(stop)]
    cmd = cli_command()
    args = words[1:]
    while args and args[0].startswith("-"):  # root options: -q, --debug
        args = args[1:]
    path = ["taxiway"]
    while getattr(cmd, "commands", None):
        assert args, f"{where}: a group without a command"
        sub = cmd.commands.get(args[0])  # type: ignore[attr-defined]
        assert sub is not None, f"{where}: no command `{' '.join(path[1:] + args[:1])}`"
        path.append(args[0])
        cmd, args = sub, args[1:]
    cmd.make_context(" ".join(path), list(args), resilient_parsing=False)
