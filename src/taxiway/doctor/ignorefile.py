""".airflowignore: which files of a dags folder Airflow skips, decided the way Airflow does.

This mirrors Airflow's own walk (``airflow._shared.module_loading.file_discovery`` in
Airflow 3, ``airflow.utils.file`` in Airflow 2.3+; both behave the same):

- every line loses ``\\s*#.*`` (so ``helpers.py  # shared code`` is the pattern
  ``helpers.py``), in both syntaxes; lines left empty are skipped, nothing else is trimmed;
- ``regexp`` syntax (Airflow 2's default): each line is a regular expression *searched* in
  the path relative to the top dags folder, whichever ``.airflowignore`` it came from;
  invalid expressions are skipped (Airflow logs a warning);
- ``glob`` syntax (Airflow 3's default, ``[core] dag_ignore_file_syntax``): each line is a
  gitignore pattern compiled by ``pathspec`` (the class behind Airflow's
  ``GitWildMatchPattern``); a pattern with a ``/`` at its start or in its middle is matched
  against the path relative to its ``.airflowignore``'s folder, any other against the
  name alone; a trailing ``/`` matches directories only; later lines win, ``!`` re-includes;
- the walk prunes a matching directory, so nothing below it is read, and patterns of a
  nested ``.airflowignore`` apply in its folder and below only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

IGNORE_FILE = ".airflowignore"
_COMMENT = re.compile(r"\s*#.*")


@dataclass(frozen=True)
class RegexpRule:
    """One line of a regexp ``.airflowignore``; ``root`` is the top dags folder."""

    pattern: re.Pattern[str]
    root: Path

    def matches(self, path: Path) -> bool:
        return self.pattern.search(path.relative_to(self.root).as_posix()) is not None


@dataclass(frozen=True)
class GlobRule:
    """One line of a glob ``.airflowignore``; ``relative_to`` None means "match the name"."""

    pattern: GitIgnoreSpecPattern
    relative_to: Path | None
    dir_only: bool


Rule = RegexpRule | GlobRule


def pattern_lines(text: str) -> list[str]:
    """The patterns of one ``.airflowignore``: comments cut, empty lines dropped."""
    return [line for line in (_COMMENT.sub("", raw) for raw in text.split("\n")) if line]


def compile_rule(line: str, syntax: str, root: Path, ignore_file: Path) -> Rule | None:
    """One pattern as a rule, or None when Airflow would skip it (bad regexp, ``/``)."""
    if syntax == "regexp":
        try:
            return RegexpRule(re.compile(line), root)
        except re.error:
            return None
    if line.strip() == "/":
        return None  # "/" matches nothing in gitignore
    anchored = line.startswith("/") or "/" in line.rstrip("/")
    bare = line.lstrip("!")
    return GlobRule(
        GitIgnoreSpecPattern(line),
        ignore_file.parent if anchored else None,
        dir_only=bare.rstrip() != bare.rstrip().rstrip("/"),
    )


def matches(path: Path, rules: list[Rule]) -> bool:
    """Whether ``rules`` (in file order) ignore ``path``."""
    matched = False
    for rule in rules:
        if isinstance(rule, RegexpRule):
            if rule.matches(path):
                return True
            continue
        is_dir = path.is_dir()
        if rule.dir_only and not is_dir:
            continue
        rel = path.relative_to(rule.relative_to).as_posix() if rule.relative_to else path.name
        if is_dir:
            rel += "/"
        if rule.pattern.include is not None and rule.pattern.match_file(rel) is not None:
            matched = rule.pattern.include
    return matched


def kept_files(root: Path, syntax: str) -> list[Path]:
    """The files below ``root`` that Airflow reads (not ignored), walking as Airflow does."""
    if syntax not in ("regexp", "glob"):
        raise ValueError(f"unknown .airflowignore syntax {syntax!r}")
    rules_by_dir: dict[Path, list[Rule]] = {}
    kept: list[Path] = []
    for current, dirs, files in os.walk(root, followlinks=True):
        here = Path(current)
        rules = rules_by_dir.get(here.resolve(), [])
        ignore_file = here / IGNORE_FILE
        if ignore_file.is_file():
            text = ignore_file.read_text(encoding="utf-8", errors="replace")
            compiled = (compile_rule(ln, syntax, root, ignore_file) for ln in pattern_lines(text))
            rules = rules + [r for r in compiled if r is not None]
        dirs[:] = [d for d in dirs if not matches(here / d, rules)]
        for d in list(dirs):
            resolved = (here / d).resolve()
            if resolved in rules_by_dir:
                dirs.remove(d)  # a symlink loop: Airflow stops with an error; we stop descending
                continue
            rules_by_dir[resolved] = list(rules)
        kept += [here / f for f in files if f != IGNORE_FILE and not matches(here / f, rules)]
    return kept


class IgnoreMatcher:
    """Every ``.airflowignore`` below ``root``; ``ignored(path)`` answers for one file."""

    def __init__(self, root: Path, syntax: str) -> None:
        self.root = root
        self.syntax = syntax
        self._kept = {p.absolute() for p in kept_files(root, syntax)}

    def ignored(self, path: Path) -> bool:
        """Whether Airflow skips ``path`` (a file below ``root``)."""
        return path.absolute() not in self._kept
