"""MWAA version data shipped as package data (copied from ``shared/mwaa``; see data/README.md).

For every MWAA Airflow version: its status, Python version, Airflow constraints (what MWAA
installs user requirements with when they carry no ``-c``), the pins MWAA never lets users
override, and the packages built into the image. Stdlib and ``packaging`` only, so the
doctor starts fast.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from packaging.utils import canonicalize_name
from packaging.version import Version

from taxiway.errors import UsageError

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def normalize(name: str) -> str:
    """PEP 503 normalised project name: ``Flask_Babel`` -> ``flask-babel``."""
    return str(canonicalize_name(name))


def parse_pins(text: str) -> dict[str, str]:
    """``name==version`` lines -> {normalised name: version}; comments and other lines ignored."""
    pins: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        m = _PIN.match(line)
        if m:
            pins[normalize(m.group(1))] = m.group(3)
    return pins


@dataclass(frozen=True)
class MwaaRelease:
    """Everything taxiway knows about one MWAA Airflow version."""

    version: str
    status: str
    python: str  # "3.12" (minor only)
    python_full: str  # "3.12.13" where known, else the minor
    constraints_url: str
    base_os: str
    constraints: dict[str, str] = field(repr=False)
    essentials: dict[str, str] = field(repr=False)
    builtins: dict[str, str] = field(repr=False)
    builtins_source: str = ""  # "bill-of-materials" | "local-runner-requirements" | "derived"

    @property
    def supported(self) -> bool:
        return self.status.startswith("supported")

    @property
    def airflow_major(self) -> int:
        return Version(self.version).major

    @property
    def constraints_line(self) -> str:
        """The ``-c`` line MWAA's documentation recommends for this version."""
        return f"-c {self.constraints_url}"


def _read(version: str, name: str) -> str | None:
    path = resources.files("taxiway.mwaa") / "data" / version / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


@cache
def _rows() -> dict[str, dict[str, str]]:
    text = (resources.files("taxiway.mwaa") / "data" / "versions.csv").read_text("utf-8")
    return {row["airflow_version"]: row for row in csv.DictReader(text.splitlines())}


def versions() -> list[str]:
    """All MWAA versions in the data, oldest first."""
    return sorted(_rows(), key=Version)


@cache
def release(version: str) -> MwaaRelease:
    """Load one version's data; raise UsageError naming the supported versions if unknown."""
    rows = _rows()
    if version not in rows:
        raise UsageError(
            f"Unknown MWAA version `{version}`; choose one of {', '.join(versions())} "
            "(`taxiway doctor versions` lists them)."
        )
    row = rows[version]
    m = re.match(r"(\d+\.\d+)(?: \(([\d.]+)\))?", row["python"])
    python = m.group(1) if m else row["python"]
    python_full = (m.group(2) if m and m.group(2) else python) if m else python
    constraints = parse_pins(_read(version, "airflow_constraints.txt") or "")
    essentials = parse_pins(_read(version, "mwaa_essential_constraints.txt") or "")
    builtin_text = _read(version, "mwaa_builtin_packages.txt")
    if builtin_text is not None:
        builtins = parse_pins(builtin_text)
        source = "bill-of-materials" if essentials else "local-runner-requirements"
    else:
        # 2.4.3-2.8.1: no package list exists; MWAA installs Airflow plus its base providers
        # under the constraints, so those pins are what the image has.
        providers = parse_pins(_read(version, "mwaa_base_providers.txt") or "")
        builtins = {"apache-airflow": version, **providers}
        source = "derived"
    builtins.setdefault("apache-airflow", version)
    return MwaaRelease(
        version=version,
        status=row["mwaa_status"],
        python=python,
        python_full=python_full,
        constraints_url=row["constraints_url"],
        base_os=row["base_os"],
        constraints=constraints,
        essentials=essentials,
        builtins=builtins,
        builtins_source=source,
    )


@dataclass(frozen=True)
class ReservedEnv:
    """The environment variables MWAA does not let a startup script change (data/README.md)."""

    names: dict[str, str]  # name -> "protected" | "essential"
    prefixes: tuple[str, ...]  # "MWAA__"

    def kind(self, name: str) -> str | None:
        """``"protected"`` or ``"essential"`` when MWAA reserves ``name``, else None."""
        if name in self.names:
            return self.names[name]
        return "protected" if name.startswith(self.prefixes) else None

    def is_reserved(self, name: str) -> bool:
        return self.kind(name) is not None


@cache
def reserved_env(airflow_major: int | None = None) -> ReservedEnv:
    """MWAA's reserved variables for one Airflow major (both majors' when None)."""
    text = (resources.files("taxiway.mwaa") / "data" / "reserved_env.csv").read_text("utf-8")
    names: dict[str, str] = {}
    prefixes: list[str] = []
    for row in csv.DictReader(text.splitlines()):
        major = row["airflow_major"]
        if major and airflow_major is not None and int(major) != airflow_major:
            continue
        if row["name"].endswith("*"):
            prefixes.append(row["name"].rstrip("*"))
        else:
            names[row["name"]] = row["kind"]
    return ReservedEnv(names, tuple(prefixes))


def latest() -> str:
    """The newest supported version."""
    return [v for v in versions() if release(v).supported][-1]
