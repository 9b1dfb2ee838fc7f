"""The CLI's one error edge: OSError and missing extras become one red line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _run(args: list[str], cwd: Path, block: str | None = None) -> subprocess.CompletedProcess[str]:
    """``taxiway <args>`` in a fresh interpreter; ``block`` makes one library unimportable."""
    prelude = f"import sys; sys.modules[{block!r}] = None; " if block else "import sys; "
    code = (
        prelude + "from taxiway.cli.app import main; sys.argv = ['taxiway', *sys.argv[1:]]; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


def _dangling_dags(tmp_path: Path) -> Path:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "ok.py").write_text("x = 1\n")
    (dags / "broken.py").symlink_to(tmp_path / "gone.py")
    return dags


def test_os_error_is_one_red_line_exit_2(tmp_path: Path) -> None:
    _dangling_dags(tmp_path)
    proc = _run(["doctor", "dags", "dags", "--mwaa", "3.3.1"], tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: Cannot use `dags/broken.py`: No such file or directory; "
        "check the path and its permissions."
    ]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    _dangling_dags(tmp_path)
    proc = _run(["--debug", "doctor", "dags", "dags", "--mwaa", "3.3.1"], tmp_path)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "FileNotFoundError" in proc.stderr


def test_missing_extra_prints_its_install_command(tmp_path: Path) -> None:
    (tmp_path / "warehouse.duckdb").touch()
    args = ["query", "SELECT 1", "--data-dir", str(tmp_path)]
    proc = _run(args, tmp_path, block="sqlglot")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: `sqlglot` is not installed (it comes with taxiway's `pipeline` extra); "
        "install it: pip install 'taxiway[pipeline]' (in a checkout: uv sync --extra pipeline)"
    ]


def test_unrelated_import_error_is_not_disguised(tmp_path: Path) -> None:
    # a missing module that no extra provides is a bug: it keeps its traceback
    (tmp_path / "warehouse.duckdb").touch()
    args = ["query", "SELECT 1", "--data-dir", str(tmp_path)]
    proc = _run(args, tmp_path, block="taxiway.sql.transpile")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "ModuleNotFoundError" in proc.stderr


def test_usage_errors_are_one_line_exit_2_as_ruff_and_uv_print_them(tmp_path: Path) -> None:
    proc = _run(["doctor", "requirements", "--bogus"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: No such option: --bogus (see `taxiway doctor requirements --help`)"
    ]
    proc = _run(["twin", "--port", "many"], tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: Invalid value for '--port'") and "twin --help" in line


def test_short_version_flag(tmp_path: Path) -> None:
    proc = _run(["-V"], tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("taxiway ")
