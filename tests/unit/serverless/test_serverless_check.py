"""`doctor --target mwaa-serverless` rules on the fixture: the exact findings, with lines."""

from __future__ import annotations

from pathlib import Path

from taxiway.doctor.project import find_layout
from taxiway.serverless.check import check_layout, cron_for, is_cron
from taxiway.serverless.operators import operator_data

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "serverless_projects"


def test_every_kind_of_finding_with_file_and_line() -> None:
    findings = check_layout(find_layout(FIXTURES / "findings"))
    got = {(f.code, f.severity.value, f.subject, f.file, f.line) for f in findings}
    etl, assets, curate = "dags/hourly_etl.py", "dags/sub/assets.py", "dags/sub/curate.py"
    ignored = "serverless-ignored-parameter"
    assert got == {
        ("serverless-plugins", "error", "plugins", "plugins", None),
        ("serverless-requirements", "warning", "requirements.txt", "requirements.txt", None),
        (ignored, "warning", "hourly_etl:depends_on_past", etl, 18),
        (ignored, "warning", "hourly_etl:on_failure_callback", etl, 19),
        (ignored, "warning", "hourly_etl:catchup", etl, 22),
        (ignored, "warning", "hourly_etl:max_active_runs", etl, 22),
        (ignored, "info", "hourly_etl:tags", etl, 22),
        ("serverless-schedule", "warning", "hourly_etl", etl, 24),
        ("serverless-unsupported-operator", "error", "SnowflakeOperator", etl, 31),
        ("serverless-connection", "warning", "warehouse", etl, 31),
        ("serverless-task-limit", "warning", "AthenaOperator", etl, 32),
        ("serverless-variable", "info", "report_day", etl, 34),
        ("serverless-variable", "info", "landing_bucket", etl, 39),
        ("serverless-code-package", "info", "BashOperator", etl, 40),
        ("serverless-schedule", "error", "on_events", assets, 8),
        ("serverless-schedule", "error", "every_ten_minutes", assets, 11),
        ("serverless-assets", "warning", "outlets", assets, 12),
        ("serverless-unsupported-operator", "error", "@task.virtualenv", assets, 14),
        ("serverless-custom-operator", "warning", "CurateOperator", curate, 7),
    }
    by_subject = {f.subject: f for f in findings}
    # what changes for that DAG, not just "ignored"
    assert "missed intervals are not run" in by_subject["hourly_etl:catchup"].message
    assert "runs may overlap" in by_subject["hourly_etl:max_active_runs"].message
    assert "`0 * * * *`" in by_subject["hourly_etl"].hint
    # catchup=False in curate.py is what Serverless does anyway: no finding for it
    assert not any(f.subject.startswith("curate:") for f in findings)


def test_operator_data_has_its_source_and_maps_old_paths() -> None:
    data = operator_data()
    assert len(data.paths) == 226
    assert set(data.paths.values()) == {"aws-converter", "aws-docs-code"}
    assert data.supported("airflow.operators.python.PythonOperator")
    assert data.supported("airflow.providers.amazon.aws.operators.athena.AthenaOperator")
    # an old module path of a supported class resolves to the current one
    old = "airflow.providers.amazon.aws.operators.emr_add_steps.EmrAddStepsOperator"
    assert data.supported(old) == "airflow.providers.amazon.aws.operators.emr.EmrAddStepsOperator"
    assert (
        data.supported("airflow.providers.snowflake.operators.snowflake.SnowflakeOperator") is None
    )
    assert data.supported("airflow.operators.dummy.DummyOperator") is None


def test_schedule_forms() -> None:
    assert cron_for("@hourly") == "0 * * * *"
    assert cron_for("@once") is None
    assert is_cron("*/5 * * * *") and not is_cron("@daily")
