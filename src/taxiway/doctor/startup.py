"""Checks of an MWAA startup script (``startup.sh``).

MWAA runs the script with ``/bin/bash`` on every component before installing requirements.
Checks: ``bash -n`` syntax, a shebang, exports of variables MWAA protects, and package
managers that do not exist on Amazon Linux.

The protected names are the one list in the MWAA version data
(``taxiway.mwaa.reserved_env``, ``mwaa/data/reserved_env.csv``, sources in its README):
MWAA's own protected variables (every ``MWAA__*`` too) and the essential Airflow settings
MWAA always sets last, which override whatever the script exports.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from taxiway.errors import ToolchainError, UsageError
from taxiway.findings import Finding, Severity
from taxiway.mwaa import MwaaRelease, reserved_env

_WRONG_MANAGERS = ("apt-get", "apt", "dpkg", "apk", "brew", "zypper")
_EXPORT = re.compile(r"^\s*(?:export|declare\s+-x|typeset\s+-x)\s+(.+)$")
_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:=|$)")


def is_protected(name: str, airflow_major: int | None = None) -> bool:
    """Whether MWAA ignores (or refuses) a startup script's value for ``name``."""
    return reserved_env(airflow_major).is_reserved(name)


def bash_syntax(path: Path) -> tuple[int, str] | None:
    """``bash -n`` on ``path``: None when the syntax is fine, else (line, message)."""
    bash = shutil.which("bash")
    if bash is None:
        raise ToolchainError("`bash` is not on PATH; install bash to check startup scripts.")
    proc = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True, check=False)
    if proc.returncode == 0:
        return None
    message = proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else "syntax error"
    m = re.search(r"line (\d+):", message)
    return (int(m.group(1)) if m else 1, message.split(": ", 2)[-1])


def _commands(line: str) -> list[str]:
    """The command words of one script line (after `sudo`, for each `&&`/`;`/`|` part)."""
    words = []
    for part in re.split(r"&&|\|\||;|\|", line):
        tokens = part.split()
        while tokens and (tokens[0] in ("sudo", "exec", "time") or "=" in tokens[0]):
            tokens = tokens[1:]
        if tokens:
            words.append(tokens[0])
    return words


def check_startup(path: Path, release: MwaaRelease) -> list[Finding]:
    """Findings for one startup script against ``release``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read startup script `{path}`: {exc}; check the path.") from exc
    name = path.name
    out: list[Finding] = []
    if not text.startswith("#!"):
        out.append(
            Finding(
                "missing-shebang",
                Severity.WARNING,
                name,
                f"`{name}` has no `#!` line; say which shell it is written for.",
                "Start the file with `#!/bin/sh` or `#!/bin/bash`.",
                name,
                1,
            )
        )
    syntax = bash_syntax(path)
    if syntax is not None:
        out.append(
            Finding(
                "parse-error",
                Severity.ERROR,
                name,
                f"`bash -n` rejects `{name}`: {syntax[1]}.",
                "Fix the syntax; MWAA would fail the component's startup.",
                name,
                syntax[0],
            )
        )
    pm = "dnf" if release.base_os.endswith("2023") else "yum"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith("#!") else ""
        m = _EXPORT.match(line)
        if m:
            for word in m.group(1).split():
                nm = _NAME.match(word)
                if nm and is_protected(nm.group(1), release.airflow_major):
                    out.append(
                        Finding(
                            "reserved-env-var",
                            Severity.ERROR,
                            nm.group(1),
                            f"`{name}` exports `{nm.group(1)}`, which MWAA reserves; MWAA "
                            "drops the value or the component fails to start.",
                            "Remove the export; set Airflow options through the environment's "
                            "Airflow configuration options instead.",
                            name,
                            number,
                        )
                    )
        for cmd in dict.fromkeys(_commands(line)):
            if cmd in _WRONG_MANAGERS:
                out.append(
                    Finding(
                        "wrong-package-manager",
                        Severity.ERROR,
                        cmd,
                        f"`{cmd}` does not exist on MWAA {release.version}'s {release.base_os}.",
                        f"Use `sudo {pm} install -y <package>` (Amazon Linux package names).",
                        name,
                        number,
                    )
                )
    return out
