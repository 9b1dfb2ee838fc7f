"""A requirements file made for another Airflow version: one finding instead of one per line.

A ``pip freeze`` taken on an Airflow 2.6.3 environment pins a hundred packages at 2.6.3's
constraints. Against another target, most of those pins fight the target's constraints or
repeat its built-ins, and a finding per line buries the one thing to do (regenerate the file
for the target). The rule, from the constraint files the doctor already ships
(:func:`taxiway.mwaa.release`), never from a list of names:

- a pin *matches* a version V when it equals V's Airflow constraints for that distribution
  (or is ``apache-airflow==V``);
- the file was made for V when at least :data:`MIN_LINES` of its pins match V and conflict
  with the target (``pin-conflict``), and most of its pins that V's constraints cover
  (:data:`MIN_SHARE`) match V: a file with a few old pins among current ones keeps its
  per-line findings;
- V is the version whose constraints match the most pins; a pinned ``apache-airflow`` names
  the version when the file has one. When that Airflow has no constraints in the data
  (a freeze of 3.0.2), V is only the closest one, and every conflicting pin of a package
  some MWAA version's constraints or image carry counts as the named version's too.

The lines that match V and would each be a ``pin-conflict`` or ``builtin-duplicate`` become one
``requirements-other-version`` finding listing them; every other line keeps its findings.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from taxiway.doctor.requirements import ParsedRequirements, RequirementLine
from taxiway.findings import Finding, Severity
from taxiway.mwaa import MwaaRelease

#: Fewest conflicting pins that match the other version before the lines become one finding.
MIN_LINES = 10
#: Share of the file's pins that the other version's constraints cover and that equal them.
MIN_SHARE = 0.6
_FOLDED = frozenset({"pin-conflict", "builtin-duplicate"})


@dataclass(frozen=True)
class OtherVersion:
    """The version a file was made for and the lines folded into its one finding."""

    version: str  # the Airflow version named (a pinned apache-airflow, else the best match)
    matched: str  # the MWAA version whose constraints matched
    lines: tuple[RequirementLine, ...]  # folded lines, in file order
    conflicts: int  # of which pin-conflict
    matched_pins: int  # the file's pins equal to the matched version's
    pinned: int  # the file's pins that the matched version's constraints cover


def _matches(req: RequirementLine, release: MwaaRelease) -> bool:
    pin = req.pinned
    if pin is None or req.name is None or req.url is not None:
        return False
    if req.name == "apache-airflow":
        return _same_version(pin, release.version)
    want = release.constraints.get(req.name)
    return want is not None and _same_version(pin, want)


def _environment_packages() -> frozenset[str]:
    """Every distribution some MWAA version's constraints pin or image ships."""
    from taxiway import mwaa

    names: set[str] = set()
    for version in mwaa.versions():
        r = mwaa.release(version)
        names |= r.constraints.keys() | r.builtins.keys()
    return frozenset(names)


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def detect(
    parsed: ParsedRequirements, target: MwaaRelease, codes: dict[int, str]
) -> OtherVersion | None:
    """The other version ``parsed`` was made for, or None.

    ``codes`` maps ``id(requirement)`` to its verdict code for ``target``.
    """
    from taxiway import mwaa

    reqs = [r for r in parsed.requirements if r.pinned is not None and r.name and not r.url]
    conflicting = [r for r in reqs if codes.get(id(r)) == "pin-conflict"]
    if len(conflicting) < MIN_LINES:
        return None  # cheap exit: most files never load another version's data
    own = sum(1 for r in reqs if _matches(r, target))
    best: tuple[int, str] | None = None
    for version in mwaa.versions():
        if version == target.version:
            continue
        other = mwaa.release(version)
        explained = sum(1 for r in conflicting if _matches(r, other))
        if explained < MIN_LINES:
            continue
        covered = [r for r in reqs if r.name in other.constraints or r.name == "apache-airflow"]
        matched = sum(1 for r in covered if _matches(r, other))
        if matched < MIN_SHARE * len(covered) or matched <= own:
            continue
        if best is None or matched > best[0]:
            best = (matched, version)
    if best is None:
        return None
    matched_pins, version = best
    other = mwaa.release(version)
    named = next((r.pinned for r in reqs if r.name == "apache-airflow" and r.pinned), None)
    approximate = named is not None and not _same_version(named, other.version)

    # The file names an Airflow the data has no constraints for (a freeze of 3.0.2): every
    # conflicting pin of a package Airflow's environments carry is that Airflow's.
    environment = _environment_packages() if approximate else frozenset()

    def folds(r: RequirementLine) -> bool:
        if codes.get(id(r)) not in _FOLDED:
            return False
        return _matches(r, other) or (r.name or "") in environment

    folded = tuple(r for r in reqs if folds(r))
    covered_n = sum(1 for r in reqs if r.name in other.constraints or r.name == "apache-airflow")
    return OtherVersion(
        version=named or other.version,
        matched=other.version,
        lines=folded,
        conflicts=sum(1 for r in folded if codes.get(id(r)) == "pin-conflict"),
        matched_pins=matched_pins,
        pinned=covered_n,
    )


def _ranges(numbers: list[int]) -> str:
    """``[2, 3, 4, 7]`` -> ``"2-4, 7"``."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:]:
        if n == prev + 1:
            prev = n
            continue
        out.append(f"{start}-{prev}" if prev > start else str(start))
        start = prev = n
    out.append(f"{start}-{prev}" if prev > start else str(start))
    return ", ".join(out)


def finding(found: OtherVersion, target: MwaaRelease, severities: dict[int, Severity]) -> Finding:
    """The one ``requirements-other-version`` finding for the folded lines."""
    first = found.lines[0]
    by_file: dict[str, list[int]] = {}
    for r in found.lines:
        by_file.setdefault(r.file, []).append(r.line)
    where = "; ".join(
        (f"{name} " if len(by_file) > 1 else "") + _ranges(sorted(set(ns)))
        for name, ns in by_file.items()
    )
    severity = min(
        (severities.get(id(r), Severity.WARNING) for r in found.lines), key=lambda s: s.rank
    )
    duplicates = len(found.lines) - found.conflicts
    via = (
        f"Airflow {found.version}'s constraints"
        if found.version == found.matched
        else f"the constraints of Airflow {found.matched}, the closest to the "
        f"`apache-airflow=={found.version}` it pins that the doctor has,"
    )
    message = (
        f"The file was made for Airflow {found.version}, not MWAA {target.version}: "
        f"{found.matched_pins} of its {found.pinned} pins of packages in {via} equal "
        f"them. Of its lines from that environment, {found.conflicts} conflict with MWAA "
        f"{target.version}'s constraints or built-ins"
        + (
            " (pip fails with ResolutionImpossible and installs none of the requirements)"
            if severity is Severity.ERROR
            else ""
        )
        + (
            f" and {duplicates} {'repeats' if duplicates == 1 else 'repeat'} a built-in"
            if duplicates
            else ""
        )
        + f", on lines {where}."
    )
    hint = (
        "Keep only the packages the DAGs import (a `pip freeze` also pins what Airflow "
        f"brought), or let `--fix` move the pins to MWAA {target.version}'s versions "
        "(`--unsafe-fixes` for major moves)."
    )
    subject = f"made for Airflow {found.version}"
    return Finding(
        "requirements-other-version", severity, subject, message, hint, first.file, first.line
    )
