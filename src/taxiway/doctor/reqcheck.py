"""Check parsed requirements against one MWAA release: pure functions, no I/O.

Order of the questions for each requirement (the first that applies wins):

1. its marker is false on MWAA's Python/Linux: nothing is installed (``marker-skipped``, info);
2. MWAA never lets users change it and the specifier excludes MWAA's pin: ``essential-override``;
3. it is built in and the specifier admits the built-in version: ``builtin-duplicate``;
4. it is built in with a different version: ``builtin-conflict``;
5. the target's Airflow constraints pin it to a version the specifier excludes:
   ``constraint-conflict`` (pip fails with ``ResolutionImpossible``);
6. otherwise it will be installed: ``not-builtin`` (info), plus ``unpinned`` when neither
   the line nor the constraints fix its version.
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
    """What the doctor decided for one requirement; ``--fix`` rewrites lines from these."""

    requirement: RequirementLine
    code: str
    builtin: str | None = None  # MWAA's built-in (or essential) version
    constrained: str | None = None  # the constraints' version


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
    if essential is not None and (req.url or not req.allows(essential)):
        return Verdict(req, "essential-override", essential, constrained)
    if builtin is not None:
        same = not req.url and req.allows(builtin)
        return Verdict(
            req, "builtin-duplicate" if same else "builtin-conflict", builtin, constrained
        )
    if constrained is not None and not req.url and not req.allows(constrained):
        return Verdict(req, "constraint-conflict", None, constrained)
    return Verdict(req, "not-builtin", None, constrained)


def verdicts(parsed: ParsedRequirements, release: MwaaRelease) -> list[Verdict]:
    """One verdict per requirement, in file order."""
    return [classify(r, release) for r in parsed.requirements]


def check_requirements(parsed: ParsedRequirements, release: MwaaRelease) -> list[Finding]:
    """Findings for a parsed requirements file against ``release`` (parse errors included)."""
    out = list(parsed.findings)
    for verdict in verdicts(parsed, release):
        out.extend(_findings_for(verdict, release))
    out.extend(_constraint_findings(parsed, release))
    seen: dict[str, RequirementLine] = {}
    for req in parsed.requirements:
        if req.name and req.name in seen and not req.marker and not seen[req.name].marker:
            first = seen[req.name]
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
        elif req.name:
            seen.setdefault(req.name, req)
    return out


def _findings_for(verdict: Verdict, release: MwaaRelease) -> list[Finding]:
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
    if verdict.code == "essential-override":
        return [
            Finding(
                "essential-override",
                Severity.ERROR,
                subject,
                f"`{subject}` tries to change `{req.raw_name}`, which MWAA {v} pins to "
                f"`{verdict.builtin}` and never lets users override; the install fails or is "
                "ignored.",
                "Remove the line; MWAA already ships this package.",
                *where,
            )
        ]
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
    if verdict.code == "builtin-conflict":
        what = f"installs from `{req.url}`" if req.url else f"asks for `{subject}`"
        return [
            Finding(
                "builtin-conflict",
                Severity.ERROR,
                subject,
                f"Requirement {what} but MWAA {v} has `{req.raw_name}=={verdict.builtin}` "
                "built in; replacing a package Airflow was installed with breaks the "
                "environment or the install.",
                f"Drop the pin and use the built-in `{req.raw_name}=={verdict.builtin}`.",
                *where,
            )
        ]
    if verdict.code == "constraint-conflict":
        return [
            Finding(
                "constraint-conflict",
                Severity.ERROR,
                subject,
                f"`{subject}` is outside MWAA {v}'s Airflow constraints, which pin "
                f"`{req.raw_name}=={verdict.constrained}`; pip fails with ResolutionImpossible.",
                f"Use `{req.raw_name}=={verdict.constrained}` (`--fix` does this).",
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
                Severity.WARNING if auto else Severity.ERROR,
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
