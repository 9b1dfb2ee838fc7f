"""Oracle SQL text -> statements: split at ``;`` and ``/`` lines, PL/SQL kept whole, Jinja masked.

Pure text work, no sqlglot. The splitter is a small lexer that knows Oracle's string literals
(``'it''s'``, ``q'[...]'``), quoted identifiers and both comment styles, so a ``;`` inside any of
them never ends a statement. A statement that opens a PL/SQL unit (``BEGIN``, ``DECLARE``,
``CREATE [OR REPLACE] PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE``) runs to the next line holding
only ``/`` (as in SQL*Plus), because its inner ``;`` belong to it.

Jinja: ``{{ expr }}`` outside string literals is replaced by a placeholder identifier that
sqlglot carries through untouched and :func:`unmask` puts back, so templating survives the
conversion; inside a string literal it is left as is (sqlglot keeps literal text verbatim).
``{% ... %}`` blocks make the SQL vary by run: such a statement is marked, not converted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PLSQL_START = re.compile(
    r"(BEGIN\b|DECLARE\b|CREATE\s+(OR\s+REPLACE\s+)?"
    r"(EDITIONABLE\s+|NONEDITIONABLE\s+)?(PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE)\b)",
    re.I,
)
_SLASH_LINE = re.compile(r"^[ \t]*/[ \t]*$", re.M)
PLACEHOLDER = "__tw_jinja_{}__"
_PLACEHOLDER_RE = re.compile(r"__tw_jinja_(\d+)__")
_Q_CLOSE = {"[": "]", "{": "}", "(": ")", "<": ">"}


@dataclass(frozen=True)
class Statement:
    """One statement of a SQL text: its text (Jinja masked) and where it starts."""

    text: str
    line: int  # 1-based line of its first character in the whole text
    jinja: tuple[str, ...] = ()  # the masked ``{{ ... }}`` expressions, by placeholder number
    jinja_block: int | None = None  # line of a ``{% ... %}`` or ``{# ... #}`` inside, if any
    plsql: bool = False

    def unmask(self, sql: str) -> str | None:
        """``sql`` with the placeholders replaced by the Jinja they stood for.

        None when a placeholder is missing from ``sql`` or repeated: a template expression
        was lost or duplicated by the conversion, which the caller must refuse.
        """
        for i in range(len(self.jinja)):
            if sql.count(PLACEHOLDER.format(i)) != 1:
                return None
        return _PLACEHOLDER_RE.sub(lambda m: self.jinja[int(m.group(1))], sql)


@dataclass
class _Cursor:
    text: str
    pos: int = 0
    jinja: list[str] = field(default_factory=list)
    out: list[str] = field(default_factory=list)
    block_at: int | None = None


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _skip_string(text: str, i: int) -> int:
    """Index after the string literal starting at ``text[i]`` (``'`` or a ``q'`` quote)."""
    if text[i] in "qQ" and text[i + 1 : i + 2] == "'" and i + 2 < len(text):
        close = _Q_CLOSE.get(text[i + 2], text[i + 2])
        end = text.find(close + "'", i + 3)
        return len(text) if end < 0 else end + 2
    j = i + 1
    while j < len(text):
        if text[j] == "'":
            if text[j + 1 : j + 2] == "'":
                j += 2
                continue
            return j + 1
        j += 1
    return len(text)


def split_statements(text: str) -> list[Statement]:
    """The statements of ``text`` in order; empty ones (``;;``, comments only) are left out."""
    statements: list[Statement] = []
    i, start, n = 0, 0, len(text)
    jinja: list[str] = []
    pieces: list[str] = []
    block_at: int | None = None
    plsql = False
    code = False  # whether the statement has begun (anything but whitespace and comments)

    def flush(end: int) -> None:
        nonlocal start, jinja, pieces, block_at, plsql, code
        body = "".join(pieces)
        stripped = body.strip()
        if _has_code(stripped):
            lead = len(body) - len(body.lstrip())
            statements.append(
                Statement(
                    stripped,
                    _line_at(text, start) + body.count("\n", 0, lead),
                    tuple(jinja),
                    block_at,
                    plsql,
                )
            )
        start, jinja, pieces, block_at, plsql, code = end, [], [], None, False, False

    while i < n:
        c = text[i]
        two = text[i : i + 2]
        if not code and not c.isspace() and two not in ("--", "/*"):
            code = True
            plsql = bool(_PLSQL_START.match(text, i)) and _is_word_start(text, i)
        if two == "{{":
            end = text.find("}}", i + 2)
            end = n if end < 0 else end + 2
            pieces.append(PLACEHOLDER.format(len(jinja)))
            jinja.append(text[i:end])
            i = end
            continue
        if two in ("{%", "{#"):
            close = "%}" if two == "{%" else "#}"
            end = text.find(close, i + 2)
            end = n if end < 0 else end + 2
            if block_at is None:
                block_at = _line_at(text, i)
            pieces.append(text[i:end])
            i = end
            continue
        if two == "--":
            end = text.find("\n", i)
            end = n if end < 0 else end
            pieces.append(text[i:end])
            i = end
            continue
        if two == "/*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            pieces.append(text[i:end])
            i = end
            continue
        if c == "'" or (c in "qQ" and text[i + 1 : i + 2] == "'" and _is_word_start(text, i)):
            end = _skip_string(text, i)
            pieces.append(text[i:end])
            i = end
            continue
        if c == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end + 1
            pieces.append(text[i:end])
            i = end
            continue
        if c == "/" and _SLASH_LINE.match(text, _bol(text, i)) and _only_slash(text, i):
            flush(i + 1)
            i += 1
            continue
        if c == ";" and not plsql:
            flush(i + 1)
            i += 1
            continue
        pieces.append(c)
        i += 1
    flush(n)
    return statements


def _bol(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _only_slash(text: str, i: int) -> bool:
    end = text.find("\n", i)
    line = text[_bol(text, i) : (len(text) if end < 0 else end)]
    return line.strip() == "/"


def _is_word_start(text: str, i: int) -> bool:
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$#")


def _has_code(text: str) -> bool:
    """Whether ``text`` holds anything besides comments and whitespace."""
    without = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    without = re.sub(r"--[^\n]*", " ", without)
    return bool(without.strip())
