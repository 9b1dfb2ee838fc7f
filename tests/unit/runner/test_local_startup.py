"""Real startup scripts in real bash, in the real bubblewrap sandbox: what they may touch,
what they try to install, what they export, whether they reach the network.

Each script tries something a startup script from a migrated project does; the test then
checks the host paths it aimed at, so a sandbox that leaks fails here. bubblewrap must be
installed (`make sync` installs it): without it these tests fail and say so.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from taxiway.errors import ToolchainError
from taxiway.findings import Severity
from taxiway.runner import sandbox, startup

VENV_BIN = Path(sys.executable).parent
VENV = VENV_BIN.parent


@pytest.fixture(autouse=True)
def _bwrap_installed() -> None:
    assert sandbox.find_bwrap(), f"bubblewrap is needed: `{sandbox.INSTALL_COMMAND}`"


def _project(tmp_path: Path, body: str) -> Path:
    project = tmp_path / "project"
    (project / "dags").mkdir(parents=True)
    (project / "dags" / "a.py").write_text("# a DAG file\n")
    (project / "startup.sh").write_text("#!/bin/bash\n" + body)
    return project


def _run(
    project: Path, network: bool = False, sandboxed: bool = True, timeout: float = 30
) -> startup.StartupResult:
    parts = {"dags": project / "dags", "startup": project / "startup.sh"}
    home = sandbox.interpreter_home(VENV)
    readable = (VENV, home) if home is not None else (VENV,)
    with sandbox.container(parts, sandboxed=sandboxed, readable=readable) as box:
        return startup.run_startup(box, VENV_BIN, "3.3.1", timeout, network=network)


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_a_script_writing_outside_the_project_leaves_the_host_unchanged(tmp_path: Path) -> None:
    user_home = Path.home()
    aimed = [
        Path("/etc/taxiway-startup-was-here"),
        Path("/usr/local/bin/taxiway-startup-was-here"),
        user_home / "taxiway-startup-was-here",
        tmp_path / "taxiway-startup-was-here",
    ]
    writes = "".join(f'echo owned > "{p}" 2>/dev/null && echo "wrote {p}"\n' for p in aimed)
    project = _project(
        tmp_path,
        writes
        + 'echo owned > /usr/local/airflow/dags/a.py 2>/dev/null && echo "wrote the dags"\n'
        + "echo mine > /tmp/scratch && mkdir -p $HOME/cfg && echo ok > $HOME/cfg/f && "
        "echo 'private tmp and home are writable'\n"
        + f'echo "home: $(ls -A {user_home} | tr "\\n" " ")"\n'
        + "exit 0\n",
    )
    before = _tree(project)
    result = _run(project)
    assert result.exit_code == 0, result.output_tail
    assert "wrote" not in result.output_tail
    assert "private tmp and home are writable" in result.output_tail
    # the user's home is hidden: only the interpreter the environment needs shows through
    (listed,) = [ln for ln in result.output_tail.splitlines() if ln.startswith("home:")]
    interpreter = sandbox.interpreter_home(VENV)
    needed = {
        p.relative_to(user_home).parts[0]
        for p in (VENV, interpreter)
        if p is not None and p.is_relative_to(user_home)
    }
    assert set(listed.split()[1:]) == needed
    for path in aimed:
        assert not path.exists(), f"the startup script wrote {path} on the host"
    assert _tree(project) == before


def test_sudo_yum_install_is_recorded_and_reported_not_run(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "set -e\nsudo yum install -y libaio unixODBC-devel\nsudo -E dnf -y install libpq-dev\n"
        "apt-get update && apt-get install -y curl\npip3 install --user dbt-core==1.8.0 toolz\n"
        "echo done-installing\n",
    )
    result = _run(project)
    assert result.exit_code == 0, result.output_tail
    assert "done-installing" in result.output_tail
    assert [c.text for c in result.calls] == [
        "yum install -y libaio unixODBC-devel",
        "dnf -y install libpq-dev",
        "apt-get update",
        "apt-get install -y curl",
        "pip3 install --user dbt-core==1.8.0 toolz",
    ]
    findings = startup.startup_findings(
        result, "startup.sh", 30, 3, "amazonlinux:2023", frozenset({"toolz"})
    )
    by_code = {f.code: f for f in findings}
    system = by_code["startup-system-packages"]
    assert system.severity is Severity.INFO
    assert "libaio, libpq-dev, unixODBC-devel" in system.message
    assert "amazonlinux:2023" in system.message
    assert by_code["startup-package-name"].subject == "libpq-dev"
    assert "libpq-devel" in by_code["startup-package-name"].hint
    apt = [f for f in findings if f.code == "startup-apt-get"]
    assert [f.severity for f in apt] == [Severity.ERROR, Severity.ERROR]
    pip = by_code["startup-pip-install"]
    assert pip.severity is Severity.WARNING
    assert "dbt-core==1.8.0" in pip.message and "toolz" not in pip.message  # in requirements
    assert not Path("/usr/lib64/libaio.so.1").exists()  # nothing was installed here


def test_exports_are_captured_with_values_and_reserved_ones_reported_once(
    tmp_path: Path,
) -> None:
    project = _project(
        tmp_path,
        "export DATA_BUCKET=s3://reports-from-startup\nexport SECRET_TOKEN=hunter2\n"
        'export PATH="/usr/local/airflow/.local/bin:$PATH"\nexport AIRFLOW_HOME=/elsewhere\n'
        "export PYTHONPATH=/x\nexport PYTHONPATH=/y\n"
        'echo "$AIRFLOW_VERSION $MWAA_AIRFLOW_COMPONENT $HOME $(whoami) $(pwd)"\n'
        "command -v python\n",
    )
    result = _run(project)
    assert result.exit_code == 0, result.output_tail
    assert result.exported == ["AIRFLOW_HOME", "DATA_BUCKET", "PATH", "PYTHONPATH", "SECRET_TOKEN"]
    lines = result.output_tail.splitlines()
    assert lines[0] == "3.3.1 worker /usr/local/airflow airflow /usr/local/airflow"
    assert lines[1] == str(VENV_BIN / "python")
    findings = startup.startup_findings(result, "startup.sh", 30, 3)
    reserved = [f.subject for f in findings if f.code == "startup-reserved-variable"]
    assert reserved == ["AIRFLOW_HOME", "PYTHONPATH"]
    (ok,) = [f for f in findings if f.code == "startup-ok"]
    assert "no network" in ok.message and "hunter2" not in ok.message
    applied = startup.with_exports({"PATH": "/host/bin", "AIRFLOW_HOME": "/h"}, result, 3)
    assert applied["DATA_BUCKET"] == "s3://reports-from-startup"
    assert applied["AIRFLOW_HOME"] == "/h"  # reserved: MWAA drops it
    assert "PYTHONPATH" not in applied
    assert applied["PATH"] == "/usr/local/airflow/.local/bin:/host/bin"


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP server on the host's loopback: reachable only with the host's network."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(10)

    def accept() -> None:
        try:
            while True:
                conn, _ = server.accept()
                conn.close()
        except OSError:
            return

    threading.Thread(target=accept, daemon=True).start()
    yield int(server.getsockname()[1])
    server.close()


@pytest.mark.parametrize("network", [False, True], ids=["default", "startup-network"])
def test_network_is_off_unless_asked_for(tmp_path: Path, listener: int, network: bool) -> None:
    project = _project(
        tmp_path,
        f"if (exec 3<>/dev/tcp/127.0.0.1/{listener}) 2>/dev/null; then export NET=reached; "
        "else export NET=unreachable; fi\n"
        "getent hosts pypi.org >/dev/null && echo resolved || echo no-dns\n",
    )
    result = _run(project, network=network)
    assert result.exit_code == 0, result.output_tail
    assert result.exports["NET"] == ("reached" if network else "unreachable")
    if not network:
        assert "no-dns" in result.output_tail
        (failing,) = startup.startup_findings(
            startup.StartupResult(1, 0.1, network=False, sandboxed=True), "startup.sh", 30
        )
        assert "--startup-network" in failing.hint


def test_failing_script_reports_status_and_output(tmp_path: Path) -> None:
    project = _project(tmp_path, "export JAVA_HOME=/opt/java\necho before-failure\nexit 3\n")
    result = _run(project)
    assert (result.exit_code, result.exported) == (3, ["JAVA_HOME"])
    assert "before-failure" in result.output_tail
    (failed,) = startup.startup_findings(result, "startup.sh", 30)
    assert (failed.code, failed.severity) == ("startup-failed", Severity.ERROR)
    assert "status 3" in failed.message


def test_time_limit_kills_the_sandbox_and_its_children(tmp_path: Path) -> None:
    project = _project(tmp_path, "sleep 60 &\nsleep 60\n")
    result = _run(project, timeout=1)
    assert result.exit_code is None
    assert result.seconds < 10
    (finding,) = startup.startup_findings(result, "startup.sh", 1)
    assert (finding.code, finding.severity) == ("startup-timeout", Severity.ERROR)


def test_unsafe_host_startup_runs_on_the_host_and_says_so(tmp_path: Path) -> None:
    target = tmp_path / "written-by-startup"
    project = _project(tmp_path, f"echo host > {target}\nsudo yum install -y libaio\n")
    result = _run(project, sandboxed=False)
    assert result.exit_code == 0
    assert target.read_text() == "host\n"  # the opt-out really is the host
    assert [c.text for c in result.calls] == ["yum install -y libaio"]  # shims still record
    codes = [f.code for f in startup.startup_findings(result, "startup.sh", 30)]
    assert codes == ["startup-system-packages", "startup-unsandboxed", "startup-ok"]


def test_without_bwrap_the_sandbox_refuses_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox.shutil, "which", lambda _: None)
    assert sandbox.find_bwrap() is None
    with pytest.raises(ToolchainError) as err:
        sandbox.require_bwrap()
    message = str(err.value)
    assert "`sudo apt-get install -y bubblewrap`" in message
    assert "--unsafe-host-startup" in message and "--no-startup" in message


def test_reserved_names() -> None:
    assert startup.is_reserved("PYTHONPATH")
    assert startup.is_reserved("MWAA__ANYTHING")
    assert not startup.is_reserved("LD_LIBRARY_PATH")
