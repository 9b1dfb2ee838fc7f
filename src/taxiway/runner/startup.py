"""Run a project's startup script the way MWAA does: bash, a scratch environment, 5 minutes.

MWAA sources ``startup.sh`` with ``/bin/bash`` on every component before it installs
requirements, gives up after five minutes, and then reads back the variables the script
exported. Variables it reserves (``AIRFLOW_HOME``, ``PYTHONPATH``, anything ``MWAA__*``...)
are silently dropped, which is exactly the kind of surprise to report before deploying.
The list is the MWAA version data's (``taxiway.mwaa.reserved_env``), shared with the doctor.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from taxiway.errors import ToolchainError
from taxiway.findings import Finding, Severity
from taxiway.mwaa import reserved_env

MWAA_TIMEOUT_SECONDS = 300.0
# Set by bash itself; never "exported by the script".
_SHELL_NOISE = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})

# `source` (not `bash script`) so `export` reaches the parent shell, as on MWAA; the trap
# dumps the environment however the script ends, `exit 3` included.
_WRAPPER = """out="$1"; shift
trap 'env -0 > "$out"' EXIT
source "$@"
"""


def is_reserved(name: str, airflow_major: int | None = None) -> bool:
    """True when MWAA ignores ``name`` if a startup script exports it (one list for the
    doctor and the runner: ``taxiway.mwaa.reserved_env``)."""
    return reserved_env(airflow_major).is_reserved(name)


@dataclass
class StartupResult:
    """How the script ended and what it exported (names only: values may be secrets)."""

    exit_code: int | None  # None: killed at the time limit
    seconds: float
    exported: list[str] = field(default_factory=list)
    output_tail: str = ""


def scratch_environment(home: Path, venv_bin: Path, mwaa_version: str) -> dict[str, str]:
    """A clean environment like a fresh MWAA container's, with the venv first on PATH."""
    path = os.pathsep.join([str(venv_bin), "/usr/local/sbin", "/usr/local/bin", "/usr/bin", "/bin"])
    return {
        "HOME": str(home),
        "PATH": path,
        "LANG": "C.UTF-8",
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW_VERSION": mwaa_version,
        "MWAA_AIRFLOW_COMPONENT": "worker",
        "MWAA__CORE__STARTUP_SCRIPT_PATH": str(home / "startup.sh"),
        "PYTHONUNBUFFERED": "1",
    }


def _read_env(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    env: dict[str, str] = {}
    for item in path.read_bytes().split(b"\0"):
        if b"=" in item:
            key, _, value = item.partition(b"=")
            env[key.decode(errors="replace")] = value.decode(errors="replace")
    return env


def run_startup(
    script: Path,
    venv_bin: Path,
    mwaa_version: str,
    timeout: float = MWAA_TIMEOUT_SECONDS,
) -> StartupResult:
    """Source ``script`` with bash in a scratch HOME; kill its process group at ``timeout``."""
    bash = shutil.which("bash")
    if bash is None:
        raise ToolchainError("`bash` is not on PATH; install bash to run the startup script.")
    with tempfile.TemporaryDirectory(prefix="taxiway-startup-") as tmp:
        home = Path(tmp)
        (home / "airflow").mkdir()
        shutil.copy(script, home / "startup.sh")
        env = scratch_environment(home, venv_bin, mwaa_version)
        dump = home / ".env-after"
        started = time.perf_counter()
        proc = subprocess.Popen(
            [bash, "-c", _WRAPPER, "wrapper", str(dump), str(home / "startup.sh")],
            cwd=home,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a group to kill: the script may start children
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            code = None
        seconds = time.perf_counter() - started
        after = _read_env(dump)
        exported = sorted(k for k, v in after.items() if k not in _SHELL_NOISE and env.get(k) != v)
    tail = "\n".join(output.decode(errors="replace").strip().splitlines()[-10:])
    return StartupResult(exit_code=code, seconds=seconds, exported=exported, output_tail=tail)


def startup_findings(result: StartupResult, file: str, timeout: float) -> list[Finding]:
    """Exit status, time-out and reserved exports as findings."""
    findings: list[Finding] = []
    if result.exit_code is None:
        findings.append(
            Finding(
                code="startup-timeout",
                severity=Severity.ERROR,
                subject=file,
                message=f"`{file}` was still running after {timeout:.0f} s; MWAA stops "
                "startup scripts after 5 minutes and the component fails to start.",
                hint="Move long installs into requirements.txt or a custom image step.",
                file=file,
            )
        )
    elif result.exit_code != 0:
        findings.append(
            Finding(
                code="startup-failed",
                severity=Severity.ERROR,
                subject=file,
                message=f"`{file}` exited with status {result.exit_code} after "
                f"{result.seconds:.1f} s. Last output:\n{result.output_tail}",
                hint="MWAA logs this and the environment update fails; run the script "
                "with `bash -x` to see the failing command.",
                file=file,
            )
        )
    for name in result.exported:
        if is_reserved(name):
            findings.append(
                Finding(
                    code="startup-reserved-variable",
                    severity=Severity.WARNING,
                    subject=name,
                    message=f"`{file}` exports `{name}`, which MWAA reserves: the value is "
                    "ignored and Airflow never sees it.",
                    hint=f"Remove the export of `{name}`; use another variable name "
                    "(PATH, LD_LIBRARY_PATH and JAVA_HOME may be changed).",
                    file=file,
                )
            )
    if result.exit_code == 0:
        exported = ", ".join(result.exported) or "nothing"
        findings.append(
            Finding(
                code="startup-ok",
                severity=Severity.INFO,
                subject=file,
                message=f"`{file}` finished in {result.seconds:.1f} s; exported: {exported}.",
                file=file,
            )
        )
    return findings
