"""`pip install taxiway` without extras: the toolkit works, the heavy stack is not there.

The built wheel goes into a fresh venv (uv, same interpreter, the lock's versions of the
core dependencies as constraints). The test then checks that no heavy library came along,
that `taxiway doctor` and `taxiway migrate` give exactly what the full development install
gives, and that a pipeline command names the install command of its extra.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
PROJECTS = REPO / "tests" / "fixtures" / "airflow_projects"
LIVY = REPO / "tests" / "fixtures" / "livy_dags"
HEAVY = ("duckdb", "pyarrow", "numpy", "pyspark", "sqlglot", "airflow", "boto3")


def _uv() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:
        pytest.fail("The light-install test needs uv: run `make sync` (taxiway depends on uv).")
    return str(find_uv_bin())


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update({"UV_PYTHON_DOWNLOADS": "never", "COLUMNS": "200", "NO_COLOR": "1"})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, **kw)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="session")
def light_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the taxiway wheel and its core dependencies only."""
    uv, work = _uv(), tmp_path_factory.mktemp("light-install")
    built = _run([uv, "build", "--wheel", "--out-dir", str(work / "dist"), str(REPO)])
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("taxiway-*.whl")
    pins = work / "core-pins.txt"
    exported = _run(
        [uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
         "--format", "requirements-txt", "-o", str(pins)],
        cwd=REPO,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    venv = work / "venv"
    made = _run([uv, "venv", "--python", sys.executable, str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run([uv, "pip", "install", "--python", str(python), str(wheel), "-c", str(pins)])
    assert installed.returncode == 0, installed.stderr
    return venv


def _taxiway(venv: Path, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return _run([str(venv / "bin" / "taxiway"), *args], cwd=cwd)


def _full(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """The same command in the development venv, where every extra is installed."""
    return _run([sys.executable, "-m", "taxiway.cli.app", *args], cwd=cwd)


def test_no_heavy_library_is_installed(light_venv: Path) -> None:
    probe = "import importlib.util as u, json; print(json.dumps([m for m in %r if u.find_spec(m)]))"
    out = _run([str(light_venv / "bin" / "python"), "-c", probe % (HEAVY,)])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
    # ... and the toolkit's own dependencies are
    present = _run([str(light_venv / "bin" / "python"), "-c", "import ruff, libcst, pathspec, uv"])
    assert present.returncode == 0, present.stderr


def test_doctor_finds_what_the_full_install_finds(light_venv: Path) -> None:
    args = (
        "doctor",
        "project",
        str(PROJECTS / "mwaa_2_10_3"),
        "--mwaa",
        "3.3.1",
        "--format",
        "json",
    )
    light, full = _taxiway(light_venv, *args), _full(*args)
    assert light.returncode == 1, light.stderr
    assert full.returncode == 1, full.stderr
    doc = json.loads(light.stdout)
    # info: the `layout` notice saying which requirements, dags and startup files were found
    assert doc["summary"] == {"error": 5, "warning": 11, "info": 1}
    codes = {f["code"] for f in doc["findings"]}
    # requirements, DAG imports and ruff's AIR3 rules all ran without the extras
    assert {"pin-conflict", "constraints-mismatch", "livy-operator", "airflow3-removed"} <= codes
    assert doc["findings"] == json.loads(full.stdout)["findings"]
    text = _taxiway(light_venv, *args[:-2])
    assert text.returncode == 1 and "5 error(s), 11 warning(s), 1 info" in text.stdout


def test_migrate_rewrites_like_the_full_install(light_venv: Path, tmp_path: Path) -> None:
    shutil.copytree(LIVY / "rewritable", tmp_path / "dags")
    args = ("migrate", "livy", "dags", "--cluster-name", "analytics", "--format", "json")
    light, full = _taxiway(light_venv, *args, cwd=tmp_path), _full(*args, cwd=tmp_path)
    assert light.returncode == 0, light.stderr
    doc = json.loads(light.stdout)
    assert doc["diff"].count("+++ b/dags/") == 3
    assert doc == json.loads(full.stdout)


def test_pipeline_command_names_its_extra(light_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "warehouse.duckdb").touch()
    proc = _taxiway(light_venv, "query", "SELECT 1", "--data-dir", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "install it: pip install 'taxiway[pipeline]'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
