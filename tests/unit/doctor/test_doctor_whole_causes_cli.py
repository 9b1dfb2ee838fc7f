"""Through the CLI (``--format json``): a providers-only freeze of another Airflow is one
finding; Airflow 3's metadata-database access (ORM class methods too), removed context keys
and template variables; imports a distribution named after the module provides.

Fixtures: ``tests/fixtures/doctor_freeze_providers``, ``tests/fixtures/doctor_af3_tasks``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FREEZE = FIXTURES / "doctor_freeze_providers" / "requirements.txt"
TASKS = FIXTURES / "doctor_af3_tasks"


def _findings(stdout: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(stdout)["findings"]
    return found


def _rows(stdout: str, *codes: str) -> list[tuple[object, ...]]:
    return [
        (f["file"], f["line"], f["severity"], f["code"], f["subject"])
        for f in _findings(stdout)
        if not codes or f["code"] in codes
    ]


def _summary_matches(doctor_cli, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """The JSON summary and the text summary line count exactly the findings."""
    data = json.loads(doctor_cli(*args, "--format", "json").stdout)
    severities = Counter(str(f["severity"]) for f in data["findings"])
    assert data["summary"] == {s: severities[s] for s in ("error", "warning", "info")}
    assert data["by_code"] == Counter(str(f["code"]) for f in data["findings"])
    last = doctor_cli(*args, "--format", "text").stdout.strip().splitlines()[-1]
    m = re.search(r": (\d+) error\(s\), (\d+) warning\(s\), (\d+) info$", last)
    assert m, last
    assert tuple(int(g) for g in m.groups()) == tuple(
        severities[s] for s in ("error", "warning", "info")
    )


def test_a_providers_only_freeze_of_another_airflow_is_one_finding(doctor_cli) -> None:  # type: ignore[no-untyped-def]
    for target in ("3.0.6", "2.10.3"):
        args = ("doctor", "requirements", str(FREEZE), "--mwaa", target)
        proc = doctor_cli(*args, "--format", "json")
        assert proc.returncode == 1
        # no apache-airflow line: the providers' and packages' pins name 2.8.1; the
        # team's own requests pin keeps its own finding, jaydebeapi (same pin in 2.8.1
        # and the target) and polygon-api-client install as they are
        assert _rows(proc.stdout) == [
            (
                "requirements.txt",
                2,
                "error",
                "requirements-other-version",
                "made for Airflow 2.8.1",
            ),
            ("requirements.txt", 20, "error", "pin-conflict", "requests==2.20.0"),
            ("requirements.txt", None, "warning", "missing-constraint", "requirements.txt"),
            ("requirements.txt", 14, "info", "not-builtin", "jaydebeapi==1.2.3"),
            ("requirements.txt", 21, "info", "not-builtin", "polygon-api-client==1.14.2"),
        ]
        (whole,) = [f for f in _findings(proc.stdout) if f["code"] == "requirements-other-version"]
        message = str(whole["message"])
        assert message.startswith(f"The file was made for Airflow 2.8.1, not MWAA {target}: ")
        assert "17 of its 18 pins of packages in Airflow 2.8.1's constraints" in message
        assert "16 conflict" in message and message.endswith("on lines 2-13, 15-18.")
        _summary_matches(doctor_cli, args)
    # on its own version nothing is folded: one finding per line again
    own = doctor_cli("doctor", "requirements", str(FREEZE), "--mwaa", "2.8.1", "--format", "json")
    codes = Counter(str(f["code"]) for f in _findings(own.stdout))
    assert "requirements-other-version" not in codes
    assert codes == {
        "not-builtin": 17,
        "pin-conflict": 1,
        "builtin-duplicate": 1,
        "missing-constraint": 1,
    }


def test_airflow3_task_code_without_the_metadata_database(doctor_cli) -> None:  # type: ignore[no-untyped-def]
    args = ("doctor", "project", str(TASKS), "--mwaa", "3.0.6")
    proc = doctor_cli(*args, "--format", "json")
    assert proc.returncode == 1
    assert _rows(proc.stdout, "airflow3-db-access", "airflow3-removed", "import-unavailable") == [
        # the decorator at its import (uses listed), a model's own query, settings.Session
        ("dags/housekeeping.py", 9, "error", "airflow3-db-access", "provide_session"),
        ("dags/housekeeping.py", 13, "error", "airflow3-db-access", "DagRun.find"),
        ("dags/housekeeping.py", 23, "error", "airflow3-db-access", "settings.Session"),
        ("dags/housekeeping.py", 24, "error", "airflow3-db-access", "Pool.get_pool"),
        # ruff's: get_current_context moved to airflow.sdk
        (
            "dags/report.py",
            13,
            "error",
            "airflow3-removed",
            "airflow.operators.python.get_current_context",
        ),
        # the keys read from get_current_context(), directly and through a name
        ("dags/report.py", 13, "error", "airflow3-removed", "execution_date"),
        ("dags/report.py", 15, "error", "airflow3-removed", "next_ds"),
        # templates in operator arguments ({{ ds }}, {{ params.prev_ds }} are fine)
        ("dags/report.py", 21, "error", "airflow3-removed", "{{ next_execution_date }}"),
        ("dags/report.py", 21, "error", "airflow3-removed", "{{ prev_ds }}"),
        ("dags/report.py", 24, "error", "airflow3-removed", "{{ execution_date }}"),
        # polygon (polygon-api-client) is no finding; tqdm may come with ydata-profiling,
        # which no version's data covers: a warning
        ("dags/prices.py", 10, "warning", "import-unavailable", "tqdm"),
    ]
    session = next(f for f in _findings(proc.stdout) if f["subject"] == "provide_session")
    assert str(session["message"]).endswith("line(s) 9, 17.")
    assert Counter(str(f["code"]) for f in _findings(proc.stdout)) == {
        "airflow3-moved": 7,
        "airflow3-removed": 6,
        "airflow3-db-access": 4,
        "not-builtin": 2,
        "import-unavailable": 1,
        "layout": 1,
        "missing-constraint": 1,
    }
    _summary_matches(doctor_cli, args)
    # Airflow 2 allows all of it: only the tqdm warning is left of these codes
    two = doctor_cli("doctor", "project", str(TASKS), "--mwaa", "2.10.3", "--format", "json")
    assert two.returncode == 0
    assert _rows(two.stdout, "airflow3-db-access", "airflow3-removed", "import-unavailable") == [
        ("dags/prices.py", 10, "warning", "import-unavailable", "tqdm"),
    ]


def test_a_distribution_named_after_the_module_provides_it(doctor_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "dags").mkdir()
    (tmp_path / "requirements.txt").write_text("polygon-api-client==1.14.2\ntypes-tqdm==4.66.0\n")
    (tmp_path / "dags" / "d.py").write_text(
        "def task():\n    import polygon\n    import polygonal\n    import api\n    import tqdm\n"
    )
    proc = doctor_cli("doctor", "project", str(tmp_path), "--mwaa", "3.0.6", "--format", "json")
    # only the module the name begins with; `types-` installs stubs, not tqdm
    assert [f[4] for f in _rows(proc.stdout, "import-unavailable")] == ["polygonal", "api", "tqdm"]
