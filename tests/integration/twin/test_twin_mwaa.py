"""`taxiway twin`'s MWAA control plane through boto3, as a user's scripts and taxiway call it.

Refusals are checked without any install (fast); one lifecycle test installs for real with
the local runner: create, a DAG import error that does not fail anything, an update whose
requirement cannot install (rolled back, named, previous version kept), a second update
refused while the first runs, delete.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from twin_helpers import (
    AIRFLOW,
    client,
    create_environment,
    execution_role,
    network,
    versioned_bucket,
    wait_settled,
)

GOOD_DAG = b"from airflow import DAG\n\nwith DAG('hello', schedule=None):\n    pass\n"
BROKEN_DAG = b"from airflow import DAG\nimport module_nobody_ships\n"


def _error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def _create_args(bucket: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": "refused",
        "ExecutionRoleArn": execution_role(f"{bucket}-role", bucket),
        "SourceBucketArn": f"arn:aws:s3:::{bucket}",
        "DagS3Path": "dags",
        "NetworkConfiguration": network(),
        "AirflowVersion": AIRFLOW,
        **extra,
    }


def test_create_is_refused_as_mwaa_refuses_it(twin_aws: Any) -> None:
    s3, mwaa = client("s3"), client("mwaa")
    versioned_bucket("plain-bucket", versioning=False)
    s3.put_object(Bucket="plain-bucket", Key="dags/", Body=b"")
    args = _create_args("plain-bucket")
    code, message = _error(mwaa.create_environment, **args)
    assert code == "ValidationException" and "versioning enabled" in message

    versioned_bucket("src-bucket")
    args = _create_args("src-bucket")
    code, message = _error(mwaa.create_environment, **args)
    assert "DagS3Path dags does not exist" in message  # no DAG folder yet

    s3.put_object(Bucket="src-bucket", Key="dags/", Body=b"")
    s3.put_object(Bucket="src-bucket", Key="requirements.txt", Body=b"pyfiglet==1.0.2\n")
    code, message = _error(
        mwaa.create_environment,
        **{**args, "RequirementsS3Path": "requirements.txt", "RequirementsS3ObjectVersion": "nope"},
    )
    assert "version nope of s3://src-bucket/requirements.txt" in message
    ec2 = client("ec2")
    (first_subnet,) = ec2.describe_subnets(SubnetIds=args["NetworkConfiguration"]["SubnetIds"][:1])[
        "Subnets"
    ]
    same_az = ec2.create_subnet(
        VpcId=first_subnet["VpcId"],
        CidrBlock="10.0.9.0/24",
        AvailabilityZone=first_subnet["AvailabilityZone"],
    )["Subnet"]["SubnetId"]
    one_az = {**args["NetworkConfiguration"], "SubnetIds": [first_subnet["SubnetId"], same_az]}
    code, message = _error(mwaa.create_environment, **{**args, "NetworkConfiguration": one_az})
    assert "two different Availability Zones" in message
    code, message = _error(mwaa.create_environment, **{**args, "AirflowVersion": "9.9.9"})
    assert "9.9.9 is not supported" in message
    code, message = _error(
        mwaa.create_environment, **{**args, "ExecutionRoleArn": "arn:aws:iam::123456789012:role/x"}
    )
    assert "execution role" in message and "does not exist" in message
    code, message = _error(mwaa.create_environment, **{**args, "DagS3Path": "s3://src-bucket/dags"})
    assert "relative to the bucket" in message
    # nothing was created by any refusal
    assert mwaa.list_environments()["Environments"] == []
    code, _ = _error(mwaa.get_environment, Name="refused")
    assert code == "ResourceNotFoundException"
    code, _ = _error(mwaa.update_environment, Name="refused", DagS3Path="dags")
    assert code == "ResourceNotFoundException"


def _states_until_settled(name: str, timeout: float = 900) -> list[str]:
    mwaa, seen = client("mwaa"), []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = mwaa.get_environment(Name=name)["Environment"]["Status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("AVAILABLE", "CREATE_FAILED", "UPDATE_FAILED"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"{name} did not settle: {seen}")


def test_environment_installs_what_s3_holds_and_rolls_back_a_failed_update(
    twin_aws: Any,
) -> None:
    s3, mwaa = client("s3"), client("mwaa")
    versioned_bucket("orders-mwaa")
    s3.put_object(Bucket="orders-mwaa", Key="dags/hello.py", Body=GOOD_DAG)
    s3.put_object(Bucket="orders-mwaa", Key="dags/broken.py", Body=BROKEN_DAG)
    first = s3.put_object(Bucket="orders-mwaa", Key="requirements.txt", Body=b"pyfiglet==1.0.2\n")
    s3.put_object(Bucket="orders-mwaa", Key="startup.sh", Body=b"export ORDERS_STAGE=test\n")
    create_environment(
        "orders",
        "orders-mwaa",
        AIRFLOW,
        wait=False,
        RequirementsS3Path="requirements.txt",
        StartupScriptS3Path="startup.sh",
    )
    assert _states_until_settled("orders")[0] == "CREATING"
    env = mwaa.get_environment(Name="orders")["Environment"]
    assert env["Status"] == "AVAILABLE", env.get("LastUpdate")
    assert env["RequirementsS3ObjectVersion"] == first["VersionId"]  # the latest, resolved
    assert env["AirflowVersion"] == AIRFLOW and env["Arn"].endswith(":environment/orders")
    assert mwaa.list_environments()["Environments"] == ["orders"]
    # a DAG that does not import fails nothing; the scheduler's view says which and why
    errors = mwaa.invoke_rest_api(Name="orders", Path="/importErrors", Method="GET")
    (error,) = errors["RestApiResponse"]["import_errors"]
    assert error["filename"].endswith("broken.py") and "module_nobody_ships" in error["stack_trace"]
    dags = mwaa.invoke_rest_api(Name="orders", Path="/dags", Method="GET")["RestApiResponse"]
    assert [d["dag_id"] for d in dags["dags"]] == ["hello"]
    on_disk = json.loads(
        (twin_aws.data_dir / "mwaa" / "orders" / "dag-import-errors.json").read_text()
    )
    assert list(on_disk) == [error["filename"]]
    # fixed in S3, no update: the next look at the DAG folder sees it, as the scheduler would
    s3.delete_object(Bucket="orders-mwaa", Key="dags/broken.py")
    errors = mwaa.invoke_rest_api(Name="orders", Path="/importErrors", Method="GET")
    assert errors["RestApiResponse"]["total_entries"] == 0

    # an update whose requirement fights MWAA's constraints: rolled back, the cause named
    bad = s3.put_object(Bucket="orders-mwaa", Key="requirements.txt", Body=b"six==1.16.0\n")
    mwaa.update_environment(
        Name="orders",
        RequirementsS3Path="requirements.txt",
        RequirementsS3ObjectVersion=bad["VersionId"],
    )
    code, message = _error(mwaa.update_environment, Name="orders", MaxWorkers=3)
    assert code == "ValidationException" and "UPDATING" in message
    states = _states_until_settled("orders")
    assert states[0] == "UPDATING" and "ROLLING_BACK" in states and states[-1] == "AVAILABLE"
    env = mwaa.get_environment(Name="orders")["Environment"]
    assert env["LastUpdate"]["Status"] == "FAILED"
    assert env["LastUpdate"]["Error"]["ErrorCode"] == "REQUIREMENTS_INSTALL_FAILED"
    assert "six" in env["LastUpdate"]["Error"]["ErrorMessage"]
    assert env["RequirementsS3ObjectVersion"] == first["VersionId"]  # the previous one kept

    # an update that installs: the new version is in effect
    good = s3.put_object(Bucket="orders-mwaa", Key="requirements.txt", Body=b"pyfiglet==1.0.2\n\n")
    mwaa.update_environment(
        Name="orders", RequirementsS3ObjectVersion=good["VersionId"], MaxWorkers=3
    )
    env = wait_settled("orders")
    assert env["LastUpdate"]["Status"] == "SUCCESS"
    assert env["RequirementsS3ObjectVersion"] == good["VersionId"] and env["MaxWorkers"] == 3

    mwaa.delete_environment(Name="orders")
    assert mwaa.list_environments()["Environments"] == []


def test_twin_command_prints_its_endpoint_first_and_stops_on_sigterm(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "taxiway"
    proc = subprocess.Popen(
        [str(exe), "twin", "--port", "0", "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("AWS_ENDPOINT_URL=http://127.0.0.1:"), line
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=line.strip().split("=", 1)[1],
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )
    s3.create_bucket(Bucket="it-serves")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["it-serves"]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "taxiway twin stopped" in err
