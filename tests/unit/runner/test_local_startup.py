"""The startup script runs in real bash: exit status, time limit, exported variables."""

from __future__ import annotations

import sys
from pathlib import Path

from taxiway.findings import Severity
from taxiway.runner import startup

VENV_BIN = Path(sys.executable).parent


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "startup.sh"
    path.write_text("#!/bin/bash\n" + body)
    return path


def test_failing_script_reports_status_output_and_reserved_exports(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        "export JAVA_HOME=/opt/java\nexport AIRFLOW_HOME=/x\nexport MWAA__CORE__X=1\n"
        "echo before-failure\nexit 3\n",
    )
    result = startup.run_startup(script, VENV_BIN, "2.11.2", timeout=30)
    assert result.exit_code == 3
    assert result.exported == ["AIRFLOW_HOME", "JAVA_HOME", "MWAA__CORE__X"]
    assert "before-failure" in result.output_tail
    findings = startup.startup_findings(result, "startup.sh", 30)
    assert [(f.code, f.severity, f.subject) for f in findings] == [
        ("startup-failed", Severity.ERROR, "startup.sh"),
        ("startup-reserved-variable", Severity.WARNING, "AIRFLOW_HOME"),
        ("startup-reserved-variable", Severity.WARNING, "MWAA__CORE__X"),
    ]
    assert "status 3" in findings[0].message


def test_successful_script_lists_exports_by_name_only(tmp_path: Path) -> None:
    script = _script(tmp_path, 'export SECRET_TOKEN=hunter2\nexport PATH="/opt/bin:$PATH"\n')
    result = startup.run_startup(script, VENV_BIN, "3.3.1", timeout=30)
    assert result.exit_code == 0
    assert result.exported == ["PATH", "SECRET_TOKEN"]
    (ok,) = startup.startup_findings(result, "startup.sh", 30)
    assert ok.code == "startup-ok"
    assert "PATH, SECRET_TOKEN" in ok.message
    assert "hunter2" not in ok.message


def test_script_sees_mwaa_like_variables_and_a_scratch_home(tmp_path: Path) -> None:
    marker = tmp_path / "seen.txt"
    script = _script(
        tmp_path,
        f'echo "$AIRFLOW_VERSION $MWAA_AIRFLOW_COMPONENT $HOME" > {marker}\n'
        f"command -v python >> {marker}\n",
    )
    assert startup.run_startup(script, VENV_BIN, "2.11.2", timeout=30).exit_code == 0
    version, component, home = marker.read_text().splitlines()[0].split()
    assert (version, component) == ("2.11.2", "worker")
    assert home != str(Path.home())
    assert marker.read_text().splitlines()[1] == str(VENV_BIN / "python")


def test_time_limit_kills_the_script_and_its_children(tmp_path: Path) -> None:
    script = _script(tmp_path, "sleep 60 &\nsleep 60\n")
    result = startup.run_startup(script, VENV_BIN, "2.11.2", timeout=1)
    assert result.exit_code is None
    assert result.seconds < 10
    (finding,) = startup.startup_findings(result, "startup.sh", 1)
    assert (finding.code, finding.severity) == ("startup-timeout", Severity.ERROR)


def test_reserved_names() -> None:
    assert startup.is_reserved("PYTHONPATH")
    assert startup.is_reserved("MWAA__ANYTHING")
    assert not startup.is_reserved("LD_LIBRARY_PATH")
