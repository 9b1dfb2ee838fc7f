"""What is installed: dependencies of dependencies, real module names, 1.10 shims by target.

Each fixture project is checked whole and its exact findings (code, severity, file, line)
are listed; the messages are checked where they carry the reason.
"""

from __future__ import annotations

from pathlib import Path

from taxiway import mwaa
from taxiway.doctor.distributions import dist_data, installed
from taxiway.doctor.project import check_layout, find_layout
from taxiway.findings import Finding
from taxiway.mwaa.generate_dists import module_roots

Row = tuple[str, str, str | None, int | None]


def _run(project: Path, version: str) -> list[Finding]:
    return check_layout(find_layout(project), mwaa.release(version))


def _rows(findings: list[Finding]) -> set[Row]:
    return {(f.code, f.severity.value, f.file, f.line) for f in findings if f.code != "layout"}


def test_an_import_is_available_when_a_dependency_of_a_requirement_provides_it(
    projects: Path,
) -> None:
    findings = _run(projects / "dependencies_of_dependencies", "3.3.1")
    assert _rows(findings) == {
        # joblib (scikit-learn's), oracledb (the oracle provider's), the ssh provider (the
        # sftp provider's), github (PyGithub) and apiclient (google-api-python-client) are
        # installed; only polars is not
        ("import-unavailable", "error", "dags/models.py", 9),
        ("top-level-code", "warning", "dags/models.py", 9),
        ("missing-constraint", "warning", "requirements.txt", None),
        *{("not-builtin", "info", "requirements.txt", n) for n in range(1, 7)},
    }
    (polars,) = [f for f in findings if f.code == "import-unavailable"]
    assert "nor any of their dependencies, provides it; `polars` would" in polars.message
    assert polars.hint.startswith("Add `polars` to requirements.txt")


def test_a_requirement_outside_the_data_makes_a_miss_a_warning(projects: Path) -> None:
    findings = _run(projects / "unverified_requirement", "3.3.1")
    assert _rows(findings) == {
        ("import-unavailable", "warning", "dags/scoring.py", 6),
        ("missing-constraint", "warning", "requirements.txt", None),
        ("not-builtin", "info", "requirements.txt", 2),
    }
    (snowpark,) = [f for f in findings if f.code == "import-unavailable"]
    assert "`snowflake-snowpark-python` provides it" in snowpark.message
    assert "does not know what `snowflake-ml-python` install" in snowpark.message
    assert "--resolve" in snowpark.hint


def test_airflow_1_10_names_are_judged_by_what_they_forward_to(projects: Path) -> None:
    findings = _run(projects / "airflow110_on_2", "2.11.2")
    assert _rows(findings) == {
        # the ssh provider comes with the sftp provider: the shim works, and says where to go
        ("deprecated-import", "warning", "dags/legacy_etl.py", 6),
        # the spark and mssql providers are not installed: the shims fail
        ("import-unavailable", "error", "dags/legacy_etl.py", 7),
        ("import-unavailable", "error", "dags/legacy_etl.py", 8),
        # 1.10 registered plugin operators under airflow.operators; Airflow 2 does not
        ("airflow-name-missing", "error", "dags/legacy_etl.py", 9),
        ("deprecated-import", "warning", "dags/legacy_etl.py", 10),
        ("not-builtin", "info", "requirements.txt", 3),
    }
    by_line = {f.line: f for f in findings if f.file == "dags/legacy_etl.py"}
    assert "`SSHHook` is `airflow.providers.ssh.hooks.ssh.SSHHook`" in by_line[6].message
    assert "provider `apache-airflow-providers-apache-spark` is not built in" in (
        by_line[7].message
    )
    assert "import `SparkSubmitOperator` from" in by_line[7].hint
    assert "plugin classes" in by_line[9].hint
    # on Airflow 3 the same names do not exist at all
    on_3 = {(f.code, f.line) for f in _run(projects / "airflow110_on_2", "3.3.1")}
    assert {("airflow-module-missing", n) for n in (6, 7, 8, 10)} <= on_3


def test_real_shim_files_of_airflow_2_0_import_their_provider(projects: Path) -> None:
    # 2.0.2's airflow/contrib/hooks/ssh_hook.py imports the ssh provider at its top
    findings = _run(projects / "airflow110_on_2", "2.0.2")
    by_line = {f.line: f for f in findings if f.file == "dags/legacy_etl.py"}
    assert by_line[6].code == "import-unavailable"
    assert "it imports `airflow.providers.ssh.hooks.ssh` when loaded" in by_line[6].message
    assert by_line[10].code == "deprecated-import"
    assert "its code is in `airflow.operators.bash`" in by_line[10].message


def test_module_roots_follow_namespaces_and_single_subpackages() -> None:
    record = [
        "google/cloud/storage/__init__.py",
        "google/cloud/storage/blob.py",
        "google/cloud/_storage_v2/__init__.py",
        "airflow/providers/__init__.py",
        "airflow/providers/amazon/__init__.py",
        "airflow/providers/amazon/get_provider_info.py",
        "airflow/providers/amazon/aws/hooks/s3.py",
        "osgeo/__init__.py",
        "osgeo/_gdal.cpython-312-x86_64-linux-gnu.so",
        "six.py",
        "30fcd23745efe32ce681__mypyc.cpython-312-x86_64-linux-gnu.so",
        "pkg-1.0.dist-info/RECORD",
        "../../bin/tool",
    ]
    assert module_roots(record) == [
        "six",
        "airflow.providers.amazon",
        "google.cloud._storage_v2",
        "google.cloud.storage",
        "osgeo",
    ]


def test_shipped_data_knows_real_module_names_and_dependencies() -> None:
    data = dist_data("3.3.1")
    assert data is not None
    assert data.dists["pygithub"].modules == ("github",)
    assert "apiclient" in (data.dists["google-api-python-client"].modules or ())
    assert data.providers_of("osgeo") == ()  # GDAL is not in the constraint set
    assert data.providers_of("kubernetes.client") == ("kubernetes",)
    found = installed(data, mwaa.release("3.3.1").builtins, [("pandas", frozenset())])
    assert {"numpy", "python-dateutil"} <= found.dists
    assert found.via["numpy"] == "pandas"
    assert found.unverified == frozenset()
    # every Airflow 2 and 3 version MWAA runs has its data
    assert all(dist_data(v) is not None for v in mwaa.versions() if v != "1.10.12")
