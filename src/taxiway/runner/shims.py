"""Shims for the package managers a startup script calls, and findings from what they saw.

On MWAA a startup script runs ``sudo yum install -y libaio`` or ``pip3 install dbt-core`` on
Amazon Linux. Here those commands must neither change this machine nor fail for want of
Amazon Linux, so the sandbox puts shims first on PATH: ``sudo`` runs its command as the
script's user (the shims catch what follows), ``yum``/``dnf``/``apt-get``/``apt``/``pip``/
``pip3`` append their arguments to a record file and succeed. The record becomes findings:

- ``startup-system-packages`` (info): what yum/dnf would install on MWAA's image, and that
  it was not installed here; ``startup-package-name`` (warning) for a Debian name there.
- ``startup-apt-get`` (error): apt-get/apt do not exist on Amazon Linux.
- ``startup-pip-install`` (warning): pip installs of packages requirements.txt does not name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from taxiway.findings import Finding, Severity
from taxiway.runner.target import requirement_name

SHIMMED = ("yum", "dnf", "apt-get", "apt", "pip", "pip3")
_FIELD, _RECORD = "\x1f", "\x1e"

_RECORDER = """#!/bin/bash
# taxiway sandbox shim: records `{name} ...` for the report and succeeds; nothing is installed.
( IFS=$'\\037'; printf '%s\\036' "{name}"$'\\037'"$*" ) >> '{record}'
echo "taxiway sandbox: recorded \\`{name} $*\\` (not run here)" >&2
exit 0
"""

# sudo's options that take a value; everything else up to the command is a flag.
_SUDO = """#!/bin/bash
# taxiway sandbox shim: sudo runs the command as the script's user (MWAA's `airflow`).
while [ $# -gt 0 ]; do
  case "$1" in
    -u|-g|-p|-C|-D|-h|-r|-t|-T|-U|--user|--group|--prompt) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
[ $# -eq 0 ] && exit 0
exec env "$@"
"""

_INSTALLS = frozenset({"install", "reinstall", "localinstall", "groupinstall"})
# Debian/Ubuntu names and what Amazon Linux calls them.
_DEBIAN = {"build-essential": "gcc gcc-c++ make", "pkg-config": "pkgconf"}


def write_shims(folder: Path, record: str) -> None:
    """Write the shims into ``folder``; they append to ``record`` (a path as they see it)."""
    folder.mkdir(parents=True, exist_ok=True)
    scripts = {name: _RECORDER.format(name=name, record=record) for name in SHIMMED}
    scripts["sudo"] = _SUDO
    for name, text in scripts.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)


@dataclass(frozen=True)
class Call:
    """One recorded call of a shimmed command: the tool and its arguments."""

    tool: str
    args: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join((self.tool, *self.args))


def read_calls(record: Path) -> list[Call]:
    """The calls a record file holds, in order."""
    if not record.is_file():
        return []
    calls = []
    for item in record.read_text(encoding="utf-8", errors="replace").split(_RECORD):
        fields = item.split(_FIELD)
        if fields and fields[0]:
            calls.append(Call(fields[0], tuple(a for a in fields[1:] if a)))
    return calls


def _operands(args: Iterable[str]) -> list[str]:
    """The non-option words of a command line (options like ``-y``, ``--quiet`` dropped)."""
    return [a for a in args if not a.startswith("-")]


def installed_packages(call: Call) -> list[str]:
    """The packages one yum/dnf/apt/pip call installs ([] for other subcommands)."""
    words = _operands(call.args)
    if call.tool in ("pip", "pip3"):
        if not words or words[0] != "install":
            return []
        skip = {"-r", "--requirement", "-c", "--constraint", "-t", "--target", "-i"}
        skip |= {"--index-url", "--extra-index-url", "-f", "--find-links"}
        values = {b for a, b in zip(call.args, call.args[1:], strict=False) if a in skip}
        return [w for w in words[1:] if w not in values]
    if words[:2] == ["group", "install"]:
        return words[2:]
    if words and words[0] in _INSTALLS:
        return words[1:]
    return []


def _canonical(requirement: str) -> str:
    return requirement_name(requirement) or requirement.lower()


def requirement_names(requirements: Path | None) -> set[str]:
    """Canonical names of the packages a requirements file names (options skipped)."""
    if requirements is None or not requirements.is_file():
        return set()
    text = requirements.read_text(encoding="utf-8", errors="replace")
    return {name for line in text.splitlines() if (name := requirement_name(line))}


def call_findings(
    calls: list[Call], file: str, base_os: str, requirements: set[str]
) -> list[Finding]:
    """Findings for what a startup script tried to install (see the module docstring)."""
    findings: list[Finding] = []
    system: dict[str, str] = {}  # package -> the command that installs it
    for call in calls:
        if call.tool in ("yum", "dnf"):
            system.update({p: call.text for p in installed_packages(call)})
    if system:
        findings.append(
            Finding(
                "startup-system-packages",
                Severity.INFO,
                file,
                f"`{file}` installs system packages on MWAA's {base_os} image: "
                f"{', '.join(sorted(system))}. Here they were recorded, not installed: the "
                "DAG import used this machine's libraries.",
                "Check the names exist on Amazon Linux (`dnf info NAME` in an "
                f"`{base_os}` container).",
                file,
            )
        )
    for package, command in sorted(system.items()):
        amazon = _DEBIAN.get(package) or (
            package[: -len("-dev")] + "-devel" if package.endswith("-dev") else None
        )
        if amazon:
            findings.append(
                Finding(
                    "startup-package-name",
                    Severity.WARNING,
                    package,
                    f"`{command}` names `{package}`, a Debian/Ubuntu package; {base_os} "
                    "has no package of that name and the install fails on MWAA.",
                    f"Use the Amazon Linux name: `{amazon}`.",
                    file,
                )
            )
    for call in calls:
        if call.tool in ("apt-get", "apt"):
            findings.append(
                Finding(
                    "startup-apt-get",
                    Severity.ERROR,
                    call.tool,
                    f"`{file}` runs `{call.text}`; `{call.tool}` does not exist on MWAA's "
                    f"{base_os} image, so the command fails there (and the script with it "
                    "under `set -e`). It was recorded here, not run.",
                    "Use `sudo dnf install -y <package>` with Amazon Linux package names.",
                    file,
                )
            )
    pip = {
        p: call.text
        for call in calls
        if call.tool in ("pip", "pip3")
        for p in installed_packages(call)
        if _canonical(p) not in requirements and _canonical(p) != "pip"  # upgrading pip
    }
    if pip:
        findings.append(
            Finding(
                "startup-pip-install",
                Severity.WARNING,
                file,
                f"`{file}` installs Python packages with pip outside requirements.txt: "
                f"{', '.join(sorted(pip))}. MWAA installs them unconstrained, before "
                "requirements.txt; here they were recorded, not installed, so the DAG "
                "import ran without them.",
                "Move them into requirements.txt, where MWAA's constraints apply "
                "(or into a separate virtual environment the script creates).",
                file,
            )
        )
    return findings
