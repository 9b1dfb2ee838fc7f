"""``--fix``: the minimal requirements.txt for a target MWAA version.

Built-in duplicates go, the target's constraints line comes first, ``-r`` files are inlined
(MWAA reads a single requirements.txt from S3) and every other line is kept; a line the
doctor had to change keeps its old text in a ``# taxiway:`` comment so a reviewer sees why.
"""

from __future__ import annotations

import re
import textwrap

from taxiway.doctor.reqcheck import Verdict, verdicts
from taxiway.doctor.requirements import LogicalLine, ParsedRequirements
from taxiway.mwaa import MwaaRelease

_NOTE = re.compile(r"\s+# taxiway: .*$")
_HEADER = "minimised by `taxiway doctor requirements --fix`"


def _bare(raw: str) -> str:
    """``raw`` without a note an earlier ``--fix`` appended (so notes never pile up)."""
    return _NOTE.sub("", raw)


def _major_bump(req: LogicalLine, new: str | None) -> bool:
    from taxiway.doctor.reqcheck import major_move

    return major_move(req.requirement.pinned if req.requirement else None, new)


def _commented(raw: str, note: str) -> list[str]:
    lines = [f"# {line}" for line in _bare(raw).split("\n")]
    lines[-1] += f"  # taxiway: {note}"
    return lines


def fixed_requirements(
    parsed: ParsedRequirements, release: MwaaRelease, unsafe: bool = False
) -> str:
    """The text of the minimal requirements file for ``release``.

    A pin the fix would move to another major version is kept, with a note, unless
    ``unsafe`` (``--unsafe-fixes``). Fixing the fixed file again changes nothing: an
    earlier header is replaced (its removed list carried over), earlier notes are not
    repeated.
    """
    v = release.version
    by_line = {(x.requirement.file, x.requirement.line): x for x in verdicts(parsed, release)}
    body: list[str] = []
    removed: list[str] = []
    lines = list(parsed.lines)
    if lines and lines[0].kind == "comment" and _HEADER in lines[0].raw:
        header_lines = []
        while lines and lines[0].kind == "comment":
            header_lines.append(lines.pop(0).raw.lstrip("# "))
        said = " ".join(header_lines).partition(f"Built into MWAA {v}, removed: ")[2]
        removed += [x for x in said.rstrip(".").split(", ") if x]
    for logical in lines:
        body.extend(_rewrite(logical, by_line, release, removed, unsafe))
    removed = list(dict.fromkeys(removed))
    header = [
        f"# Requirements for MWAA {v} (Python {release.python}), "
        "minimised by `taxiway doctor requirements --fix`.",
    ]
    if removed:
        wrapped = textwrap.wrap(
            f"Built into MWAA {v}, removed: {', '.join(removed)}.",
            width=96,
            break_on_hyphens=False,
        )
        header += [f"# {w}" for w in wrapped]
    header.append(release.constraints_line)
    # Leading blank lines of the original would separate nothing from the header.
    while body and not body[0].strip():
        body.pop(0)
    return "\n".join(header + body) + "\n"


def _rewrite(
    logical: LogicalLine,
    by_line: dict[tuple[str, int], Verdict],
    release: MwaaRelease,
    removed: list[str],
    unsafe: bool = False,
) -> list[str]:
    v = release.version
    if logical.option is not None and logical.option.option == "--constraint":
        if logical.option.value == release.constraints_url:
            return []  # the header already has it
        return _commented(logical.raw, f"replaced by MWAA {v}'s constraints (first line)")
    if logical.option is not None and logical.option.option == "--requirement":
        if logical.option.value and "://" in logical.option.value:
            return [logical.raw]
        return _commented(logical.raw, "inlined below (MWAA reads one requirements.txt)")
    if logical.kind == "error":
        return _commented(logical.raw, "pip cannot parse this line; fix it or drop it")
    if logical.requirement is None:
        return [logical.raw]
    verdict = by_line[(logical.requirement.file, logical.requirement.line)]
    req = logical.requirement
    if verdict.code == "builtin-duplicate" and req.extras:
        # The package is built in but its extras may pull packages that are not.
        if _NOTE.search(logical.raw):
            return [logical.raw]  # an earlier --fix's note says why already
        return [f"{logical.raw}  # taxiway: built in; kept for its extras"]
    if verdict.code == "builtin-duplicate":
        removed.append(f"{req.raw_name}=={verdict.builtin}")
        return []
    extras = f"[{','.join(req.extras)}]" if req.extras else ""
    marker = f"; {req.marker}" if req.marker else ""
    new = verdict.builtin if verdict.builtin is not None else verdict.constrained
    if verdict.code == "pin-conflict" and not unsafe and _major_bump(logical, new):
        return [
            f"{_bare(logical.raw)}  # taxiway: MWAA {v} has {req.raw_name}=={new}, another major "
            "version; check its changelog, then --fix --unsafe-fixes"
        ]
    if verdict.code == "pin-conflict" and verdict.builtin is not None and req.extras:
        line = f"{req.raw_name}{extras}=={verdict.builtin}{marker}"
        return [f"{line}  # taxiway: was {req.display}; built in, kept for its extras"]
    if verdict.code == "pin-conflict" and verdict.builtin is not None:
        return _commented(logical.raw, f"removed, MWAA {v} has {req.raw_name}=={verdict.builtin}")
    if verdict.code == "pin-conflict" and verdict.constrained is not None:
        line = f"{req.raw_name}{extras}=={verdict.constrained}{marker}"
        dropped = ", hashes dropped" if req.hashes else ""
        return [f"{line}  # taxiway: was {req.display}; MWAA {v}'s constraints pin it{dropped}"]
    return [logical.raw]
