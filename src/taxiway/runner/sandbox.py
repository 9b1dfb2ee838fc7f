"""Where the project's code runs: a bubblewrap sandbox laid out like MWAA's container.

A startup script, a DAG file at parse time and an Airflow command are code from the project
being migrated. On MWAA they run as the ``airflow`` user inside MWAA's container, never on a
developer's machine, so here they run in a sandbox (`bwrap`, Debian package `bubblewrap`,
unprivileged) laid out as MWAA lays the container out::

    /                           the host, read-only
    /usr/local/airflow          HOME and AIRFLOW_HOME: a private, writable folder
      dags/ plugins/            the project, read-only (plugins.zip unpacked, as MWAA does)
      requirements/requirements.txt, startup/startup.sh
    /tmp                        private and writable, shared by everything of one run
    /usr/local/taxiway/bin      shims for sudo, yum, dnf, apt-get, pip (see ``shims``)
    /usr/local/taxiway/out      what the shims recorded and the startup script exported

The user's own home is hidden from the startup script (SSH keys, AWS credentials), and the
network is off for it unless asked for. The DAG import and Airflow commands keep the network
and the home: on MWAA DAGs reach AWS, and here they do it with the developer's credentials.

Without a sandbox (``--unsafe-host-startup``, or no bwrap and nothing to sandbox) the same
:class:`Container` runs commands on the host with host paths: one code path for both.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from taxiway.errors import ToolchainError

MWAA_HOME = "/usr/local/airflow"
CONTROL = "/usr/local/taxiway"
#: where MWAA puts each part of the project (the bucket's objects) in its container
MWAA_PATHS = {
    "dags": f"{MWAA_HOME}/dags",
    "plugins": f"{MWAA_HOME}/plugins",
    "requirements": f"{MWAA_HOME}/requirements/requirements.txt",
    "startup": f"{MWAA_HOME}/startup/startup.sh",
}
#: MWAA's containers run Airflow as `airflow`, uid 1000
AIRFLOW_UID = 1000
INSTALL_COMMAND = "sudo apt-get install -y bubblewrap"
_PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\n"
    f"airflow:x:{AIRFLOW_UID}:{AIRFLOW_UID}:airflow:{MWAA_HOME}:/bin/bash\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
)
_GROUP = f"root:x:0:\nairflow:x:{AIRFLOW_UID}:\nnogroup:x:65534:\n"


def _base_args(bwrap: str) -> list[str]:
    return [
        bwrap,
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--unshare-all",  # network too; `--share-net` gives it back
        "--unshare-user", "--uid", str(AIRFLOW_UID), "--gid", str(AIRFLOW_UID),
        "--die-with-parent",
    ]  # fmt: skip


@functools.cache
def _failure(bwrap: str) -> str | None:
    """None when ``bwrap`` can build a sandbox here, else its error (user namespaces off)."""
    try:
        out = subprocess.run(
            [*_base_args(bwrap), "--", "true"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if out.returncode == 0 else (out.stderr.strip() or f"exit {out.returncode}")


def setup_error(output: str) -> str | None:
    """bwrap's own error when it could not build the sandbox (a path it cannot bind ...)."""
    first = output.lstrip().splitlines()[0] if output.strip() else ""
    return first if first.startswith("bwrap: ") else None


def find_bwrap() -> str | None:
    """The bwrap executable when it exists and works here, else None."""
    bwrap = shutil.which("bwrap")
    if bwrap is None or _failure(bwrap) is not None:
        return None
    return bwrap


def require_bwrap() -> str:
    """The bwrap executable; a ToolchainError saying how to install it (or why it fails)."""
    ways_out = (
        "or pass `--no-startup` to skip the startup script, or `--unsafe-host-startup` "
        "to run it on this machine as your user"
    )
    if not sys.platform.startswith("linux"):
        raise ToolchainError(
            "The startup script runs in a bubblewrap sandbox, which exists on Linux only; "
            f"run on Linux (a VM or CI), {ways_out}."
        )
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise ToolchainError(
            "The startup script runs in a sandbox and `bwrap` is not installed: "
            f"`{INSTALL_COMMAND}` (Fedora/Amazon Linux: `sudo dnf install -y bubblewrap`), "
            f"{ways_out}."
        )
    failure = _failure(bwrap)
    if failure is not None:
        raise ToolchainError(
            f"`bwrap` cannot create a sandbox here: {failure}. Unprivileged user namespaces "
            "are probably off (Ubuntu 24.04: `sudo sysctl -w "
            f"kernel.apparmor_restrict_unprivileged_userns=0`), {ways_out}."
        )
    return bwrap


@dataclass(frozen=True)
class Container:
    """One run's container: host folders, and how commands see them.

    ``bwrap`` None means the host itself: commands see the host paths. ``readable`` are host
    paths the commands need where the sandbox hides the host (its own /tmp, the user's home
    for the startup script): the environment, its interpreter. ``writable`` are host paths
    written in place (the environment's bytecode cache).
    """

    scratch: Path
    home: Path
    parts: Mapping[str, Path]
    bwrap: str | None
    readable: tuple[Path, ...] = ()
    writable: tuple[Path, ...] = ()

    @property
    def sandboxed(self) -> bool:
        return self.bwrap is not None

    @property
    def home_path(self) -> str:
        """HOME and AIRFLOW_HOME as the commands see it."""
        return MWAA_HOME if self.sandboxed else str(self.home)

    def path(self, part: str) -> str | None:
        """Where a part (``dags``, ``plugins``, ...) is, as the commands see it."""
        if part not in self.parts:
            return None
        return MWAA_PATHS[part] if self.sandboxed else str(self.parts[part])

    @property
    def out(self) -> Path:
        """Host folder with the shims' record and the startup script's exports."""
        return self.scratch / "control" / "out"

    @property
    def shims(self) -> Path:
        return self.scratch / "control" / "bin"

    def inside(self, host: Path) -> str:
        """A file of the control folder as the commands see it."""
        rel = host.relative_to(self.scratch / "control")
        return f"{CONTROL}/{rel.as_posix()}" if self.sandboxed else str(host)

    def argv(self, command: list[str], *, network: bool, hide_home: bool = False) -> list[str]:
        """``command`` wrapped in the sandbox (unchanged on the host)."""
        if self.bwrap is None:
            return list(command)
        args = _base_args(self.bwrap)
        if network:
            args.append("--share-net")
        args += ["--bind", str(self.scratch / "tmp"), "/tmp"]
        # /usr/local: the host's entries again, on a private tmpfs where MWAA's folders fit.
        args += ["--tmpfs", "/usr/local"]
        for entry in sorted(Path("/usr/local").iterdir()):
            if entry.is_symlink():
                args += ["--symlink", os.readlink(entry), str(entry)]
            else:
                args += ["--ro-bind", str(entry), str(entry)]
        args += ["--bind", str(self.home), MWAA_HOME]
        for part, source in sorted(self.parts.items()):
            args += ["--ro-bind", str(source), MWAA_PATHS[part]]
        control = self.scratch / "control"
        args += ["--ro-bind", str(control / "bin"), f"{CONTROL}/bin"]
        args += ["--bind", str(control / "out"), f"{CONTROL}/out"]
        args += ["--ro-bind", str(control / "passwd"), "/etc/passwd"]
        args += ["--ro-bind", str(control / "group"), "/etc/group"]
        remount = ["/usr/local"]
        hidden = [Path("/tmp")]  # the private /tmp hides the host's: bind back what is needed
        user_home = Path.home()
        if hide_home and user_home != Path("/") and user_home.is_dir():
            args += ["--tmpfs", str(user_home)]
            remount.append(str(user_home))
            hidden.append(user_home)
        for path in self.readable:
            if path.exists() and any(path.is_relative_to(h) for h in hidden):
                args += ["--ro-bind", str(path), str(path)]
        for path in self.writable:
            if path.exists():
                args += ["--bind", str(path), str(path)]
        for target in remount:
            args += ["--remount-ro", target]
        return [*args, "--chdir", MWAA_HOME, "--", *command]


def interpreter_home(venv: Path) -> Path | None:
    """The installation a venv's interpreter belongs to (``home`` in ``pyvenv.cfg``)."""
    cfg = venv / "pyvenv.cfg"
    if not cfg.is_file():
        return None
    for line in cfg.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            return Path(value.strip()).parent
    return None


@contextmanager
def container(
    parts: Mapping[str, Path | None],
    *,
    sandboxed: bool,
    home: Path | None = None,
    readable: tuple[Path, ...] = (),
    writable: tuple[Path, ...] = (),
) -> Iterator[Container]:
    """A container for one run; its scratch folders are removed afterwards.

    ``home`` is kept (a persistent AIRFLOW_HOME for ``local run``/``start``); by default a
    scratch one is used. A ``plugins.zip`` is unpacked, as MWAA unpacks it.
    """
    from taxiway.runner.shims import write_shims

    bwrap = require_bwrap() if sandboxed else None
    with tempfile.TemporaryDirectory(prefix="taxiway-mwaa-") as tmp:
        scratch = Path(tmp)
        for sub in ("tmp", "control/bin", "control/out"):
            (scratch / sub).mkdir(parents=True)
        (scratch / "control" / "passwd").write_text(_PASSWD, encoding="utf-8")
        (scratch / "control" / "group").write_text(_GROUP, encoding="utf-8")
        present = {name: path.resolve() for name, path in parts.items() if path is not None}
        plugins = present.get("plugins")
        if plugins is not None and plugins.is_file():
            unpacked = scratch / "plugins"
            unpacked.mkdir()
            with zipfile.ZipFile(plugins) as zf:
                zf.extractall(unpacked)
            present["plugins"] = unpacked
        if home is None:
            home = scratch / "home"
            home.mkdir()
        box = Container(scratch, home, present, bwrap, readable, writable)
        write_shims(box.shims, box.inside(box.out / "record"))
        yield box
