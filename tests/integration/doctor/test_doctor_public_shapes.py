"""What measuring the doctor on public projects it had never seen turned up (docs/doctor.md,
"Measured on public projects"), each as a small self-written fixture run through the CLI:

- an Airflow provider is missing although an unverifiable requirement is present (such a
  requirement cannot bring a provider unless it is of Airflow's ecosystem);
- the provider's name follows the dotted-name convention when no data names it;
- the dags folder imported by its own name (`from dags.helpers import x`);
- the older local runner's `dags/requirements.txt`;
- a removed name's uses folded into its failing import (`apply_defaults`);
- what a task's TaskInstance and DagRun lost in Airflow 3 (`ti.execution_date`), which
  ruff's AIR3 rules do not see (and Airflow 2 still has).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def _findings(ran) -> list[tuple[str, str, str, int | None]]:  # type: ignore[no-untyped-def]
    data = json.loads(ran.stdout)
    return sorted(
        (f["severity"], f["code"], f["file"], f["line"])
        for f in data["findings"]
        if f["severity"] != "info"
    )


def _by_line(ran, line: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data = json.loads(ran.stdout)
    return next(f for f in data["findings"] if f["line"] == line and f["file"] == "dags/etl_dag.py")


def test_public_shapes_on_2_10_3(doctor_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    ran = doctor_cli(
        "doctor", "project", str(projects / "measured_public_shapes"), "--mwaa", "2.10.3",
        "--format", "json",
    )  # fmt: skip
    assert ran.returncode == 1, ran.stderr
    assert _findings(ran) == [
        ("error", "import-unavailable", "dags/etl_dag.py", 4),  # docker shim, provider absent
        ("error", "import-unavailable", "dags/etl_dag.py", 5),  # standard provider on 2.10
        ("error", "import-unavailable", "dags/etl_dag.py", 7),  # `dags.helpers.io`
        ("warning", "missing-constraint", "requirements.txt", None),
        ("warning", "plugin-removable", "plugins/operators/legacy.py", 5),
    ]
    docker = _by_line(ran, 4)
    assert "apache-airflow-providers-docker" in str(docker["message"])
    assert "may bring it" not in str(docker["message"])  # avro-python3 cannot
    standard = _by_line(ran, 5)
    assert "provider `apache-airflow-providers-standard` is not built in" in str(
        standard["message"]
    )
    own = _by_line(ran, 7)
    assert "`dags` is the dags folder itself" in str(own["message"])
    assert own["hint"] == "Import `helpers.io` instead."


def test_an_airflow_named_unknown_requirement_keeps_the_doubt(  # type: ignore[no-untyped-def]
    doctor_cli, projects: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    shutil.copytree(projects / "measured_public_shapes", project)
    with (project / "requirements.txt").open("a") as fh:
        fh.write("airflow-provider-acme-containers==0.1.0\n")
    ran = doctor_cli(
        "doctor", "project", str(project), "--mwaa", "2.10.3", "--format", "json",
        "--select", "import-unavailable",
    )  # fmt: skip
    docker = _by_line(ran, 4)
    assert docker["severity"] == "warning"
    assert "`airflow-provider-acme-containers`" in str(docker["message"])
    assert "`avro-python3`" not in str(docker["message"])
    # The dags folder imported by its name fails whatever is installed.
    assert _by_line(ran, 7)["severity"] == "error"


def test_removed_names_on_3(  # type: ignore[no-untyped-def]
    doctor_cli, projects: Path
) -> None:
    ran = doctor_cli(
        "doctor", "project", str(projects / "measured_public_shapes"), "--mwaa", "3.3.1",
        "--format", "json", "--select", "airflow-name-missing,airflow3-removed",
    )  # fmt: skip
    data = json.loads(ran.stdout)
    found = sorted((f["code"], f["file"], f["line"], f["subject"]) for f in data["findings"])
    assert found == [
        ("airflow-name-missing", "plugins/operators/legacy.py", 2, "airflow.utils.decorators"),
        ("airflow3-removed", "dags/report_dag.py", 8, "ti.execution_date"),
        ("airflow3-removed", "dags/report_dag.py", 10, "dag_run.execution_date"),
    ]
    by_subject = {f["subject"]: f["message"] for f in data["findings"]}
    assert by_subject["airflow.utils.decorators"].endswith("used on line(s) 6.")
    assert by_subject["ti.execution_date"].endswith("used on line(s) 8, 9.")
    assert data["by_code"] == {"airflow-name-missing": 1, "airflow3-removed": 2}


def test_older_local_runner_requirements_in_dags(doctor_cli, projects: Path) -> None:  # type: ignore[no-untyped-def]
    ran = doctor_cli(
        "doctor", "project", str(projects / "local_runner_dags_requirements"), "--mwaa", "2.10.3",
        "--format", "json",
    )  # fmt: skip
    assert ran.returncode == 1
    assert _findings(ran) == [
        ("error", "import-unavailable", "dags/mssql_dag.py", 3),  # verified: the file is known
        ("warning", "builtin-duplicate", "dags/requirements.txt", 2),
        ("warning", "missing-constraint", "dags/requirements.txt", None),
    ]
    layout = next(f for f in json.loads(ran.stdout)["findings"] if f["code"] == "layout")
    assert "Checked requirements `dags/requirements.txt`" in layout["message"]
