"""The notebook a statement's rules write into: notes with absolute lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from taxiway.migrate.oracle.notes import Note, Outcome


@dataclass
class RuleContext:
    """``base``: the file line of the statement's first line; ``text``: the statement as parsed."""

    text: str
    base: int
    notes: list[Note] = field(default_factory=list)

    def line(self, node: Any) -> int:
        """The file line of ``node``: its first identifier's line as sqlglot recorded it."""
        from sqlglot import exp

        candidates = [node] if isinstance(node, exp.Identifier) else []
        if isinstance(node, exp.Expression):
            candidates += list(node.find_all(exp.Identifier))
        for ident in candidates:
            line = ident.meta.get("line")
            if isinstance(line, int):
                return self.base + line - 1
        return self.base

    def text_line(self, pattern: str) -> int:
        """The file line of the first match of ``pattern`` (a regex, case-insensitive)."""
        match = re.search(pattern, self.text, re.I)
        if match is None:
            return self.base
        return self.base + self.text.count("\n", 0, match.start())

    def refuse(self, construct: str, line: int, message: str) -> None:
        self.notes.append(Note(Outcome.REFUSED, construct, line, message))

    def review(self, construct: str, line: int, message: str) -> None:
        self.notes.append(Note(Outcome.REVIEW, construct, line, message))

    def note(self, construct: str, line: int, message: str) -> None:
        self.notes.append(Note(Outcome.CONVERTED, construct, line, message))

    @property
    def refused(self) -> bool:
        return any(n.outcome is Outcome.REFUSED for n in self.notes)
