"""One list of MWAA-reserved variables: the doctor and the local runner read the same data."""

from __future__ import annotations

import csv
import sys
from importlib import resources
from pathlib import Path

from taxiway import mwaa
from taxiway.doctor.startup import check_startup
from taxiway.runner import sandbox
from taxiway.runner import startup as local_startup

VENV_BIN = Path(sys.executable).parent
# names the two old copies disagreed on, plus both ends of the Airflow 2/3 split
DISPUTED = ("PYTHONPATH", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__WEBSERVER__SECRET_KEY")


def _rows() -> list[dict[str, str]]:
    text = (resources.files("taxiway.mwaa") / "data" / "reserved_env.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_data_file_is_documented_and_well_formed() -> None:
    rows = _rows()
    assert len(rows) == len({r["name"] for r in rows}) == 53
    assert {r["kind"] for r in rows} == {"protected", "essential"}
    assert {r["airflow_major"] for r in rows} == {"", "2", "3"}
    assert all(r["source"] for r in rows)
    readme = (resources.files("taxiway.mwaa") / "data" / "README.md").read_text("utf-8")
    assert "reserved_env.csv" in readme and "_is_protected_os_environ" in readme


def test_doctor_and_runner_agree_on_every_name() -> None:
    for row in _rows():
        name = row["name"].replace("*", "ANYTHING")
        assert local_startup.is_reserved(name), name
        assert mwaa.reserved_env().is_reserved(name), name
    for name in ("PATH", "LD_LIBRARY_PATH", "JAVA_HOME", "MWAA_LIKE", "AIRFLOW__CORE__PARALLELISM"):
        assert not local_startup.is_reserved(name)
        assert not mwaa.reserved_env().is_reserved(name)


def test_airflow_major_selects_its_own_settings() -> None:
    assert mwaa.reserved_env(2).kind("AIRFLOW__WEBSERVER__SECRET_KEY") == "essential"
    assert not mwaa.reserved_env(2).is_reserved("AIRFLOW__API__SECRET_KEY")
    assert mwaa.reserved_env(3).kind("AIRFLOW__API__SECRET_KEY") == "essential"
    assert not mwaa.reserved_env(3).is_reserved("AIRFLOW__WEBSERVER__SECRET_KEY")
    assert mwaa.reserved_env(3).kind("MWAA__CORE__X") == "protected"


def test_both_tools_report_the_same_exports_of_one_script(tmp_path: Path) -> None:
    script = tmp_path / "startup.sh"
    exports = "".join(f"export {n}=x\n" for n in (*DISPUTED, "JAVA_HOME"))
    script.write_text("#!/bin/bash\n" + exports, encoding="utf-8")
    doctor = check_startup(script, mwaa.release("2.11.2"))
    assert sorted(f.subject for f in doctor if f.code == "reserved-env-var") == sorted(DISPUTED)
    (tmp_path / "dags").mkdir()
    parts = {"dags": tmp_path / "dags", "startup": script}
    venv = VENV_BIN.parent
    home = sandbox.interpreter_home(venv)
    readable = (venv, home) if home is not None else (venv,)
    with sandbox.container(parts, sandboxed=True, readable=readable) as box:
        result = local_startup.run_startup(box, VENV_BIN, "2.11.2", timeout=30)
    runner = local_startup.startup_findings(result, "startup.sh", 30)
    reserved = sorted(f.subject for f in runner if f.code == "startup-reserved-variable")
    assert reserved == sorted(DISPUTED)
