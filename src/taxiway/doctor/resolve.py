"""``--resolve``: ask uv whether the requirements resolve for the target MWAA image.

``uv pip compile`` runs for the target's Python and glibc (Amazon Linux 2023: manylinux 2.34;
Amazon Linux 2: manylinux2014) with the image's pins as constraints: MWAA's essential pins
first, then the built-in packages, then the Airflow constraints file. It needs PyPI (or the
file's own index options). A failure becomes one ``resolve-failed`` finding carrying the
resolver's own explanation.

A set that resolved is cached for a day under the doctor's cache
(:func:`taxiway.doctor.wheelmeta.cache_root`, ``resolve/<hash>.txt``), keyed by everything
uv is given (requirements, pins, Python, platform): uv itself revalidates every index page
it reads even with a warm cache (about 340 requests for 170 packages, 8 s here), so a rerun
on unchanged requirements reads the file instead. A failure is never cached.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from taxiway.doctor.requirements import ParsedRequirements
from taxiway.errors import ToolchainError
from taxiway.findings import Finding, Severity
from taxiway.mwaa import MwaaRelease, normalize

_CACHE_SECONDS = 24 * 3600


def _cached(requirements: str, constraints: str, release: MwaaRelease) -> Path:
    """The cache file of one resolution: a hash of everything uv is given."""
    from taxiway.doctor.wheelmeta import cache_root

    key = "\0".join((requirements, constraints, release.python, python_platform(release)))
    return cache_root() / "resolve" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.txt"


def _store(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError:
        pass  # a read-only cache: the next run resolves again


def python_platform(release: MwaaRelease) -> str:
    """uv's ``--python-platform`` for MWAA's base image."""
    return "x86_64-manylinux_2_34" if release.base_os.endswith("2023") else "x86_64-manylinux2014"


def image_pins(release: MwaaRelease) -> dict[str, str]:
    """What the image has installed (or will force): essentials > built-ins > constraints."""
    return {**release.constraints, **release.builtins, **release.essentials}


def requirements_for_uv(parsed: ParsedRequirements) -> str:
    """The requirement lines without ``-c``/``-r`` and hashes (uv gets MWAA's pins instead)."""
    lines = [
        f"{opt.option} {opt.value}" if opt.value else opt.option
        for opt in parsed.options
        if opt.option in ("--index-url", "--extra-index-url", "--find-links", "--no-index")
    ]
    for req in parsed.requirements:
        if req.raw_name is None:
            lines.append(req.url or req.text)
            continue
        marker = f" ; {req.marker}" if req.marker else ""
        lines.append(("-e " if req.editable else "") + req.display + marker)
    return "\n".join(lines) + "\n"


def uv_binary() -> str:
    """The uv executable: the one lookup, shared with the local runner."""
    from taxiway.runner.interpreters import uv_bin

    return uv_bin()


def resolve(
    parsed: ParsedRequirements, release: MwaaRelease, timeout: float = 300
) -> list[Finding]:
    """Run ``uv pip compile``; a ``resolve-failed`` error or one ``resolved`` info finding."""
    return resolve_set(parsed, release, timeout)[0]


def resolve_set(
    parsed: ParsedRequirements, release: MwaaRelease, timeout: float = 300
) -> tuple[list[Finding], dict[str, str] | None]:
    """:func:`resolve`, and what the resolver installs ({name: version}; None when it
    failed): every distribution pip would leave installed, dependencies included, which
    is what the import checks then count (no dependency is left to guess)."""
    pins = image_pins(release)
    with tempfile.TemporaryDirectory(prefix="taxiway-resolve-") as tmp:
        reqs = Path(tmp) / "requirements.in"
        constraints = Path(tmp) / f"mwaa-{release.version}-constraints.txt"
        reqs.write_text(requirements_for_uv(parsed), encoding="utf-8")
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())), "utf-8")
        cmd = [uv_binary(), "pip", "compile", str(reqs), "-c", str(constraints)]
        # Name this interpreter: uv then skips searching PATH for a Python of the target
        # version (seconds with pyenv shims); --python-version still sets the target.
        cmd += ["--python", sys.executable, "--no-python-downloads"]
        cmd += ["--python-version", release.python, "--python-platform", python_platform(release)]
        cmd += ["--no-header", "--no-annotate", "--quiet", "--color", "never"]
        cached = _cached(reqs.read_text("utf-8"), constraints.read_text("utf-8"), release)
        if cached.is_file() and time.time() - cached.stat().st_mtime < _CACHE_SECONDS:
            proc = subprocess.CompletedProcess(cmd, 0, cached.read_text("utf-8"), "")
        else:
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=timeout, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise ToolchainError(
                    f"`uv pip compile` did not finish within {timeout:.0f} s; check network "
                    "access to the package index."
                ) from exc
            if proc.returncode == 0:
                _store(cached, proc.stdout)
    subject = parsed.path.name
    if proc.returncode != 0:
        message = proc.stderr.strip().replace(str(reqs), subject)
        return (
            [
                Finding(
                    "resolve-failed",
                    Severity.ERROR,
                    subject,
                    f"uv cannot resolve the requirements for MWAA {release.version} "
                    f"(Python {release.python}, {python_platform(release)}): {message}",
                    "Change the pins the resolver names; the built-in and constraints versions are "
                    "fixed on MWAA.",
                    subject,
                    None,
                )
            ],
            None,
        )
    resolved: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith("#"):
            resolved[normalize(name.strip())] = version.split(";")[0].strip()
    new = sorted(f"{n}=={v}" for n, v in resolved.items() if release.builtins.get(n) != v)
    return (
        [
            Finding(
                "resolved",
                Severity.INFO,
                subject,
                f"uv resolved {len(resolved)} packages for MWAA {release.version} (Python "
                f"{release.python}); {len(new)} are not in the image and will be installed"
                + (f": {', '.join(new)}." if new else "."),
                "",
                subject,
                None,
            )
        ],
        resolved,
    )
