"""Versions and names compare the way pip does (``packaging``), not as tuples of digits."""

from __future__ import annotations

from taxiway import mwaa
from taxiway.doctor.reqcheck import check_requirements
from taxiway.doctor.requirements import parse_requirements_text
from taxiway.findings import Finding, Severity
from taxiway.runner.interpreters import Interpreter


def test_versions_sort_as_versions() -> None:
    versions = mwaa.versions()
    assert versions.index("2.9.2") < versions.index("2.10.1") < versions.index("2.11.2")
    assert versions[0] == "1.10.12" and versions[-1] == "3.3.1"
    assert mwaa.release("2.10.1").airflow_major == 2 and mwaa.release("3.0.6").airflow_major == 3


def test_names_are_normalised_like_pip() -> None:
    assert mwaa.normalize("Flask_Babel") == "flask-babel"
    assert mwaa.normalize("zope.interface") == "zope-interface"
    assert mwaa.normalize("Apache--Airflow__Providers.Amazon") == "apache-airflow-providers-amazon"
    pins = mwaa.parse_pins("Flask_Babel==2.0.0\nruamel.yaml==0.18.6  # yaml\n")
    assert pins == {"flask-babel": "2.0.0", "ruamel-yaml": "0.18.6"}


def _missing_constraint(version: str) -> Finding:
    parsed = parse_requirements_text("boto3\n")
    findings = check_requirements(parsed, mwaa.release(version))
    (finding,) = [f for f in findings if f.code == "missing-constraint"]
    return finding


def test_auto_constraints_start_at_2_7_2() -> None:
    # A risk, not a failure, on every version (the pins pip then fights are their own
    # findings); from 2.7.2 on MWAA adds its own constraints, before it installs without any
    before, after = _missing_constraint("2.6.3"), _missing_constraint("2.7.2")
    assert before.severity is after.severity is Severity.WARNING
    assert "without Airflow's constraints" in before.message
    assert "adds its own constraints" in after.message
    assert "adds its own constraints" in _missing_constraint("2.10.1").message


def test_constraints_url_compares_versions_not_strings() -> None:
    url = "https://raw.githubusercontent.com/apache/airflow/constraints-2.10.1/constraints-3.11.txt"
    same = parse_requirements_text(f"-c {url}\n")
    assert [f.code for f in check_requirements(same, mwaa.release("2.10.1"))] == []
    other = parse_requirements_text(f"-c {url.replace('2.10.1', '2.9.2')}\n")
    codes = [f.code for f in check_requirements(other, mwaa.release("2.10.1"))]
    assert codes == ["constraints-mismatch"]


def test_interpreter_minor_of_a_prerelease() -> None:
    assert Interpreter("/usr/bin/python3.14", "3.14.0rc2").minor == "3.14"
    assert Interpreter("/usr/bin/python3.12", "3.12.13").minor == "3.12"
