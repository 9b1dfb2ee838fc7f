"""One finding for a requirements file made for another Airflow version; Airflow 3's runtime
removals ruff does not see (the metadata database, get_current_context keys, template
variables); wheel file lists for resolved distributions outside the shipped data, and the
resolution cache; ``--quiet`` with ``--diff``/``--fix`` as ruff's.

The CLI runs in this interpreter (``doctor_cli``) on ``tests/fixtures/doctor_*`` (copies
where a command writes). The ``--resolve`` test needs the package index (pypi.org).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"


def _findings(stdout: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(stdout)["findings"]
    return found


def _by_code(stdout: str) -> Counter[str]:
    return Counter(str(f["code"]) for f in _findings(stdout))


def test_a_freeze_of_another_version_is_one_finding(doctor_cli) -> None:  # type: ignore[no-untyped-def]
    req = FIXTURES / "doctor_other_version" / "requirements.txt"
    proc = doctor_cli("doctor", "requirements", str(req), "--mwaa", "2.10.3", "--format", "json")
    assert proc.returncode == 1
    codes = _by_code(proc.stdout)
    # apache-airflow and 30 lines of 2.6.3's constraints: one finding for the 25 that
    # conflict and the one that repeats a built-in; `requests==2.20.0` (the team's own pin,
    # not 2.6.3's) keeps its own; rapidfuzz and the 5 pins 2.6.3 and 2.10.3 share (not
    # built in) are installed as they are.
    assert codes == {
        "requirements-other-version": 1,
        "pin-conflict": 1,
        "not-builtin": 6,
        "missing-constraint": 1,
    }
    (whole,) = [f for f in _findings(proc.stdout) if f["code"] == "requirements-other-version"]
    assert whole["subject"] == "made for Airflow 2.6.3" and whole["severity"] == "error"
    assert whole["line"] == 2
    message = str(whole["message"])
    assert "31 of its 32 pins of packages in Airflow 2.6.3's constraints" in message
    assert "Of its lines from that environment, 25 conflict" in message
    assert "and 1 repeats a built-in" in message
    assert message.endswith("on lines 2-11, 13-15, 17-27, 30, 32.")
    (own,) = [f for f in _findings(proc.stdout) if f["code"] == "pin-conflict"]
    assert own["subject"] == "requests==2.20.0" and own["line"] == 34


def test_a_freeze_of_an_airflow_without_data_is_one_finding(  # type: ignore[no-untyped-def]
    doctor_cli, tmp_path: Path
) -> None:
    # 2.6.2 is no MWAA version: 2.6.3's constraints are the closest the doctor has, so every
    # conflicting pin of a package Airflow's environments carry is the freeze's, requests too
    text = (FIXTURES / "doctor_other_version" / "requirements.txt").read_text()
    freeze = tmp_path / "requirements.txt"
    freeze.write_text(text.replace("apache-airflow==2.6.3", "apache-airflow==2.6.2"))
    proc = doctor_cli("doctor", "requirements", str(freeze), "--mwaa", "2.10.3", "--format", "json")
    codes = _by_code(proc.stdout)
    assert codes["requirements-other-version"] == 1 and "pin-conflict" not in codes
    (whole,) = [f for f in _findings(proc.stdout) if f["code"] == "requirements-other-version"]
    assert whole["subject"] == "made for Airflow 2.6.2"
    assert "the constraints of Airflow 2.6.3, the closest" in str(whole["message"])
    assert str(whole["message"]).endswith("on lines 2-11, 13-15, 17-27, 30, 32, 34.")


def test_the_same_file_on_its_own_version_and_a_few_old_pins(  # type: ignore[no-untyped-def]
    doctor_cli, tmp_path: Path
) -> None:
    req = FIXTURES / "doctor_other_version" / "requirements.txt"
    own = doctor_cli("doctor", "requirements", str(req), "--mwaa", "2.6.3", "--format", "json")
    codes = _by_code(own.stdout)
    # only the team's own `requests==2.20.0` fights 2.6.3's constraints
    assert "requirements-other-version" not in codes and codes["pin-conflict"] == 1
    # four old pins among the target's own: each is its own finding (below the rule's bar)
    few = tmp_path / "requirements.txt"
    few.write_text(
        "apache-airflow-providers-google==10.2.0\nMarkdown==3.4.3\nvine==5.0.0\n"
        "portalocker==2.7.0\n"
        "apache-airflow-providers-amazon==9.0.0\nboto3==1.35.36\nrequests==2.32.3\n"
    )
    proc = doctor_cli("doctor", "requirements", str(few), "--mwaa", "2.10.3", "--format", "json")
    codes = _by_code(proc.stdout)
    assert codes["pin-conflict"] == 4 and "requirements-other-version" not in codes


def _new_rules(stdout: str) -> set[tuple[str, str, str, int, str]]:
    """The findings of taxiway's own Airflow 3 rules (ruff's carry "(ruff AIR...)")."""
    return {
        (str(f["code"]), str(f["severity"]), str(f["file"]), int(f["line"]), str(f["subject"]))  # type: ignore[call-overload]
        for f in _findings(stdout)
        if str(f["code"]) in ("airflow3-removed", "airflow3-db-access")
        and "(ruff AIR" not in str(f["message"])
    }


def test_airflow3_runtime_removals(doctor_cli) -> None:  # type: ignore[no-untyped-def]
    project = FIXTURES / "doctor_af3_runtime"
    proc = doctor_cli("doctor", "project", str(project), "--mwaa", "3.0.6", "--format", "json")
    assert proc.returncode == 1
    assert _new_rules(proc.stdout) == {
        # the import blames both helpers; the uses are listed in the message
        ("airflow3-db-access", "error", "dags/cleanup.py", 8, "create_session"),
        ("airflow3-db-access", "error", "dags/cleanup.py", 8, "provide_session"),
        ("airflow3-db-access", "error", "dags/cleanup.py", 17, "settings.Session"),
        # imported, never called (an annotation is no call): warnings
        ("airflow3-db-access", "warning", "dags/helpers.py", 1, "settings.Session"),
        ("airflow3-db-access", "warning", "dags/helpers.py", 2, "provide_session"),
        # get_current_context(): through a name and directly
        ("airflow3-removed", "error", "dags/report.py", 17, "execution_date"),
        ("airflow3-removed", "error", "dags/report.py", 18, "prev_ds"),
        ("airflow3-removed", "error", "dags/report.py", 20, "tomorrow_ds"),
        # templates: a module constant, an operator argument ({{ ds }}, macros,
        # dag_run.conf.*, params.* and the docstring are fine)
        ("airflow3-removed", "error", "dags/report.py", 12, "{{ next_ds }}"),
        ("airflow3-removed", "error", "dags/report.py", 26, "{{ execution_date }}"),
        ("airflow3-removed", "error", "dags/report.py", 26, "{{ yesterday_ds_nodash }}"),
        ("airflow3-removed", "error", "dags/report.py", 26, "{{ ti.execution_date }}"),
        # an operator of the plugins runs in tasks too
        ("airflow3-db-access", "error", "plugins/purge_operator.py", 2, "provide_session"),
        ("airflow3-removed", "error", "plugins/purge_operator.py", 8, "{{ prev_ds }}"),
    }
    session = next(f for f in _findings(proc.stdout) if f["subject"] == "provide_session")
    assert "line(s) 8, 11." in str(session["message"])
    # the same project on Airflow 2 has none of them
    two = doctor_cli("doctor", "project", str(project), "--mwaa", "2.10.3", "--format", "json")
    assert not {c for c in _by_code(two.stdout) if c.startswith("airflow3")}


def test_resolved_distributions_outside_the_data_get_their_wheels_modules(  # type: ignore[no-untyped-def]
    doctor_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a fresh cache of wheel file lists, so the index is really read
    monkeypatch.setenv("TAXIWAY_CACHE_DIR", str(tmp_path / "cache"))
    project = FIXTURES / "doctor_wheel_modules"
    args = ("doctor", "project", str(project), "--mwaa", "2.10.3", "--format", "json")
    proc = doctor_cli(*args, "--resolve")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    codes = _by_code(proc.stdout)
    assert codes["resolved"] == 1
    # polygon (polygon-api-client), sklearn (scikit-learn) and joblib (its dependency)
    assert "import-unavailable" not in codes, proc.stdout
    cached = sorted(p.name for p in (tmp_path / "cache" / "doctor" / "wheel-modules").iterdir())
    assert "polygon-api-client-1.14.2-py3.11.json" in cached
    polygon = tmp_path / "cache/doctor/wheel-modules/polygon-api-client-1.14.2-py3.11.json"
    assert json.loads(polygon.read_text()) == {"modules": ["polygon"]}
    # a rerun reads the resolution and the file lists from the cache: it works with uv
    # offline and an empty uv cache (uv alone revalidates every index page it read)
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-uv-cache"))
    again = doctor_cli(*args, "--resolve")
    assert _findings(again.stdout) == _findings(proc.stdout)
    assert len(list((tmp_path / "cache" / "doctor" / "resolve").iterdir())) == 1
    # offline: 2.10.3's data lacks scikit-learn (no Airflow constraints of 2.10.3 pin it),
    # so it is read from another version's data (1.6.1, the closest to the pin), which
    # says it brings joblib; polygon-api-client is in no version's data, but its name is
    # the module's and more words (a client installs its module): no finding either
    offline = doctor_cli(*args)
    unavailable = [f for f in _findings(offline.stdout) if f["code"] == "import-unavailable"]
    assert unavailable == []


def test_quiet_diff_prints_the_diff_alone_and_quiet_fix_nothing(  # type: ignore[no-untyped-def]
    doctor_cli, tmp_path: Path
) -> None:
    shutil.copytree(FIXTURES / "doctor_fix" / "af3", tmp_path / "af3")
    dags = tmp_path / "af3" / "dags"
    args = ("doctor", "dags", str(dags), "--mwaa", "3.0.6")
    loud = doctor_cli(*args, "--diff")
    assert "--fix would change 1 file(s)" in loud.stderr
    quiet = doctor_cli(*args, "--diff", "-q")
    # as `ruff check --diff --quiet`: the diff, no status lines; then only the errors
    assert quiet.stderr == ""
    diff, _, findings = quiet.stdout.partition("\ndags/")
    assert diff.startswith("--- a/") and diff.count("+++ b/") == 1
    headers = [ln for ln in ("dags/" + findings).splitlines() if ln and not ln.startswith(" ")]
    assert headers and all("  error  " in ln for ln in headers)
    assert quiet.returncode == loud.returncode == 1
    fixed = doctor_cli(*args, "--fix", "-q")
    # as `ruff check --fix --quiet`: nothing but what is left
    assert fixed.stderr == "" and "--- a/" not in fixed.stdout
    assert all("  error  " in ln for ln in fixed.stdout.splitlines() if ln and ln[0] != " ")
