"""Startup script checks (bash -n is the real bash)."""

from __future__ import annotations

from pathlib import Path

from taxiway import mwaa
from taxiway.doctor.startup import check_startup, is_protected


def test_bad_startup_script(projects: Path) -> None:
    findings = check_startup(projects / "startup_bad" / "startup.sh", mwaa.release("3.3.1"))
    assert {(f.code, f.severity.value, f.subject, f.line) for f in findings} == {
        ("missing-shebang", "warning", "startup.sh", 1),
        ("wrong-package-manager", "error", "apt-get", 2),
        ("reserved-env-var", "error", "AIRFLOW_HOME", 3),
        ("reserved-env-var", "error", "MWAA__CORE__REQUIREMENTS_PATH", 4),
        ("parse-error", "error", "startup.sh", 8),
    }
    wrong = next(f for f in findings if f.code == "wrong-package-manager")
    assert "dnf" in wrong.hint  # Amazon Linux 2023
    old = check_startup(projects / "startup_bad" / "startup.sh", mwaa.release("2.0.2"))
    hints = [f.hint for f in old if f.code == "wrong-package-manager"]
    assert hints == ["Use `sudo yum install -y <package>` (Amazon Linux package names)."]


def test_clean_startup_script(projects: Path) -> None:
    assert check_startup(projects / "clean" / "startup.sh", mwaa.release("3.3.1")) == []


def test_protected_names() -> None:
    assert is_protected("MWAA__ANYTHING") and is_protected("AWS_REGION")
    assert not is_protected("JQ_BIN") and not is_protected("PATH")
