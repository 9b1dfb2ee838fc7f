"""Side by side: what changes for a project between two Airflow versions (pure).

Four comparisons, each a list of rows with a ``change``:

- DAG files: imported on one side and not the other (``broken``/``fixed``), or the same;
- findings (errors and warnings of the doctor and the runner, by code, file and subject;
  the line is left out so an edit elsewhere in a file does not count): ``appeared`` /
  ``gone``;
- packages: the built-in version of every package the image ships (for a non-MWAA side,
  the constraints' pin) where the two sides differ: ``changed``/``added``/``removed``;
- requirement lines: installed on one side and not the other.

A regression is a DAG file that breaks, an error finding that appears, or a requirement
line that no longer installs. The DAG import and install facts replace the findings that
say the same (``dag-import-error``, ``install-*``), so each cause is reported once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from packaging.version import Version

from taxiway.findings import Finding, Severity
from taxiway.upgrade.run import SideResult

#: findings the DAG, requirements and package tables already say, or that describe the run
_SHOWN_ELSEWHERE = frozenset(
    {
        "dag-import-error",
        "install-failed",
        "install-failed-locally",
        "install-partial",
        "dags-imported",
        "environment-built",
        "environment-reused",
        "python-mismatch",
    }
)


@dataclass(frozen=True)
class Row:
    """One compared item: its name, each side's value and what changed."""

    name: str
    before: str
    after: str
    change: str  # broken|fixed|same|appeared|gone|changed|added|removed|no-longer-installs|...
    detail: str = ""
    file: str | None = None  # a requirement row's file and line
    line: int | None = None

    def to_dict(self) -> dict[str, str]:
        data = {"name": self.name, "from": self.before, "to": self.after, "change": self.change}
        if self.detail:
            data["detail"] = self.detail
        return data


@dataclass
class UpgradeReport:
    """The whole comparison; ``regressions`` decides the exit code."""

    before: SideResult
    after: SideResult
    dags: list[Row] = field(default_factory=list)
    findings: list[tuple[str, Finding]] = field(default_factory=list)  # ("appeared"|"gone", f)
    packages: list[Row] = field(default_factory=list)
    requirements: list[Row] = field(default_factory=list)

    @property
    def direction(self) -> str:
        a, b = Version(self.before.side.version), Version(self.after.side.version)
        return "up" if b > a else "down" if b < a else "same"

    @property
    def new_errors(self) -> list[Finding]:
        """Error findings that appear, but not those about a DAG file that breaks or a
        requirement line that stops installing: one cause counts once."""
        prefix = (
            self.after.dags_rel.rstrip("/") + "/" if self.after.dags_rel not in ("", ".") else ""
        )
        broken = {prefix + r.name for r in self.dags if r.change == "broken"}
        lines = {(r.file, r.line) for r in self.requirements if r.change == "no-longer-installs"}
        return [
            f
            for what, f in self.findings
            if what == "appeared"
            and f.severity is Severity.ERROR
            and f.file not in broken
            and (f.file, f.line) not in lines
        ]

    @property
    def regressions(self) -> int:
        dags = sum(1 for r in self.dags if r.change == "broken")
        reqs = sum(1 for r in self.requirements if r.change == "no-longer-installs")
        return dags + reqs + len(self.new_errors)

    def compared(self) -> list[str]:
        """What this run compared, in words (the report says it, and what it did not)."""
        done = ["doctor findings (errors and warnings)", "built-in package versions"]
        if self.before.imported or self.after.imported:
            done += ["DAG imports (Airflow's DagBag)", "requirements install (uv, as MWAA)"]
        else:
            done.append("requirement lines (the doctor's pin checks)")
        return done

    def not_compared(self) -> list[str]:
        notes = list(self.before.side.not_compared) + list(self.after.side.not_compared)
        if not (self.before.imported and self.after.imported):
            for r in (self.before, self.after):
                if not r.imported:
                    why = (
                        f"the environment did not install ({r.install_failed})"
                        if r.install_failed
                        else "static check (`--static`)"
                    )
                    notes.append(f"DAG imports on {r.side.version}: {why}.")
        notes.append("Task runs: DAGs are imported, not run (`taxiway local run` runs them).")
        return notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.before.side.to_dict(),
            "to": self.after.side.to_dict(),
            "direction": self.direction,
            "regressions": self.regressions,
            "new_errors": len(self.new_errors),
            "compared": self.compared(),
            "not_compared": self.not_compared(),
            "dags": [r.to_dict() for r in self.dags],
            "findings": [{"change": what, **f.to_dict()} for what, f in self.findings],
            "packages": [r.to_dict() for r in self.packages],
            "requirements": [r.to_dict() for r in self.requirements],
            "seconds": {
                "from": round(self.before.seconds, 2),
                "to": round(self.after.seconds, 2),
            },
        }


def _dag_state(result: SideResult, file: str) -> str:
    if not result.imported:
        return "not imported"
    if file in result.dag_errors:
        return "import error"
    return f"ok ({result.dag_files.get(file, 0)} DAG(s))"


def compare_dags(before: SideResult, after: SideResult) -> list[Row]:
    """Every DAG file either side parsed, with its state on each side."""
    files = sorted(
        set(before.dag_files)
        | set(before.dag_errors)
        | set(after.dag_files)
        | set(after.dag_errors)
    )
    rows = []
    for file in files:
        a, b = _dag_state(before, file), _dag_state(after, file)
        a_ok, b_ok = a.startswith("ok"), b.startswith("ok")
        if "not imported" in (a, b):
            change = "unknown"
        elif a_ok and not b_ok:
            change = "broken"
        elif b_ok and not a_ok:
            change = "fixed"
        else:
            change = "same"
        detail = after.dag_errors.get(file, "") if change == "broken" else ""
        if change == "fixed":
            detail = before.dag_errors.get(file, "")
        rows.append(Row(file, a, b, change, detail))
    return rows


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.code, f.file or "", f.subject)


def compare_findings(before: SideResult, after: SideResult) -> list[tuple[str, Finding]]:
    """Errors and warnings present on one side only (by code, file and subject)."""

    def kept(result: SideResult) -> dict[tuple[str, str, str], Finding]:
        return {
            _key(f): f
            for f in result.findings
            if f.severity is not Severity.INFO and f.code not in _SHOWN_ELSEWHERE
        }

    a, b = kept(before), kept(after)
    appeared = [("appeared", b[k]) for k in sorted(set(b) - set(a))]
    gone = [("gone", a[k]) for k in sorted(set(a) - set(b))]
    return appeared + gone


def installed_versions(result: SideResult) -> dict[str, str]:
    """What the side ships: MWAA's built-ins, else the constraints' pins (and Airflow)."""
    release = result.side.release
    if result.side.mwaa:
        return dict(release.builtins)
    return {**release.constraints, "apache-airflow": release.version}


def compare_packages(before: SideResult, after: SideResult) -> list[Row]:
    """Built-in packages whose version differs; for a non-MWAA ``before``, only the packages
    the target image ships (its constraints pin hundreds that nothing installs)."""
    a, b = installed_versions(before), installed_versions(after)
    names = set(b) if not before.side.mwaa else set(a) | set(b)
    rows = []
    for name in sorted(names):
        old, new = a.get(name), b.get(name)
        if old == new:
            continue
        if old is None:
            change = "added"
        elif new is None:
            change = "removed"
        else:
            change = "changed"
        rows.append(Row(name, old or "-", new or "-", change))
    return rows


def _requirement_state(result: SideResult, number: int, doctor_errors: set[int]) -> str:
    if result.install_failed == "airflow":
        return "not checked (Airflow did not install)"
    if result.install_failed == "requirements":
        return "fails (the whole file)"
    if number in result.left_out:
        return "does not install"
    if number in doctor_errors:
        return "conflicts (doctor)"
    return "installs" if result.imported else "no error"


def _doctor_error_lines(result: SideResult, requirements: str) -> set[int]:
    return {
        f.line
        for f in result.findings
        if f.file == requirements
        and f.line is not None
        and f.severity is Severity.ERROR
        and f.code not in _SHOWN_ELSEWHERE
    }


def compare_requirements(
    before: SideResult, after: SideResult, lines: list[tuple[int, str]], requirements: str
) -> list[Row]:
    """Every requirement line (number, text) of ``requirements`` on both sides."""
    a_err, b_err = (_doctor_error_lines(r, requirements) for r in (before, after))
    rows = []
    for number, text in lines:
        a = _requirement_state(before, number, a_err)
        b = _requirement_state(after, number, b_err)
        good = ("installs", "no error")
        if a in good and b not in good and not b.startswith("not checked"):
            change = "no-longer-installs"
        elif b in good and a not in good and not a.startswith("not checked"):
            change = "now-installs"
        else:
            change = "same"
        rows.append(Row(f"{requirements}:{number} {text}", a, b, change, "", requirements, number))
    return rows


def requirement_lines(text: str) -> list[tuple[int, str]]:
    """(number, text) of each requirement or option line of a requirements file."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append((number, line))
    return out


def compare(
    before: SideResult,
    after: SideResult,
    lines: list[tuple[int, str]],
    requirements: str,
) -> UpgradeReport:
    """The full side-by-side report of ``before`` and ``after``."""
    return UpgradeReport(
        before,
        after,
        dags=compare_dags(before, after),
        findings=compare_findings(before, after),
        packages=compare_packages(before, after),
        requirements=compare_requirements(before, after, lines, requirements),
    )
