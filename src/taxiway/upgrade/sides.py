"""The two sides of an upgrade check: an MWAA version, or any Airflow version the project runs on.

An MWAA version comes with the shipped image data (:mod:`taxiway.mwaa`): Python, the
built-in packages, MWAA's essential pins and the Airflow constraints. Any other Airflow
version (an on-prem 2.1.2, a self-built 2.10.2) has only what the project runs with today:
the Airflow constraints file of that version (apache/airflow's ``constraints-X`` branch, or
a file the user passes, such as a ``pip freeze`` of the old scheduler). Such a side is
described as an :class:`~taxiway.mwaa.MwaaRelease` whose built-in packages are Airflow alone,
so the doctor and the local runner can take it as they take an MWAA version; what that
leaves uncompared is listed in :attr:`Side.not_compared`.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from taxiway import mwaa
from taxiway.errors import UsageError
from taxiway.mwaa import MwaaRelease

CONSTRAINTS_URL = "https://raw.githubusercontent.com/apache/airflow/constraints-{version}/constraints-{python}.txt"
FETCH_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Side:
    """One end of the move: the release to check against and what is known about it."""

    label: str  # "from" | "to"
    release: MwaaRelease
    mwaa: bool  # True: an MWAA version with its image data
    constraints_source: str  # where the constraints came from
    not_compared: tuple[str, ...] = field(default=())

    @property
    def version(self) -> str:
        return self.release.version

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "mwaa": self.mwaa,
            "python": self.release.python,
            "constraints": self.constraints_source,
            "not_compared": list(self.not_compared),
        }


def airflow_version(text: str, flag: str) -> Version:
    """``text`` as an Airflow release version; a usage error naming ``flag`` otherwise."""
    try:
        version = Version(text)
    except InvalidVersion:
        version = None
    if version is None or version.major not in (1, 2, 3) or len(version.release) != 3:
        raise UsageError(
            f"`{flag} {text}` is not an Airflow version; pass one like 2.10.3 "
            "(`taxiway doctor versions` lists MWAA's)."
        )
    return version


def default_python(version: str) -> str:
    """The Python of the newest MWAA version not newer than ``version`` (else the oldest's):
    what a project on that Airflow most likely runs. ``--from-python`` overrides it."""
    wanted = Version(version)
    known = mwaa.versions()
    older = [v for v in known if Version(v) <= wanted]
    return mwaa.release(older[-1] if older else known[0]).python


def mwaa_side(label: str, version: str, flag: str) -> Side:
    """An MWAA version: everything comes from the shipped data."""
    release = mwaa.release(version)
    return Side(label, release, True, f"MWAA {version} data ({release.constraints_url})")


def airflow_side(
    label: str, version: str, python: str | None, constraints: str | None, flag: str
) -> Side:
    """A non-MWAA Airflow version on ``python`` with ``constraints`` (a path or URL; by
    default apache/airflow's file for that version and Python, downloaded)."""
    airflow_version(version, flag)
    minor = python or default_python(version)
    if not (minor.count(".") == 1 and all(part.isdigit() for part in minor.split("."))):
        raise UsageError(f"`--{label}-python {minor}` is not a Python version like 3.8.")
    source = constraints or CONSTRAINTS_URL.format(version=version, python=minor)
    text = read_constraints(source, label)
    pins = mwaa.parse_pins(text)
    if not pins:
        raise UsageError(
            f"`{source}` pins no package (`name==version` lines); pass the constraints "
            f"Airflow {version} runs with today as `--{label}-constraints FILE`."
        )
    pins.setdefault("apache-airflow", version)
    release = MwaaRelease(
        version=version,
        status="not an MWAA version",
        python=minor,
        python_full=minor,
        constraints_url=source,
        base_os="",
        constraints=pins,
        essentials={"apache-airflow": version},
        builtins={"apache-airflow": version},
        builtins_source="derived",  # the doctor then counts every constrained package as present
    )
    not_compared = (
        f"Airflow {version} is not an MWAA version: no image data. Installed versions on "
        f"this side are the constraints' pins ({source}), not a built-in package list.",
        "MWAA's essential pins and providers built into an image do not exist on this side: "
        "the environment has Airflow and the project's requirements, under the constraints.",
        "Packages are compared only where the target image ships them: a constraints file "
        "pins every provider, installed or not, so what the move removes cannot be told.",
    )
    return Side(label, release, False, source, not_compared)


def read_constraints(source: str, label: str) -> str:
    """The text of a constraints file: a local path, or an http(s) URL downloaded once."""
    flag = f"--{label}-constraints"
    if "://" not in source:
        path = Path(source)
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"Cannot read `{flag} {source}`: {exc}; pass a file.") from exc
    if not source.startswith(("https://", "http://")):
        raise UsageError(f"`{flag} {source}`: only files and http(s) URLs are read.")
    try:
        with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT_SECONDS) as response:
            data: bytes = response.read()
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise UsageError(
            f"Cannot download the constraints `{source}`: {exc}; download the file where "
            f"the network allows it (or `pip freeze` the old environment) and pass "
            f"`{flag} FILE`."
        ) from exc
    return data.decode("utf-8", "replace")


def sides(
    from_version: str,
    to_version: str,
    from_python: str | None = None,
    from_constraints: str | None = None,
) -> tuple[Side, Side]:
    """Both sides; ``--to`` must be an MWAA version, ``--from`` may be any Airflow version."""
    if to_version not in mwaa.versions():
        raise UsageError(
            f"`--to {to_version}` is not an MWAA version; choose one of "
            f"{', '.join(mwaa.versions())}."
        )
    to_side = mwaa_side("to", to_version, "--to")
    if from_version in mwaa.versions():
        if from_python or from_constraints:
            raise UsageError(
                f"MWAA {from_version} has its own Python and constraints; "
                "`--from-python`/`--from-constraints` are for Airflow versions MWAA does not run."
            )
        return mwaa_side("from", from_version, "--from"), to_side
    return airflow_side("from", from_version, from_python, from_constraints, "--from"), to_side
