"""MWAA Serverless end to end, as a user runs it: `taxiway convert serverless` (YAML that
dag-factory loads into the same graph as the Python DAG, the code package, the report),
then `taxiway deploy OUT --serverless --run` on the twin (workflows created with versions,
only what changed updated, runs executed with dag-factory in the runner's Airflow, task
states and the failure read back through the `mwaa-serverless` API).

One conversion is shared by the module: each engine call starts Airflow in the sandbox.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import boto3
import pytest
import yaml
from typer.testing import CliRunner

from taxiway.cli.app import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "serverless_projects"

ROLE = "arn:aws:iam::123456789012:role/workflows"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, twin_cache: Path) -> tuple[int, dict, Path]:  # type: ignore[type-arg]
    mp = pytest.MonkeyPatch()
    mp.setenv("TAXIWAY_CACHE_DIR", str(twin_cache))  # the engine the twin runs workflows in
    out = tmp_path_factory.mktemp("serverless-out")
    try:
        result = CliRunner().invoke(
            app,
            [
                "convert",
                "serverless",
                str(FIXTURES / "convertible"),
                "-o",
                str(out),
                "--format",
                "json",
            ],
        )
    finally:
        mp.undo()
    return result.exit_code, json.loads(result.stdout), out


def test_convert_round_trip(converted: tuple[int, dict, Path]) -> None:  # type: ignore[type-arg]
    code, report, out = converted
    assert code == 0, report
    assert (report["converted"], report["refused"]) == (2, 0)
    dags = {d["dag_id"]: d for d in report["dags"]}
    # loaded back with dag-factory: the same tasks and dependencies as the Python DAGs
    got = {k: (v["validation"]["tasks"], v["validation"]["dependencies"]) for k, v in dags.items()}
    assert got == {"failing": (3, 2), "pipeline": (5, 4)}
    assert all(d["validation"]["same_graph"] for d in dags.values())
    assert dags["failing"]["file"] == "team/failing.py"  # found in a subfolder
    assert dags["pipeline"]["graph"]["echo"] == ["summarise"]
    # the hourly DAG that relies on catchup is told what it loses
    changes = {c["subject"]: c["message"] for c in dags["failing"]["changes"]}
    assert set(changes) == {"catchup", "max_active_runs"}
    assert "missed intervals are not run" in changes["catchup"]
    assert "runs may overlap" in changes["max_active_runs"]
    failing = yaml.safe_load((out / "failing.yaml").read_text())["failing"]
    assert "catchup" not in failing and "max_active_runs" not in failing
    pipeline = yaml.safe_load((out / "pipeline.yaml").read_text())["pipeline"]
    assert pipeline["schedule"] == "0 0 * * *"  # @daily rewritten
    tasks = pipeline["tasks"]
    assert tasks["extract"]["python_callable"] == "helpers.transform.extract"
    assert tasks["summarise"]["operator"].endswith("python.PythonOperator")  # was @task
    assert tasks["summarise"]["op_args"] == ["{{ ti.xcom_pull(task_ids='count_rows') }}"]
    kinds = sorted((c["kind"], c["subject"]) for c in dags["pipeline"]["changes"])
    assert kinds == [
        ("dropped", "tags"),
        ("rewritten", "schedule"),
        ("rewritten", "summarise"),
        ("rewritten", "summarise.op_args"),
    ]
    # helpers ship; the DAG file ships only because its TaskFlow function is called
    assert zipfile.ZipFile(out / "code.zip").namelist() == [
        "helpers/__init__.py",
        "helpers/transform.py",
        "pipeline.py",
        "taxiway_taskflow_pipeline.py",
    ]


def _deploy(folder: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    args = ["deploy", str(folder), "--serverless", "--bucket", "flows", "--role-arn", ROLE]
    result = CliRunner().invoke(app, [*args, "--format", "json", *extra])
    assert result.stdout, result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def account(twin_aws: object, twin_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAXIWAY_CACHE_DIR", str(twin_cache))
    boto3.client("s3").create_bucket(
        Bucket="flows", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    boto3.client("iam").create_role(RoleName="workflows", AssumeRolePolicyDocument="{}")


def _states(api: object, flow: dict) -> dict[str, str]:  # type: ignore[type-arg]
    tasks = api.list_task_instances(WorkflowArn=flow["arn"], RunId=flow["run"]["RunId"])  # type: ignore[attr-defined]
    return {t["TaskInstanceId"].split("-", 1)[1]: t["Status"] for t in tasks["TaskInstances"]}


def test_deploy_and_run_on_the_twin(
    account: None,
    converted: tuple[int, dict, Path],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reviewed"
    shutil.copytree(converted[2], folder)
    code, done = _deploy(folder, "--run")
    assert code == 1  # one run failed, and the exit code says so
    flows = {w["name"]: w for w in done["workflows"]}
    assert {k: (w["action"], w["run"]["RunState"]) for k, w in flows.items()} == {
        "failing": ("created", "FAILED"),
        "pipeline": ("created", "SUCCESS"),
    }
    assert sorted(done["uploaded"]) == [
        "workflows/code.zip",
        "workflows/failing.yaml",
        "workflows/pipeline.yaml",
    ]
    api = boto3.client("mwaa-serverless")
    tasks = ("start", "extract", "count_rows", "summarise", "echo")
    assert _states(api, flows["pipeline"]) == dict.fromkeys(tasks, "SUCCESS")
    bad = flows["failing"]
    run = api.get_workflow_run(WorkflowArn=bad["arn"], RunId=bad["run"]["RunId"])["RunDetail"]
    assert run["RunState"] == "FAILED" and "boom" in run["ErrorMessage"]
    assert _states(api, bad) == {"ok": "SUCCESS", "boom": "FAILED", "after": "UPSTREAM_FAILED"}
    boom = api.get_task_instance(
        WorkflowArn=bad["arn"],
        RunId=bad["run"]["RunId"],
        TaskInstanceId=f"{bad['run']['RunId']}-boom",
    )
    assert boom["ErrorMessage"] == (
        "AirflowException: Bash command failed. The command returned a non-zero exit code 3."
    )
    assert boom["AttemptNumber"] == 1
    # the same folder again: nothing uploaded, nothing updated
    code, again = _deploy(folder)
    assert (code, again["uploaded"]) == (0, [])
    assert {w["name"]: w["action"] for w in again["workflows"]} == {
        "failing": "unchanged",
        "pipeline": "unchanged",
    }
    # an edited definition is loaded back again, then only its workflow is updated
    edited = folder / "failing.yaml"
    edited.write_text(edited.read_text().replace("exit 3", "exit 0"))
    code, third = _deploy(folder)
    assert (code, third["uploaded"]) == (0, ["workflows/failing.yaml"])
    assert {w["name"]: w["action"] for w in third["workflows"]} == {
        "failing": "updated",
        "pipeline": "unchanged",
    }
    versions = api.list_workflow_versions(WorkflowArn=bad["arn"])["WorkflowVersions"]
    assert len(versions) == 2 and versions[0]["IsLatestVersion"]


def test_refusals_as_aws_documents_them(account: None) -> None:
    api, s3 = boto3.client("mwaa-serverless"), boto3.client("s3")
    bad = b"bad:\n  schedule: '@hourly'\n  tasks:\n    t:\n      operator: x.Y\n"
    s3.put_object(Bucket="flows", Key="bad.yaml", Body=bad)
    location = {"Bucket": "flows", "ObjectKey": "bad.yaml"}
    with pytest.raises(api.exceptions.ValidationException, match="cron expression or null"):
        api.create_workflow(Name="bad", DefinitionS3Location=location, RoleArn=ROLE)
    nope = ROLE.replace("workflows", "nope")
    with pytest.raises(api.exceptions.ValidationException, match="does not exist"):
        api.create_workflow(Name="bad", DefinitionS3Location=location, RoleArn=nope)
    empty = "airflow.providers.standard.operators.empty.EmptyOperator"
    body = f"ok:\n  schedule: null\n  catchup: true\n  tasks:\n    t:\n      operator: {empty}\n"
    s3.put_object(Bucket="flows", Key="ok.yaml", Body=body.encode())
    ok = {"Bucket": "flows", "ObjectKey": "ok.yaml"}
    made = api.create_workflow(Name="ok", DefinitionS3Location=ok, RoleArn=ROLE)
    assert len(made["WorkflowVersion"]) == 32
    assert [w for w in made["Warnings"] if "catchup" in w]
    with pytest.raises(api.exceptions.ConflictException):
        api.create_workflow(Name="ok", DefinitionS3Location=ok, RoleArn=ROLE)
    missing = made["WorkflowArn"][:-10] + "0123456789"
    with pytest.raises(api.exceptions.ResourceNotFoundException):
        api.start_workflow_run(WorkflowArn=missing)
    assert [w["Name"] for w in api.list_workflows()["Workflows"]] == ["ok"]
