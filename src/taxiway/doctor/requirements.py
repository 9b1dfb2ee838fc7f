"""Parse a pip requirements file the way pip reads it, keeping line numbers.

Handles comments, ``\\`` continuations, ``-r``/``-c`` (followed recursively for ``-r``),
index and find-links options, extras, environment markers, ``name @ url``, bare URLs and VCS
links (name from ``#egg=`` or the wheel file name), ``--hash`` options and editables. A line
pip would reject becomes a ``parse-error`` finding with its file and line number instead of
an exception, so one typo does not hide every other finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.mwaa import normalize

# pip strips a comment only when `#` starts the line or follows whitespace (URLs keep `#egg=`).
_COMMENT = re.compile(r"(^|\s+)#.*$")
# Options pip accepts on their own line, with whether they take a value.
_GLOBAL_OPTIONS: dict[str, bool] = {
    "-i": True,
    "--index-url": True,
    "--extra-index-url": True,
    "--no-index": False,
    "-f": True,
    "--find-links": True,
    "--pre": False,
    "--trusted-host": True,
    "--prefer-binary": False,
    "--only-binary": True,
    "--no-binary": True,
    "--require-hashes": False,
    "--use-feature": True,
}
# Options pip accepts after a requirement on the same line.
_PER_REQ_OPTIONS = ("--hash", "--config-settings", "--global-option", "--install-option")
_PER_REQ = re.compile(
    r"(?:^|\s)(?:--hash|--config-settings|--global-option|--install-option)(?=[=\s]|$)"
)
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|(?:git|hg|svn|bzr)\+)", re.IGNORECASE)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_WHEEL = re.compile(r"/([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^/]*\.whl$")


@dataclass(frozen=True)
class RequirementLine:
    """One requirement: ``pandas[excel]==1.3.5 ; python_version < "3.12" --hash=...``."""

    file: str
    line: int
    text: str  # the logical line without comment, continuations joined
    name: str | None  # PEP 503 normalised; None for an unnamed URL or path
    raw_name: str | None = None  # as written, for messages and the fixed file
    extras: tuple[str, ...] = ()
    specifier: str = ""  # "==1.3.5", ">=2,<3" or ""
    marker: str | None = None
    url: str | None = None
    editable: bool = False
    hashes: tuple[str, ...] = ()

    @property
    def pinned(self) -> str | None:
        """The exact version when the specifier is a single ``==``/``===`` without wildcard."""
        m = re.fullmatch(r"===?\s*([^\s,*]+)", self.specifier.strip())
        return m.group(1) if m else None

    def allows(self, version: str) -> bool:
        """Whether the specifier admits ``version`` (pre-releases included)."""
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            return SpecifierSet(self.specifier).contains(version, prereleases=True)
        except InvalidSpecifier:
            return False

    @property
    def display(self) -> str:
        """``name[extras]<spec>`` (or the URL) for messages."""
        if self.raw_name is None:
            return self.url or self.text
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.raw_name}{extras}{self.specifier}" + (f" @ {self.url}" if self.url else "")


@dataclass(frozen=True)
class OptionLine:
    """A global option line such as ``-c URL``, ``-r other.txt`` or ``--index-url URL``."""

    file: str
    line: int
    option: str  # long form: "--constraint", "--requirement", "--index-url", ...
    value: str | None


@dataclass(frozen=True)
class LogicalLine:
    """One logical line of a file as written (for rewriting with ``--fix``)."""

    file: str
    line: int
    raw: str  # physical lines joined with newlines, as written
    kind: str  # "blank" | "comment" | "requirement" | "option" | "error"
    requirement: RequirementLine | None = None
    option: OptionLine | None = None


@dataclass
class ParsedRequirements:
    """Everything in a requirements file and the files it includes with ``-r``."""

    path: Path
    requirements: list[RequirementLine] = field(default_factory=list)
    constraints: list[OptionLine] = field(default_factory=list)  # -c
    includes: list[OptionLine] = field(default_factory=list)  # -r
    options: list[OptionLine] = field(default_factory=list)  # index, find-links, ...
    findings: list[Finding] = field(default_factory=list)  # parse-error
    lines: list[LogicalLine] = field(default_factory=list)  # every file, in reading order

    def names(self) -> set[str]:
        """Normalised names of every named requirement."""
        return {r.name for r in self.requirements if r.name}


def parse_requirements(path: Path) -> ParsedRequirements:
    """Parse ``path`` (and its ``-r`` includes); raise UsageError only if ``path`` is unreadable."""
    if not path.is_file():
        raise UsageError(
            f"Requirements file `{path}` does not exist; pass a pip requirements file."
        )
    parsed = ParsedRequirements(path=path)
    _parse_file(path, parsed, seen=set(), display=path.name)
    return parsed


def parse_requirements_text(text: str, name: str = "requirements.txt") -> ParsedRequirements:
    """Parse requirements from a string (``-r`` resolves against the working directory)."""
    parsed = ParsedRequirements(path=Path(name))
    _parse_lines(text, Path(name), parsed, seen={Path(name).resolve()}, display=name)
    return parsed


def _parse_file(path: Path, parsed: ParsedRequirements, seen: set[Path], display: str) -> None:
    resolved = path.resolve()
    if resolved in seen:
        return  # pip would loop forever; one visit is enough for the checks
    seen.add(resolved)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read requirements file `{path}`: {exc}; check the path.") from exc
    _parse_lines(text, path, parsed, seen, display)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, physical lines joined with newline) with ``\\`` continuations."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        if not buf:
            start = number
        buf.append(physical)
        # pip does not continue a comment line, even one ending in a backslash.
        if physical.endswith("\\") and not physical.lstrip().startswith("#"):
            continue
        out.append((start, "\n".join(buf)))
        buf = []
    if buf:
        out.append((start, "\n".join(buf)))
    return out


def _parse_lines(
    text: str, path: Path, parsed: ParsedRequirements, seen: set[Path], display: str
) -> None:
    for number, raw in _logical_lines(text):
        joined = " ".join(p[:-1] if p.endswith("\\") else p for p in raw.split("\n"))
        content = _COMMENT.sub("", joined).strip()
        if not content:
            kind = "comment" if raw.strip() else "blank"
            parsed.lines.append(LogicalLine(display, number, raw, kind))
            continue
        try:
            item = _parse_content(content, display, number)
        except ValueError as exc:
            parsed.findings.append(
                Finding(
                    code="parse-error",
                    severity=Severity.ERROR,
                    subject=content,
                    message=f"pip cannot parse `{content}`: {exc}.",
                    hint="Fix the line (see pip's requirements file format) or remove it.",
                    file=display,
                    line=number,
                )
            )
            parsed.lines.append(LogicalLine(display, number, raw, "error"))
            continue
        if isinstance(item, RequirementLine):
            parsed.requirements.append(item)
            parsed.lines.append(LogicalLine(display, number, raw, "requirement", requirement=item))
            continue
        parsed.lines.append(LogicalLine(display, number, raw, "option", option=item))
        if item.option == "--constraint":
            parsed.constraints.append(item)
        elif item.option == "--requirement":
            parsed.includes.append(item)
            _include(item, path, parsed, seen)
        else:
            parsed.options.append(item)


def _include(item: OptionLine, path: Path, parsed: ParsedRequirements, seen: set[Path]) -> None:
    assert item.value is not None
    if _URL.match(item.value):
        return  # a remote include cannot be read offline; it is reported as-is
    target = (path.parent / item.value) if not Path(item.value).is_absolute() else Path(item.value)
    if not target.is_file():
        parsed.findings.append(
            Finding(
                code="parse-error",
                severity=Severity.ERROR,
                subject=f"-r {item.value}",
                message=f"Included requirements file `{item.value}` does not exist.",
                hint="Fix the path; MWAA reads only the requirements.txt you upload to S3, "
                "so inline included files there.",
                file=item.file,
                line=item.line,
            )
        )
        return
    _parse_file(target, parsed, seen, display=item.value)


_SHORT_TO_LONG = {
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
}


def _parse_content(content: str, file: str, number: int) -> RequirementLine | OptionLine:
    if not content.startswith("-"):
        return _requirement(content, file, number, content)
    # Option values carry no spaces in practice; markers (with quotes) only follow requirements.
    tokens = content.split()
    head = tokens[0]
    opt, eq, given = head.partition("=")
    value: str | None = given if eq else None
    if opt not in ("-r", "--requirement", "-c", "--constraint", "-e", "--editable") and (
        opt not in _GLOBAL_OPTIONS
    ):
        raise ValueError(f"unknown option `{opt}`")
    takes_value = _GLOBAL_OPTIONS.get(opt, True)
    rest = tokens[1:]
    if value is None and takes_value:
        if not rest:
            raise ValueError(f"option `{opt}` needs a value")
        value, rest = rest[0], rest[1:]
    long = _SHORT_TO_LONG.get(opt, opt)
    if long == "--editable":
        assert value is not None
        return _requirement(" ".join([value, *rest]), file, number, content, editable=True)
    if rest:
        raise ValueError(f"unexpected text after `{opt}`: `{' '.join(rest)}`")
    return OptionLine(file, number, long, value)


def _requirement(
    text: str, file: str, number: int, content: str, editable: bool = False
) -> RequirementLine:
    # Everything before the first per-requirement option is the requirement itself, which
    # may contain spaces and quotes (`pandas >= 1.0 ; python_version < "3.12"`).
    m = _PER_REQ.search(text)
    req_text = (text[: m.start()] if m else text).strip()
    options = text[m.start() :].split() if m else []
    hashes: list[str] = []
    i = 0
    while i < len(options):
        word = options[i]
        opt, _, value = word.partition("=")
        if opt not in _PER_REQ_OPTIONS:
            raise ValueError(f"unknown per-requirement option `{word}`")
        if not value:
            if i + 1 >= len(options):
                raise ValueError(f"option `{opt}` needs a value")
            value, i = options[i + 1], i + 1
        if opt == "--hash":
            if ":" not in value:
                raise ValueError(f"hash `{value}` must look like `sha256:<hex>`")
            hashes.append(value)
        i += 1
    if _URL.match(req_text) or req_text.startswith((".", "/")):
        url = req_text.split(";", 1)[0].strip()
        m = _EGG.search(url) or _WHEEL.search(url)
        raw = m.group(1) if m else None
        return RequirementLine(
            file, number, content, normalize(raw) if raw else None, raw, url=url,
            editable=editable, hashes=tuple(hashes),
        )  # fmt: skip
    try:
        req = Requirement(req_text)
    except InvalidRequirement as exc:
        raise ValueError(str(exc).splitlines()[0]) from exc
    return RequirementLine(
        file=file,
        line=number,
        text=content,
        name=normalize(req.name),
        raw_name=req.name,
        extras=tuple(sorted(req.extras)),
        specifier=str(req.specifier),
        marker=str(req.marker) if req.marker else None,
        url=req.url,
        editable=editable,
        hashes=tuple(hashes),
    )
