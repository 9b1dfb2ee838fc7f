"""``taxiway local package-requirements``: wheels for MWAA's platform in a plugins zip.

Environments without internet access (private MWAA) install requirements from wheels
shipped in ``plugins.zip``, which MWAA unpacks into ``/usr/local/airflow/plugins``; the
requirements file then says ``--no-index --find-links /usr/local/airflow/plugins``. The
wheels must be for MWAA's machine (Amazon Linux, x86_64, glibc 2.34, the target's Python),
never the host's: on an Apple Silicon laptop a plain ``pip download`` fetches arm64 macOS
wheels that MWAA cannot use. pip's ``--platform``/``--python-version`` with
``--only-binary=:all:`` then fetch for that target, and fail for a package that has no
such wheel, which is exactly what MWAA would hit.

Only what the image lacks goes in the zip. A provider depends on ``apache-airflow``, so a
plain ``pip download`` of it fetches Airflow's whole tree, and fails on the image's own
sdist-only pins (``dill==0.3.1.1``) although MWAA never installs them again. So the set
is resolved first, as the doctor's ``--resolve`` does (uv, MWAA's Python and platform,
the image's pins), every distribution the image already has at that version is dropped,
and the rest is downloaded with ``--no-deps``.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway import mwaa
from taxiway.doctor.requirements import parse_requirements
from taxiway.doctor.resolve import resolve_set
from taxiway.errors import ToolchainError, UsageError
from taxiway.findings import Finding, Severity
from taxiway.runner import target
from taxiway.runner.interpreters import uv_bin, uv_env
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import find_layout
from taxiway.runner.target import MWAA_PLUGINS_DIR

# AL2023 has glibc 2.34; pip expands a manylinux tag to every older compatible one.
PLATFORMS = ("manylinux_2_34_x86_64", "manylinux2014_x86_64")
_NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)")
_OPTION = re.compile(r"^\s*-")
_NOISE = re.compile(r"^\s*(WARNING: Location '.*' is ignored|Collecting |Downloading |\s*━)")


@dataclass
class PackageResult:
    """Where the zip and the requirements went, and the findings."""

    findings: list[Finding] = field(default_factory=list)
    zip_path: Path | None = None
    requirements_path: Path | None = None
    wheels: list[str] = field(default_factory=list)

    def extra(self) -> dict[str, Any]:
        return {
            "zip": str(self.zip_path) if self.zip_path else None,
            "requirements": str(self.requirements_path) if self.requirements_path else None,
            "wheels": self.wheels,
        }


def pip_download_command(
    release: mwaa.MwaaRelease, requirements: Path, constraints: list[Path], dest: Path
) -> list[str]:
    """``pip download`` for MWAA's platform, run through uv's tool runner."""
    cmd = [
        uv_bin(),
        "tool",
        "run",
        "--from",
        "pip",
        "pip",
        "download",
        "--disable-pip-version-check",
    ]
    cmd += ["-r", str(requirements), "--no-deps"]
    for path in constraints:
        cmd += ["-c", str(path)]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    cmd += [
        "--python-version",
        release.python,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "-d",
        str(dest),
    ]
    return cmd


def missing_wheels(pip_output: str) -> list[str]:
    """Names pip could not find a wheel for, in order, without duplicates."""
    names: list[str] = []
    for m in _NO_MATCH.finditer(pip_output):
        name = re.split(r"[<>=!~;\[ ]", m.group(1), maxsplit=1)[0]
        if name not in names:
            names.append(name)
    return names


def offline_requirements(text: str) -> str:
    """The requirements MWAA installs from the zip: options dropped, index switched off."""
    lines = [f"--find-links {MWAA_PLUGINS_DIR}", "--no-index"]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not _OPTION.match(line):
            lines.append(line)
    return "\n".join(lines) + "\n"


def package_requirements(
    project_dir: Path,
    mwaa_version: str,
    out: Path,
    requirements_out: Path | None = None,
    progress: Progress = quiet,
    requirements: Path | None = None,
) -> PackageResult:
    """Download MWAA-platform wheels for the project's requirements into ``out`` (a zip)."""
    release = mwaa.release(mwaa_version)
    layout = find_layout(project_dir, requirements=requirements)
    if layout.requirements is None:
        raise UsageError(
            f"`{project_dir}` has no requirements.txt; nothing to package "
            "(put it at the project root or in requirements/, or pass --requirements)."
        )
    spec = target.env_spec(release, release.python_full, "", layout.requirements)
    result = PackageResult()
    if spec.user is None:
        raise UsageError(f"`{layout.requirements}` lists no requirement; nothing to package.")
    requirements_out = requirements_out or out.with_name("requirements.txt")
    progress(f"Resolving for MWAA {release.version} (CPython {release.python}, manylinux x86_64)")
    resolve_findings, resolved = resolve_set(parse_requirements(layout.requirements), release)
    if resolved is None:
        result.findings += resolve_findings
        return result
    wanted = sorted(f"{n}=={v}" for n, v in resolved.items() if release.builtins.get(n) != v)
    if not wanted:
        raise UsageError(
            f"Everything `{layout.requirements}` asks for is already in MWAA "
            f"{release.version}'s image; there is nothing to package."
        )
    with tempfile.TemporaryDirectory(prefix="taxiway-package-") as tmp:
        work = Path(tmp)
        pinned = work / "resolved.txt"
        pinned.write_text("\n".join(wanted) + "\n", encoding="utf-8")
        wheels_dir = work / "wheels"
        cmd = pip_download_command(release, pinned, [], wheels_dir)
        progress(
            f"Downloading {len(wanted)} wheel(s) the image lacks for manylinux x86_64 / "
            f"CPython {release.python} (MWAA {release.version})"
        )
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=uv_env(), timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolchainError(f"`pip download` could not run: {exc}") from exc
        output = proc.stdout + "\n" + proc.stderr
        if proc.returncode != 0:
            result.findings += _failure_findings(output, release)
            return result
        wheels = sorted(wheels_dir.glob("*.whl"))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for wheel in wheels:
                zf.write(wheel, wheel.name)
    requirements_out.write_text(
        offline_requirements(layout.requirements.read_text(encoding="utf-8")), encoding="utf-8"
    )
    result.zip_path, result.requirements_path = out, requirements_out
    result.wheels = [w.name for w in wheels]
    size = out.stat().st_size / 1e6
    result.findings.append(
        Finding(
            code="package-written",
            severity=Severity.INFO,
            subject=out.name,
            message=f"{len(wheels)} wheel(s) for manylinux x86_64 / CPython {release.python} "
            f"in `{out}` ({size:.1f} MB); requirements for it in `{requirements_out}`.",
            hint="Upload both to the environment's bucket (add your own plugins to the zip).",
        )
    )
    return result


def _failure_findings(output: str, release: mwaa.MwaaRelease) -> list[Finding]:
    missing = missing_wheels(output)
    if not missing:
        # pip's own lines, without its notes on index locations of the host's pip config
        lines = [ln for ln in output.strip().splitlines() if ln.strip() and not _NOISE.match(ln)]
        tail = "\n".join(lines)[-2000:]
        return [
            Finding(
                code="download-failed",
                severity=Severity.ERROR,
                subject="requirements.txt",
                message=f"`pip download` failed for MWAA {release.version}:\n{tail}",
                hint="Check the pins against MWAA's constraints (`taxiway doctor`).",
                file="requirements.txt",
            )
        ]
    return [
        Finding(
            code="no-wheel",
            severity=Severity.ERROR,
            subject=name,
            message=f"`{name}` has no wheel for MWAA's platform (manylinux x86_64, CPython "
            f"{release.python}) that satisfies the requirements and constraints; MWAA cannot "
            "install it from plugins.zip.",
            hint=f"Pick a `{name}` version that publishes a manylinux x86_64 wheel, or build "
            "one (e.g. `pip wheel` in an amazonlinux:2023 container) and add it to the zip.",
            file="requirements.txt",
        )
        for name in missing
    ]
