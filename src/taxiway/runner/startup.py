"""Run a project's startup script the way MWAA does: bash, MWAA's variables, 5 minutes.

MWAA sources ``startup.sh`` with ``/bin/bash`` on every component before Airflow starts,
gives up after five minutes, and then reads back the variables the script exported: they
are what the scheduler, the DAG processor and the workers see. Variables it reserves
(``AIRFLOW_HOME``, ``PYTHONPATH``, anything ``MWAA__*``...) are silently dropped, which is
exactly the kind of surprise to report before deploying. The list is the MWAA version data's
(``taxiway.mwaa.reserved_env``), shared with the doctor.

The script runs in the run's :class:`~taxiway.runner.sandbox.Container`: by default the
bubblewrap sandbox (host read-only, no network, shims for the package managers), on the host
only when the user asked for it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from taxiway.errors import ToolchainError
from taxiway.findings import Finding, Severity
from taxiway.mwaa import reserved_env
from taxiway.runner.sandbox import Container, setup_error
from taxiway.runner.shims import Call, call_findings, read_calls

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
    """How the script ended and what it exported and tried to install.

    ``exported`` lists names (reports show names only: values may be secrets); ``exports``
    holds the values, for the commands that run after the script, never for printing.
    ``path_added`` is what the script put before and after PATH.
    """

    exit_code: int | None  # None: killed at the time limit
    seconds: float
    exported: list[str] = field(default_factory=list)
    output_tail: str = ""
    exports: dict[str, str] = field(default_factory=dict, repr=False)
    path_added: tuple[str, str] = ("", "")
    calls: list[Call] = field(default_factory=list)
    sandboxed: bool = False
    network: bool = True


def scratch_environment(
    home: Path | str,
    venv_bin: Path,
    mwaa_version: str,
    script: str | None = None,
    shims: str | None = None,
) -> dict[str, str]:
    """A clean environment like a fresh MWAA container's, with the venv first on PATH
    (after the package-manager ``shims``, when given)."""
    entries = [str(venv_bin), "/usr/local/sbin", "/usr/local/bin", "/usr/bin", "/bin"]
    if shims:
        entries.insert(0, shims)
    return {
        "HOME": str(home),
        "PATH": os.pathsep.join(entries),
        "LANG": "C.UTF-8",
        "AIRFLOW_HOME": str(home) if script else str(Path(home) / "airflow"),
        "AIRFLOW_VERSION": mwaa_version,
        "MWAA_AIRFLOW_COMPONENT": "worker",
        "MWAA__CORE__STARTUP_SCRIPT_PATH": script or str(Path(home) / "startup.sh"),
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


def _path_added(before: str, after: str, shims: str) -> tuple[str, str]:
    """What a script put around PATH: (prefix, suffix) for another PATH to get the same."""
    if before and before in after:
        prefix, _, suffix = after.partition(before)
        return prefix, suffix
    kept = [p for p in after.split(os.pathsep) if p and p != shims]
    return os.pathsep.join(kept) + os.pathsep, ""  # replaced: its entries go first


def run_startup(
    box: Container,
    venv_bin: Path,
    mwaa_version: str,
    timeout: float = MWAA_TIMEOUT_SECONDS,
    network: bool = False,
) -> StartupResult:
    """Source the box's startup script with bash; kill its process group at ``timeout``.

    In the sandbox the user's home is hidden and the network is off unless ``network``.
    """
    bash = shutil.which("bash")
    if bash is None:
        raise ToolchainError("`bash` is not on PATH; install bash to run the startup script.")
    script = box.path("startup")
    if script is None:
        raise ToolchainError("The project has no startup script to run.")  # caller's bug
    wrapper = box.shims.parent / "startup-wrapper.sh"
    wrapper.write_text(_WRAPPER, encoding="utf-8")
    dump = box.out / "env-after"
    shims = box.inside(box.shims)
    env = scratch_environment(box.home_path, venv_bin, mwaa_version, script, shims)
    command = [bash, "-c", _WRAPPER, "wrapper", box.inside(dump), script]
    started = time.perf_counter()
    proc = subprocess.Popen(
        box.argv(command, network=network, hide_home=True),
        cwd=box.home,
        env=env,
        stdin=subprocess.DEVNULL,
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
    text = output.decode(errors="replace")
    if box.sandboxed and code == 1 and (failure := setup_error(text)):
        raise ToolchainError(f"The sandbox for the startup script did not start: {failure}")
    after = _read_env(dump)
    exports = {k: v for k, v in after.items() if k not in _SHELL_NOISE and env.get(k) != v}
    tail = "\n".join(text.strip().splitlines()[-10:])
    return StartupResult(
        exit_code=code,
        seconds=seconds,
        exported=sorted(exports),
        output_tail=tail,
        exports=exports,
        path_added=_path_added(env["PATH"], exports.get("PATH", env["PATH"]), shims),
        calls=read_calls(box.out / "record"),
        sandboxed=box.sandboxed,
        network=network or not box.sandboxed,
    )


def applied_exports(result: StartupResult, airflow_major: int | None = None) -> dict[str, str]:
    """The exports MWAA hands on to Airflow: all but the reserved ones (and PATH, which
    :func:`with_exports` extends instead of replacing)."""
    return {
        k: v for k, v in result.exports.items() if k != "PATH" and not is_reserved(k, airflow_major)
    }


def with_exports(
    env: dict[str, str], result: StartupResult | None, airflow_major: int | None = None
) -> dict[str, str]:
    """``env`` with what the startup script exported applied, as MWAA applies it."""
    if result is None:
        return env
    out = {**env, **applied_exports(result, airflow_major)}
    prefix, suffix = result.path_added
    if prefix or suffix:
        out["PATH"] = prefix + env.get("PATH", "") + suffix
    return out


def startup_findings(
    result: StartupResult,
    file: str,
    timeout: float,
    airflow_major: int | None = None,
    base_os: str = "amazonlinux:2023",
    requirements: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Exit status, time-out, reserved exports and recorded installs as findings.

    ``requirements`` holds the canonical names requirements.txt installs (pip installs of
    those are no news).
    """
    findings: list[Finding] = []
    offline = (
        " The sandbox has no network (pass `--startup-network` if the script needs it)."
        if not result.network
        else ""
    )
    if result.exit_code is None:
        findings.append(
            Finding(
                code="startup-timeout",
                severity=Severity.ERROR,
                subject=file,
                message=f"`{file}` was still running after {timeout:.0f} s; MWAA stops "
                "startup scripts after 5 minutes and the component fails to start.",
                hint="Move long installs into requirements.txt or a custom image step." + offline,
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
                "with `bash -x` to see the failing command." + offline,
                file=file,
            )
        )
    for name in result.exported:
        if is_reserved(name, airflow_major):
            findings.append(
                Finding(
                    code="startup-reserved-variable",
                    severity=Severity.WARNING,
                    subject=name,
                    message=f"`{file}` exports `{name}`, which MWAA reserves: the value is "
                    "ignored and Airflow never sees it (nor did the DAG import here).",
                    hint=f"Remove the export of `{name}`; use another variable name "
                    "(PATH, LD_LIBRARY_PATH and JAVA_HOME may be changed).",
                    file=file,
                )
            )
    findings += call_findings(result.calls, file, base_os, set(requirements))
    if not result.sandboxed:
        findings.append(
            Finding(
                code="startup-unsandboxed",
                severity=Severity.WARNING,
                subject=file,
                message=f"`{file}` ran on this machine as your user (`--unsafe-host-startup`), "
                "not in the sandbox: whatever it wrote outside the project stays.",
                hint="Install bubblewrap (`sudo apt-get install -y bubblewrap`) and drop "
                "`--unsafe-host-startup`.",
                file=file,
            )
        )
    if result.exit_code == 0:
        exported = ", ".join(result.exported) or "nothing"
        where = (
            f"in the sandbox (read-only host, {'with' if result.network else 'no'} network)"
            if result.sandboxed
            else "on the host"
        )
        findings.append(
            Finding(
                code="startup-ok",
                severity=Severity.INFO,
                subject=file,
                message=f"`{file}` finished in {result.seconds:.1f} s {where}; "
                f"exported: {exported}.",
                file=file,
            )
        )
    return findings
