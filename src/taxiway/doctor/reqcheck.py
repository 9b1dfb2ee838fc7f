"""Check parsed requirements against one MWAA release: pure functions, no I/O.

Order of the questions for each requirement (the first that applies wins):

1. its marker is false on MWAA's Python/Linux: nothing is installed (``marker-skipped``, info);
2. the line asks for a version (or a URL build) of a package that MWAA fixes, and one finding
   says why it cannot have it, the first reason that holds: MWAA's essential pins (never
   overridable), the Airflow constraints pip installs with, or the image's built-in
   version. That is ``pin-conflict``, the one code for "the pin fights the image"
   (it replaces ``essential-override``, ``constraint-conflict`` and ``builtin-conflict``);
3. it is built in and the specifier admits the built-in version: ``builtin-duplicate``;
4. otherwise it will be installed: ``not-builtin`` (info), plus ``unpinned`` when neither
   the line nor the constraints fix its version.

Whether a constraints pin makes pip fail depends on whether the constraints apply: MWAA
adds its own from 2.7.2 on, older versions only use the file's ``-c`` line. Without them
pip installs what the line asks for, which breaks the image only when it replaces a
built-in package (the ``missing-constraint`` finding says to add the ``-c`` line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import Version

from taxiway.doctor.requirements import ParsedRequirements, RequirementLine
from taxiway.findings import Finding, Severity
from taxiway.mwaa import MwaaRelease

# MWAA applies its constraints itself when the file has no -c line from 2.7.2 on
# (AWS docs, "Managing Python dependencies in requirements.txt").
_AUTO_CONSTRAINTS_FROM = Version("2.7.2")
_CONSTRAINTS_URL = re.compile(r"constraints-(\d+(?:\.\d+)+)/constraints-(\d+\.\d+)\.txt")


@dataclass(frozen=True)
class Verdict:
    """What the doctor decided for one requirement; ``--fix`` rewrites lines from these.

    ``reason`` (``pin-conflict`` only): ``essential``, ``constraint`` or ``builtin``.
    """

    requirement: RequirementLine
    code: str
    builtin: str | None = None  # MWAA's built-in (or essential) version
    constrained: str | None = None  # the constraints' version
    reason: str = ""


def marker_environment(release: MwaaRelease) -> dict[str, str]:
    """PEP 508 marker values of MWAA's workers (x86_64 Amazon Linux, CPython)."""
    return {
        "python_version": release.python,
        "python_full_version": release.python_full,
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


def _marker_true(req: RequirementLine, release: MwaaRelease) -> bool:
    if not req.marker:
        return True
    from packaging.markers import Marker

    env = marker_environment(release)
    return bool(Marker(req.marker).evaluate(env))  # type: ignore[arg-type]


def classify(req: RequirementLine, release: MwaaRelease) -> Verdict:
    """The verdict for one requirement line (see the module docstring for the order)."""
    name = req.name
    if not _marker_true(req, release):
        return Verdict(req, "marker-skipped")
    if name is None:
        return Verdict(req, "not-builtin")
    builtin = release.builtins.get(name)
    essential = release.essentials.get(name)
    constrained = release.constraints.get(name)

    def excludes(version: str | None) -> bool:
        return version is not None and (req.url is not None or not req.allows(version))

    if excludes(essential):
        return Verdict(req, "pin-conflict", essential, constrained, "essential")
    if excludes(constrained):
        return Verdict(req, "pin-conflict", builtin, constrained, "constraint")
    if excludes(builtin):
        return Verdict(req, "pin-conflict", builtin, constrained, "builtin")
    if builtin is not None:
        return Verdict(req, "builtin-duplicate", builtin, constrained)
    return Verdict(req, "not-builtin", None, constrained)


def major_move(old: str | None, new: str | None) -> bool:
    """Whether moving an ``==old`` pin to ``new`` changes the major version."""
    from packaging.version import InvalidVersion, Version

    if old is None or new is None:
        return False
    try:
        return Version(old).major != Version(new).major
    except InvalidVersion:
        return False


def constraints_apply(parsed: ParsedRequirements, release: MwaaRelease) -> str:
    """Which constraints pip installs the file under on MWAA: ``"mwaa"`` (the target's own:
    the file's ``-c`` is the target's URL, or it has none and MWAA adds them), ``"other"``
    (the file's own ``-c`` for something else) or ``"none"`` (no ``-c`` before 2.7.2)."""
    if not parsed.constraints:
        return "mwaa" if Version(release.version) >= _AUTO_CONSTRAINTS_FROM else "none"
    own = all(opt.value == release.constraints_url for opt in parsed.constraints)
    return "mwaa" if own else "other"


def verdicts(parsed: ParsedRequirements, release: MwaaRelease) -> list[Verdict]:
    """One verdict per requirement, in file order."""
    return [classify(r, release) for r in parsed.requirements]


def check_requirements(parsed: ParsedRequirements, release: MwaaRelease) -> list[Finding]:
    """Findings for a parsed requirements file against ``release`` (parse errors included).

    A line repeated word for word is reported once, as ``duplicate-requirement``: its
    verdict is the first copy's. A file made for another Airflow version gets one
    ``requirements-other-version`` finding for the lines that match it
    (:mod:`taxiway.doctor.otherversion`) instead of one per line.
    """
    from taxiway.doctor import otherversion

    out = list(parsed.findings)
    applied = constraints_apply(parsed, release)
    seen: dict[str, RequirementLine] = {}
    judged = verdicts(parsed, release)
    other = otherversion.detect(parsed, release, {id(v.requirement): v.code for v in judged})
    folded = {id(r) for r in other.lines} if other else set()
    severities: dict[int, Severity] = {}
    for verdict in judged:
        req = verdict.requirement
        first = seen.get(req.name) if req.name else None
        if first is not None and not req.marker and not first.marker:
            out.append(
                Finding(
                    "duplicate-requirement",
                    Severity.WARNING,
                    req.display,
                    f"`{req.raw_name}` is listed again (first at {first.file}:{first.line}); "
                    "pip merges both specifiers or fails.",
                    "Keep one line per package.",
                    req.file,
                    req.line,
                )
            )
            if _same(first, req):
                continue
        elif req.name:
            seen.setdefault(req.name, req)
        produced = _findings_for(verdict, release, applied)
        if id(req) in folded:
            # one finding for the whole file made for another version (otherversion)
            severities[id(req)] = produced[0].severity
            continue
        out.extend(produced)
    if other is not None:
        out.append(otherversion.finding(other, release, severities))
    out.extend(_constraint_findings(parsed, release))
    return out


def _same(a: RequirementLine, b: RequirementLine) -> bool:
    return (a.name, a.extras, a.specifier, a.url, a.marker) == (
        b.name,
        b.extras,
        b.specifier,
        b.url,
        b.marker,
    )


def _pin_conflict(verdict: Verdict, release: MwaaRelease, applied: str) -> Finding:
    """The one finding of a pin MWAA cannot honour, with the reason that holds."""
    req, v = verdict.requirement, release.version
    subject = req.display
    asks = f"installs `{req.url}`" if req.url else f"asks for `{subject}`"
    name = req.raw_name
    severity = Severity.ERROR
    if verdict.reason == "essential":
        message = (
            f"`{subject}` would change `{name}`, which MWAA {v} pins to `{verdict.builtin}` "
            "in its essential constraints and never lets user requirements override; the "
            "requirements install fails."
        )
        hint = f"Remove the line; MWAA already ships `{name}=={verdict.builtin}`."
    elif verdict.reason == "constraint":
        also = (
            f" (the image has `{name}=={verdict.builtin}` built in)"
            if verdict.builtin is not None
            else ""
        )
        if applied == "mwaa":
            message = (
                f"`{subject}` is outside MWAA {v}'s Airflow constraints, which pin "
                f"`{name}=={verdict.constrained}`{also}; pip fails with ResolutionImpossible "
                "and installs none of the requirements."
            )
        elif applied == "other":
            severity = Severity.WARNING
            message = (
                f"`{subject}` is outside MWAA {v}'s Airflow constraints, which pin "
                f"`{name}=={verdict.constrained}`{also}; pip installs the file under its own "
                "`-c` line instead (see `constraints-mismatch`), so it fails once that line is "
                "the target's."
            )
        else:
            replaces = verdict.builtin is not None
            severity = Severity.ERROR if replaces and _airflow_itself(req) else Severity.WARNING
            message = (
                f"`{subject}` is outside MWAA {v}'s Airflow constraints, which pin "
                f"`{name}=={verdict.constrained}`{also}. The file has no `-c` line, so pip "
                + (
                    _replaces(req)
                    if replaces
                    else "installs it, and fails with ResolutionImpossible once the "
                    "constraints are added."
                )
            )
        hint = (
            f"Drop the pin and use the built-in `{name}=={verdict.builtin}`."
            if verdict.builtin is not None
            else f"Use `{name}=={verdict.constrained}` (`--fix` does this)."
        )
        if major_move(req.pinned, verdict.builtin or verdict.constrained):
            hint = hint.replace("(`--fix` does this)", "").rstrip(" .") + (
                ": another major version; check its changelog, then `--fix --unsafe-fixes`."
            )
    else:
        # Built in, outside the constraints: pip replaces the image's copy.
        severity = Severity.ERROR if _airflow_itself(req) else Severity.WARNING
        message = (
            f"Requirement {asks} but MWAA {v} has `{name}=={verdict.builtin}` built in, and "
            "the constraints do not pin it: pip " + _replaces(req)
        )
        hint = f"Drop the pin and use the built-in `{name}=={verdict.builtin}`."
    return Finding("pin-conflict", severity, subject, message, hint, req.file, req.line)


def _airflow_itself(req: RequirementLine) -> bool:
    """Airflow or one of its providers: replacing them changes the Airflow MWAA runs (a
    provider release needs a minimum Airflow, so pip upgrades Airflow with it)."""
    name = req.name or ""
    return name == "apache-airflow" or name.startswith("apache-airflow-")


def _replaces(req: RequirementLine) -> str:
    if _airflow_itself(req):
        return "replaces the Airflow (or provider) MWAA runs, and MWAA's own code breaks."
    return (
        "replaces the image's copy, which the other packages were installed with; it works "
        "only if they accept the new version."
    )


def _findings_for(verdict: Verdict, release: MwaaRelease, applied: str) -> list[Finding]:
    req, v = verdict.requirement, release.version
    where: tuple[str, int] = (req.file, req.line)
    subject = req.display
    if verdict.code == "marker-skipped":
        return [
            Finding(
                "marker-skipped",
                Severity.INFO,
                subject,
                f"The marker `{req.marker}` is false on MWAA {v} (Python {release.python}, "
                "Linux x86_64), so pip installs nothing for this line.",
                "Drop the line if it only exists for another platform.",
                *where,
            )
        ]
    if verdict.code == "pin-conflict":
        return [_pin_conflict(verdict, release, applied)]
    if verdict.code == "builtin-duplicate":
        return [
            Finding(
                "builtin-duplicate",
                Severity.WARNING,
                subject,
                f"`{req.raw_name}=={verdict.builtin}` is already built into MWAA {v}; "
                "the line installs nothing.",
                "Drop it (`--fix` writes the file without it).",
                *where,
            )
        ]
    out = []
    if req.name and not req.url and req.pinned is None and verdict.constrained is None:
        out.append(
            Finding(
                "unpinned",
                Severity.WARNING,
                subject,
                f"`{subject}` is not pinned and not in MWAA {v}'s constraints, so every "
                "environment update may install a different version.",
                f"Pin it: `{req.raw_name}==<version you tested>`.",
                *where,
            )
        )
    via = f" (the constraints fix it at `{verdict.constrained}`)" if verdict.constrained else ""
    out.append(
        Finding(
            "not-builtin",
            Severity.INFO,
            subject,
            f"`{subject}` is not built into MWAA {v}; it will be installed{via}.",
            "Nothing to do; check that it has a wheel for Python "
            f"{release.python} on Linux x86_64 (`--resolve` checks).",
            *where,
        )
    )
    return out


def _constraint_findings(parsed: ParsedRequirements, release: MwaaRelease) -> list[Finding]:
    v = release.version
    if not parsed.constraints:
        auto = Version(v) >= _AUTO_CONSTRAINTS_FROM
        return [
            Finding(
                "missing-constraint",
                # A risk, not a failure: pip installs the file, only not within the versions
                # Airflow was tested with (the pins it then fights are their own findings).
                Severity.WARNING,
                str(parsed.path.name),
                (
                    f"No `-c` line; MWAA {v} then adds its own constraints, but the file does "
                    "not say what it was tested with."
                    if auto
                    else f"No `-c` line; MWAA {v} installs the requirements without Airflow's "
                    "constraints, so pip may upgrade packages Airflow depends on."
                ),
                f"Add `{release.constraints_line}` as the first line (`--fix` does this).",
                str(parsed.path.name),
                None,
            )
        ]
    out = []
    for opt in parsed.constraints:
        m = _CONSTRAINTS_URL.search(opt.value or "")
        if m and (Version(m.group(1)) != Version(v) or m.group(2) != release.python):
            out.append(
                Finding(
                    "constraints-mismatch",
                    Severity.ERROR,
                    f"-c {opt.value}",
                    f"The constraints are for Airflow {m.group(1)} on Python {m.group(2)}, "
                    f"but the target is MWAA {v} (Python {release.python}).",
                    f"Use `{release.constraints_line}`.",
                    opt.file,
                    opt.line,
                )
            )
    return out
