""".airflowignore: which files of a dags folder Airflow skips.

Airflow 2 reads each line as a regular expression searched in the path relative to the
folder holding the ``.airflowignore``; Airflow 3 defaults to glob syntax
(``[core] dag_ignore_file_syntax = glob``, gitignore-style, ``!`` negates). A file nested
below an ignored directory is ignored too. Nested ``.airflowignore`` files apply below their
own folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class IgnoreRule:
    """One pattern of one ``.airflowignore`` (``base`` is its folder, relative to the root)."""

    base: PurePosixPath
    pattern: re.Pattern[str]
    negated: bool = False
    dir_only: bool = False


def _glob_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                out.append(pattern[i : end + 1].replace("[!", "[^"))
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_ignore(text: str, base: PurePosixPath, syntax: str) -> list[IgnoreRule]:
    """Rules of one ``.airflowignore`` in ``syntax`` ("regexp" or "glob")."""
    rules: list[IgnoreRule] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if syntax == "regexp" else raw.strip()
        if not line or line.startswith("#"):
            continue
        if syntax == "regexp":
            try:
                rules.append(IgnoreRule(base, re.compile(line)))
            except re.error:
                continue  # Airflow skips invalid patterns too (with a warning in its log)
            continue
        negated = line.startswith("!")
        line = line.lstrip("!")
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        body = _glob_regex(line.lstrip("/"))
        regex = f"^{body}$" if anchored else f"^(?:.*/)?{body}$"
        rules.append(IgnoreRule(base, re.compile(regex), negated, dir_only))
    return rules


class IgnoreMatcher:
    """All ``.airflowignore`` files below ``root``; ``ignored(path)`` answers for one file."""

    def __init__(self, root: Path, syntax: str) -> None:
        self.root = root
        self.syntax = syntax
        self.rules: list[IgnoreRule] = []
        for ignore in sorted(root.rglob(".airflowignore")):
            base = PurePosixPath(ignore.parent.relative_to(root).as_posix())
            text = ignore.read_text(encoding="utf-8", errors="replace")
            self.rules += parse_ignore(text, base, syntax)

    def ignored(self, path: Path) -> bool:
        """Whether Airflow skips ``path`` (a file below ``root``)."""
        rel = PurePosixPath(path.relative_to(self.root).as_posix())
        # A directory that matches hides everything below it, so test each ancestor too.
        chain = [rel.parents[i] for i in range(len(rel.parents) - 2, -1, -1)] + [rel]
        for candidate in chain:
            is_dir = candidate != rel
            if self._matches(candidate, is_dir):
                return True
        return False

    def _matches(self, rel: PurePosixPath, is_dir: bool) -> bool:
        result = False
        for rule in self.rules:
            if rule.base != PurePosixPath(".") and rule.base not in rel.parents:
                continue
            sub = rel.relative_to(rule.base).as_posix()
            if self.syntax == "regexp":
                if rule.pattern.search(sub):
                    return True
                continue
            if rule.dir_only and not is_dir:
                continue
            if rule.pattern.match(sub):
                result = not rule.negated
        return result
