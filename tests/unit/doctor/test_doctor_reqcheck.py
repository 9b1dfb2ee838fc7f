"""check_requirements and --fix against real MWAA version data.

The acceptance case: a 40-pin requirements.txt from Airflow 2.1.2's era checked against
MWAA 2.0.2. The expected lists below were worked out by hand from the package data
(src/taxiway/mwaa/data/2.0.2/mwaa_builtin_packages.txt and airflow_constraints.txt).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from taxiway import mwaa
from taxiway.doctor.fix import fixed_requirements
from taxiway.doctor.reqcheck import check_requirements
from taxiway.doctor.requirements import parse_requirements, parse_requirements_text
from taxiway.findings import Finding, Severity, exit_code

LEGACY_DUPLICATES = {
    "jmespath", "requests>=2.20", "blinker==1.4", "cached-property==1.5.2", "colorama==0.4.4",
    "commonmark==0.9.1", "defusedxml==0.7.1", "graphviz==0.16", "inflection==0.5.1",
    "iso8601==0.1.14", "lockfile==0.12.2", "Markdown==3.3.4", "natsort==7.1.1",
    "python-slugify==4.0.1", "PyYAML==5.4.1", "pytz==2021.1", "six==1.15.0", "tabulate==0.8.9",
}  # fmt: skip
LEGACY_BUILTIN_CONFLICTS = {
    "apache-airflow==2.1.2": "2.0.2",
    "apache-airflow-providers-amazon==2.0.0": "1.3.0",
    "boto3==1.18.1": "1.17.53",
    "botocore==1.21.1": "1.20.53",
    "urllib3==1.26.6": "1.25.11",
    "certifi==2021.5.30": "2020.12.5",
    "idna==3.2": "2.10",
    "numpy==1.21.0": "1.20.2",
    "pandas==1.3.0": "1.2.4",
    "tenacity==8.0.1": "6.2.0",
}
LEGACY_CONSTRAINT_CONFLICTS = {
    "apache-airflow-providers-postgres==2.0.0": "1.0.1",
    "apache-airflow-providers-snowflake==2.0.0": "1.2.0",
    "apache-airflow-providers-slack==4.0.0": "3.0.0",
    "apache-airflow-providers-ssh==2.0.0": "1.3.0",
    "pyarrow==4.0.1": "2.0.0",
    "snowflake-connector-python==2.5.1": "2.4.2",
    "slack-sdk==3.7.0": "3.5.0",
}
LEGACY_NOT_BUILTIN = {
    "great-expectations==0.13.22", "smart-open==5.1.0", "pymysql", "paramiko==2.7.2",
    "sshtunnel==0.1.5",
}  # fmt: skip


def _by_code(findings: list[Finding]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        out[f.code].add(f.subject)
    return out


def test_legacy_40_pins_against_mwaa_2_0_2(projects: Path) -> None:
    parsed = parse_requirements(projects / "legacy_2_1_2" / "requirements.txt")
    assert len(parsed.requirements) == 40
    findings = check_requirements(parsed, mwaa.release("2.0.2"))
    codes = _by_code(findings)
    assert codes["builtin-duplicate"] == LEGACY_DUPLICATES
    assert codes["pin-conflict"] == set(LEGACY_BUILTIN_CONFLICTS) | set(LEGACY_CONSTRAINT_CONFLICTS)
    assert codes["not-builtin"] == LEGACY_NOT_BUILTIN
    assert codes["unpinned"] == {"pymysql"}
    assert codes["missing-constraint"] == {"requirements.txt"}
    assert set(codes) == {
        "builtin-duplicate", "pin-conflict", "not-builtin", "unpinned", "missing-constraint",
    }  # fmt: skip
    # 2.0.2 installs without constraints when the file has no -c line: replacing the Airflow
    # (or a provider) MWAA runs is an error; replacing another built-in package or a pin
    # outside the constraints installs, and may break (warnings)
    severity = {f.subject: f.severity for f in findings if f.code == "pin-conflict"}
    assert {s for s, v in severity.items() if v is Severity.ERROR} == {
        "apache-airflow==2.1.2",
        "apache-airflow-providers-amazon==2.0.0",
    }
    # every one of the 40 lines got exactly one verdict (unpinned comes with not-builtin)
    assert 18 + 10 + 7 + 5 == 40
    # 2.0.2 has no essential pins and applies no constraints by itself: a missing -c line is
    # a risk (a warning), the pins that then replace Airflow's own packages are the errors
    missing = next(f for f in findings if f.code == "missing-constraint")
    assert missing.severity is Severity.WARNING
    for f in findings:
        if f.subject in LEGACY_BUILTIN_CONFLICTS:
            assert f"=={LEGACY_BUILTIN_CONFLICTS[f.subject]}` built in" in f.message
            assert "pip replaces" in f.message
        if f.subject in LEGACY_CONSTRAINT_CONFLICTS:
            assert "constraints, which pin `" in f.message
            assert f"=={LEGACY_CONSTRAINT_CONFLICTS[f.subject]}`." in f.message
    assert exit_code(findings) == 1


def test_legacy_fix_output(projects: Path) -> None:
    parsed = parse_requirements(projects / "legacy_2_1_2" / "requirements.txt")
    # By default a pin is never moved to another major version (down included): the four
    # built-in providers, certifi, idna, pyarrow, tenacity and the ssh provider stay, noted.
    held = fixed_requirements(parsed, mwaa.release("2.0.2")).count("another major version")
    assert held == 9
    text = fixed_requirements(parsed, mwaa.release("2.0.2"), unsafe=True)
    lines = text.splitlines()
    constraints = (
        "-c https://raw.githubusercontent.com/apache/airflow/constraints-2.0.2/constraints-3.7.txt"
    )
    assert lines[0].startswith("# Requirements for MWAA 2.0.2 (Python 3.7)")
    assert constraints in lines[:6]
    active = [ln for ln in lines if ln.strip() and not ln.startswith("#") and ln != constraints]
    assert active == [
        "apache-airflow-providers-postgres==1.0.1  # taxiway: was apache-airflow-providers-postgres==2.0.0; MWAA 2.0.2's constraints pin it",
        "apache-airflow-providers-snowflake==1.2.0  # taxiway: was apache-airflow-providers-snowflake==2.0.0; MWAA 2.0.2's constraints pin it",
        "apache-airflow-providers-slack==3.0.0  # taxiway: was apache-airflow-providers-slack==4.0.0; MWAA 2.0.2's constraints pin it",
        "apache-airflow-providers-ssh==1.3.0  # taxiway: was apache-airflow-providers-ssh==2.0.0; MWAA 2.0.2's constraints pin it",
        "pyarrow==2.0.0  # taxiway: was pyarrow==4.0.1; MWAA 2.0.2's constraints pin it",
        "snowflake-connector-python==2.4.2  # taxiway: was snowflake-connector-python==2.5.1; MWAA 2.0.2's constraints pin it",
        "great-expectations==0.13.22",
        "smart-open==5.1.0",
        "pymysql",
        "paramiko==2.7.2",
        "sshtunnel==0.1.5",
        "slack-sdk==3.5.0  # taxiway: was slack-sdk==3.7.0; MWAA 2.0.2's constraints pin it",
    ]
    commented = [ln for ln in lines if "# taxiway: removed" in ln]
    assert len(commented) == len(LEGACY_BUILTIN_CONFLICTS)
    assert (
        "# apache-airflow==2.1.2  # taxiway: removed, MWAA 2.0.2 has apache-airflow==2.0.2" in lines
    )
    removed_note = " ".join(ln[2:] for ln in lines[1:6] if ln.startswith("#"))
    for dup in ("blinker==1.4", "jmespath==0.10.0", "requests==2.25.1", "PyYAML==5.4.1"):
        assert dup in removed_note
    # the fixed file is itself clean apart from what it must keep installing
    fixed = check_requirements(parse_requirements_text(text), mwaa.release("2.0.2"))
    assert {f.code for f in fixed} == {"not-builtin", "unpinned"}
    assert exit_code(fixed) == 0


def test_project_from_2_10_3_against_3_3_1(projects: Path) -> None:
    parsed = parse_requirements(projects / "mwaa_2_10_3" / "requirements.txt")
    codes = _by_code(check_requirements(parsed, mwaa.release("3.3.1")))
    assert codes == {
        "constraints-mismatch": {
            "-c https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt"
        },
        "pin-conflict": {
            "apache-airflow-providers-snowflake==5.8.0",
            "snowflake-connector-python==3.12.3",
            "apache-airflow-providers-apache-livy==3.9.2",
            "slack-sdk==3.33.3",
            "apache-airflow-providers-postgres==5.13.1",
            "requests==2.32.3",
            "boto3==1.35.36",
            "Flask==2.2.5",
        },
    }
    # one code, the reason that holds: Flask is one of MWAA's essential pins (MWAA adds
    # them to any -c line: the install fails); the others are outside MWAA 3.3.1's
    # constraints, but pip installs the file under its own -c line for 2.10.3, so the one
    # error of that cause is `constraints-mismatch`
    found = {
        f.subject: f
        for f in check_requirements(parsed, mwaa.release("3.3.1"))
        if f.code == "pin-conflict"
    }
    assert "essential constraints and never lets user requirements override" in (
        found["Flask==2.2.5"].message
    )
    assert {s for s, f in found.items() if f.severity is Severity.ERROR} == {"Flask==2.2.5"}
    assert "under its own `-c` line instead" in found["boto3==1.35.36"].message
    # with the target's own -c line the same pin makes pip fail
    line = mwaa.release("3.3.1").constraints_line
    (boto3,) = check_requirements(
        parse_requirements_text(f"{line}\nboto3==1.35.36\n"), mwaa.release("3.3.1")
    )
    assert boto3.severity is Severity.ERROR
    assert "pip fails with ResolutionImpossible" in boto3.message
    # on its own version the same file is mostly built-in duplicates
    own = _by_code(check_requirements(parsed, mwaa.release("2.10.3")))
    assert {"requests==2.32.3", "boto3==1.35.36", "Flask==2.2.5"} <= own["builtin-duplicate"]
    assert "constraints-mismatch" not in own


def test_syntax_fixture_verdicts(projects: Path) -> None:
    parsed = parse_requirements(projects / "requirements_syntax" / "requirements.txt")
    findings = check_requirements(parsed, mwaa.release("3.3.1"))
    codes = _by_code(findings)
    assert codes["pin-conflict"] == {"Flask==2.3.3"}
    assert codes["marker-skipped"] == {"pywin32==306"}
    assert codes["builtin-duplicate"] == {"PyYAML==6.0.3", "requests[socks]==2.34.2", "pyyaml>=6"}
    assert codes["duplicate-requirement"] == {"pyyaml>=6"}
    assert codes["unpinned"] == {"rapidfuzz"}  # pandas is unpinned but the constraints fix it
    assert "pandas>=2.0" in codes["not-builtin"]
    assert "missing-constraint" not in codes
    assert [f.line for f in findings if f.code == "parse-error"] == [19, 20]


def test_missing_constraint_is_a_warning_where_mwaa_adds_its_own() -> None:
    parsed = parse_requirements_text("rapidfuzz==3.9.0\n")
    for version, severity in (("2.7.2", Severity.WARNING), ("3.3.1", Severity.WARNING)):
        found = [f for f in check_requirements(parsed, mwaa.release(version))]
        missing = [f for f in found if f.code == "missing-constraint"]
        assert [f.severity for f in missing] == [severity]
        assert mwaa.release(version).constraints_url in missing[0].hint


def test_range_excluding_builtin_is_a_conflict_and_fix_keeps_extras() -> None:
    parsed = parse_requirements_text("requests<2\nrequests[socks]==2.34.2\n")
    findings = check_requirements(parsed, mwaa.release("3.3.1"))
    assert [(f.code, f.subject) for f in findings if f.severity is Severity.ERROR] == [
        ("pin-conflict", "requests<2")
    ]
    text = fixed_requirements(parsed, mwaa.release("3.3.1"))
    assert "requests[socks]==2.34.2  # taxiway: built in; kept for its extras" in text
    assert "# requests<2  # taxiway: removed, MWAA 3.3.1 has requests==2.34.2" in text


def test_fix_inlines_includes_and_replaces_other_constraints(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("rapidfuzz==3.9.0\nPyYAML==6.0.3\n")
    req = tmp_path / "requirements.txt"
    req.write_text(
        "-c https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt\n"
        "-r base.txt\n"
        "this is broken!!\n"
    )
    target = mwaa.release("3.3.1")
    lines = fixed_requirements(parse_requirements(req), target).splitlines()
    assert lines[:3] == [
        "# Requirements for MWAA 3.3.1 (Python 3.12), minimised by "
        "`taxiway doctor requirements --fix`.",
        "# Built into MWAA 3.3.1, removed: PyYAML==6.0.3.",
        target.constraints_line,
    ]
    assert (
        lines[3].startswith("# -c https://") and "replaced by MWAA 3.3.1's constraints" in lines[3]
    )
    assert lines[4] == "# -r base.txt  # taxiway: inlined below (MWAA reads one requirements.txt)"
    assert lines[5] == "rapidfuzz==3.9.0"
    assert (
        lines[6] == "# this is broken!!  # taxiway: pip cannot parse this line; fix it or drop it"
    )
    assert len(lines) == 7
