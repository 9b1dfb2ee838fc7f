"""What to install for a target MWAA version, and the cache key of the result (pure).

MWAA builds its image with ``apache-airflow[celery,statsd]==V`` plus its built-in providers
under the Airflow constraints, then installs the user's ``requirements.txt`` on top: with
MWAA's constraints added when the file carries no ``-c`` line, and always under MWAA's
"essential" constraints (Airflow, Flask, Celery, SQLAlchemy...), which users cannot
override. This module turns that into plain data: requirement lists, constraint file texts
and a rewritten requirements text, and hashes them into a cache key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from taxiway import mwaa
from taxiway.mwaa import MwaaRelease

# Bump when the layout of a cached environment or the install recipe changes, so old
# environments are never reused by a newer taxiway.
RECIPE_VERSION = 1
AIRFLOW_EXTRAS = "celery,statsd"
_CONSTRAINT_OPT = re.compile(r"^\s*(-c|--constraint)(\s+|=)(\S+)")
_INCLUDE_OPT = re.compile(r"^\s*(-r|--requirement|-c|--constraint)(\s+|=)(\S+)")
_FIND_LINKS = re.compile(r"^\s*(-f|--find-links)(\s+|=)(\S+)")
# Where MWAA unpacks plugins.zip; offline requirements point --find-links here.
MWAA_PLUGINS_DIR = "/usr/local/airflow/plugins"
PLUGINS_PLACEHOLDER = "{plugins}"


def cache_root() -> Path:
    """``$TAXIWAY_CACHE_DIR`` or ``~/.cache/taxiway/local``."""
    override = os.environ.get("TAXIWAY_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "taxiway" / "local"


def data_text(version: str, name: str) -> str:
    """One file of the shipped MWAA data for ``version`` ("" when absent)."""
    path = resources.files("taxiway.mwaa") / "data" / version / name
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def base_requirements(release: MwaaRelease) -> list[str]:
    """Airflow with MWAA's extras plus every built-in provider at MWAA's version."""
    reqs = [f"apache-airflow[{AIRFLOW_EXTRAS}]=={release.version}"]
    reqs += sorted(
        f"{name}=={version}"
        for name, version in release.builtins.items()
        if name.startswith("apache-airflow-providers-")
    )
    return reqs


def image_requirements(release: MwaaRelease) -> list[str]:
    """The image's other built-in packages (boto3's async twin, filelock, virtualenv, ...)
    at MWAA's versions: a DAG may import them with no requirements line, and an offline
    requirements file (``--no-index``) relies on them being there, as on MWAA."""
    return sorted(
        f"{name}=={version}"
        for name, version in release.builtins.items()
        if name != "apache-airflow" and not name.startswith("apache-airflow-providers-")
    )


def constraints_text(release: MwaaRelease) -> str:
    """MWAA's copy of the Airflow constraints; else the pins we know (older versions)."""
    text = data_text(release.version, "airflow_constraints.txt")
    if text.strip():
        return text
    return "".join(f"{name}=={version}\n" for name, version in sorted(release.constraints.items()))


def essentials_text(release: MwaaRelease) -> str:
    """The pins MWAA never lets user requirements override; Airflow itself always."""
    pins = dict(release.essentials)
    pins.setdefault("apache-airflow", release.version)
    return "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?:[<>=!~;@ ]|$)")


def requirement_name(line: str) -> str | None:
    """The canonical package name of a requirements line (None: comment, option, URL)."""
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith(("#", "-")) or "://" in text.split("@", 1)[0]:
        return None
    m = _REQUIREMENT.match(text)
    return re.sub(r"[-_.]+", "-", m.group(1)).lower() if m else None


def has_constraint_line(text: str) -> bool:
    """True when a requirements text carries its own ``-c``/``--constraint`` line."""
    return any(_CONSTRAINT_OPT.match(line.split("#", 1)[0]) for line in text.splitlines())


def known_constraints_urls() -> dict[str, str]:
    """Constraints URL -> MWAA version, for every version in the data."""
    return {mwaa.release(v).constraints_url: v for v in mwaa.versions()}


@dataclass(frozen=True)
class UserRequirements:
    """The user's requirements rewritten for an install outside the project folder.

    Relative ``-r``/``-c`` paths become absolute; a ``-c`` pointing at a known constraints
    URL is served from the shipped data (offline, and identical to what MWAA uses).
    ``add_mwaa_constraints`` says whether MWAA would add its own constraints.
    """

    text: str
    add_mwaa_constraints: bool
    local_constraints: dict[str, str] = field(default_factory=dict)  # url -> version
    uses_plugins: bool = False  # --find-links into MWAA's plugins folder


def rewrite_requirements(text: str, base_dir: Path) -> UserRequirements:
    """Rewrite ``text`` (a requirements file read from ``base_dir``); see UserRequirements."""
    urls = known_constraints_urls()
    out: list[str] = []
    substituted: dict[str, str] = {}
    uses_plugins = False
    for line in text.splitlines():
        links = _FIND_LINKS.match(line.split("#", 1)[0])
        if links and links.group(3).rstrip("/").startswith(MWAA_PLUGINS_DIR):
            # wheels shipped in plugins.zip (see `local package-requirements`)
            out.append(f"--find-links {PLUGINS_PLACEHOLDER}")
            uses_plugins = True
            continue
        m = _INCLUDE_OPT.match(line.split("#", 1)[0])
        if m:
            target = m.group(3).strip("\"'")  # pip accepts a quoted URL
            if target in urls and m.group(1) in ("-c", "--constraint"):
                substituted[target] = urls[target]
                out.append(f"-c {{constraints:{urls[target]}}}")
                continue
            if "://" not in target and not Path(target).is_absolute():
                out.append(f"{m.group(1)} {(base_dir / target).resolve()}")
                continue
        out.append(line)
    return UserRequirements(
        text="\n".join(out) + ("\n" if out else ""),
        add_mwaa_constraints=not has_constraint_line(text),
        local_constraints=substituted,
        uses_plugins=uses_plugins,
    )


def tree_digest(path: Path) -> str:
    """A content hash of a file or of every file under a folder (names and bytes)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(file.relative_to(path if path.is_dir() else path.parent).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class EnvSpec:
    """Everything that decides the content of one cached environment."""

    release: MwaaRelease
    python: str  # the interpreter's full version, "3.12.1"
    interpreter: str  # its path
    base: tuple[str, ...]
    image: tuple[str, ...]  # the image's other built-ins, installed after ``base``
    constraints: str
    essentials: str
    user: UserRequirements | None
    plugins: Path | None = None  # wheels for --find-links, when the requirements use them
    plugins_digest: str | None = None

    @property
    def key(self) -> str:
        """A stable hash of the recipe and its inputs."""
        doc = {
            "recipe": RECIPE_VERSION,
            "mwaa": self.release.version,
            "python": self.python,
            "interpreter": self.interpreter,
            "base": list(self.base),
            "image": list(self.image),
            "constraints": hashlib.sha256(self.constraints.encode()).hexdigest(),
            "essentials": hashlib.sha256(self.essentials.encode()).hexdigest(),
            "user": self.user.text if self.user else None,
            "user_mwaa_constraints": self.user.add_mwaa_constraints if self.user else None,
            "plugins": self.plugins_digest,
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def dirname(self) -> str:
        minor = ".".join(self.python.split(".")[:2])
        return f"mwaa-{self.release.version}-py{minor}-{self.key}"


def env_spec(
    release: MwaaRelease,
    python: str,
    interpreter: str,
    requirements: Path | None,
    plugins: Path | None = None,
) -> EnvSpec:
    """Build the spec for ``release`` on one interpreter with an optional requirements file.

    ``plugins`` (the project's plugins folder or zip) matters only when the requirements
    install from it (``--find-links /usr/local/airflow/plugins``); its content is then
    part of the key.
    """
    user = None
    if requirements is not None:
        user = rewrite_requirements(
            requirements.read_text(encoding="utf-8"), requirements.parent.resolve()
        )
        if not any(line.split("#", 1)[0].strip() for line in user.text.splitlines()):
            user = None  # only comments: MWAA installs nothing
    return EnvSpec(
        release=release,
        python=python,
        interpreter=interpreter,
        base=tuple(base_requirements(release)),
        image=tuple(image_requirements(release)),
        constraints=constraints_text(release),
        essentials=essentials_text(release),
        user=user,
        plugins=plugins if user is not None and user.uses_plugins else None,
        plugins_digest=(
            tree_digest(plugins)
            if plugins is not None and user is not None and user.uses_plugins
            else None
        ),
    )
