"""Argument mapping: each Livy keyword becomes the right spark-submit arguments.

The generated ``steps=`` expression is evaluated with plain Python in a namespace holding
the DAG's variables, so a test checks the value Airflow will see, not only the text.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import pytest

from taxiway.findings import Finding, Severity
from taxiway.migrate import EmrTarget, migrate_source

HEADER = "from airflow.providers.apache.livy.operators.livy import LivyOperator\n"
PREFIX = ["spark-submit", "--deploy-mode", "cluster"]


def rewrite(
    kwargs: str, env: dict[str, Any] | None = None, target: EmrTarget | None = None
) -> tuple[dict[str, Any], list[Finding], str]:
    """Rewrite one call; return its evaluated keyword arguments, the findings and the text."""
    source = HEADER + f"t = LivyOperator({kwargs})\n"
    result = migrate_source(source, "dag.py", target or EmrTarget(cluster_name="analytics"))
    tree = ast.parse(result.after)
    call = tree.body[-1].value  # type: ignore[attr-defined]
    assert isinstance(call, ast.Call)
    assert isinstance(call.func, ast.Name) and call.func.id == "EmrAddStepsOperator"
    values = {
        kw.arg: eval(compile(ast.Expression(kw.value), "<kw>", "eval"), {**(env or {})})
        for kw in call.keywords
        if kw.arg is not None
    }
    # The calls here use short bare paths (`file="a.py"`); `livy-path-not-s3` has its own tests.
    findings = [f for f in result.findings if f.code != "livy-path-not-s3"]
    return values, findings, result.after


def spark_args(kwargs: str, env: dict[str, Any] | None = None) -> list[str]:
    values, _, _ = rewrite(kwargs, env)
    (step,) = values["steps"]
    assert step["ActionOnFailure"] == "CONTINUE"
    assert step["HadoopJarStep"]["Jar"] == "command-runner.jar"
    args = step["HadoopJarStep"]["Args"]
    assert args[:3] == PREFIX
    return list(args[3:])


@pytest.mark.parametrize(
    ("kwargs", "env", "expected"),
    [
        ('file="s3://b/app.py"', {}, ["s3://b/app.py"]),
        ('file="app.jar", class_name="com.acme.Main"', {}, ["--class", "com.acme.Main", "app.jar"]),
        (
            'file="a.py", args=["--date", "{{ ds }}", 7, 1.5]',
            {},
            ["a.py", "--date", "{{ ds }}", "7", "1.5"],
        ),
        ('file="a.py", args=("x",)', {}, ["a.py", "x"]),
        ('file="a.py", args=ARGS', {"ARGS": ["--n", "3"]}, ["a.py", "--n", "3"]),
        ('file="a.py", args=["--n", N, *MORE]', {"N": 3, "MORE": ["y"]}, ["a.py", "--n", "3", "y"]),
        ('file="a.py", args=[]', {}, ["a.py"]),
        ('file="a.py", args=None', {}, ["a.py"]),
        ('file="a.py", jars=["a.jar", "b.jar"]', {}, ["--jars", "a.jar,b.jar", "a.py"]),
        ('file="a.py", py_files=["c.zip"]', {}, ["--py-files", "c.zip", "a.py"]),
        (
            'file="a.py", files=[CONF]',
            {"CONF": "s3://x/log4j"},
            ["--files", "s3://x/log4j", "a.py"],
        ),
        (
            'file="a.py", archives=["e.tgz#env", ENV]',
            {"ENV": "f.tgz"},
            ["--archives", "e.tgz#env,f.tgz", "a.py"],
        ),
        ('file="a.py", jars=JARS', {"JARS": ["x.jar", "y.jar"]}, ["--jars", "x.jar,y.jar", "a.py"]),
        (
            'file="a.py", jars="{{ var.value.jars }}"',
            {},
            ["--jars", "{{ var.value.jars }}", "a.py"],
        ),
        ('file="a.py", jars=[]', {}, ["a.py"]),
        (
            'file="a.py", driver_memory="2g", executor_memory="8g"',
            {},
            ["--driver-memory", "2g", "--executor-memory", "8g", "a.py"],
        ),
        (
            'file="a.py", driver_cores=2, executor_cores="4", num_executors=N',
            {"N": 10},
            ["--driver-cores", "2", "--executor-cores", "4", "--num-executors", "10", "a.py"],
        ),
        (
            'file="a.py", queue="etl", name="job-{{ ds }}"',
            {},
            ["--name", "job-{{ ds }}", "--queue", "etl", "a.py"],
        ),
        (
            'file="a.py", conf={"spark.x": "1", "spark.y": True, "spark.z": 3}',
            {},
            ["--conf", "spark.x=1", "--conf", "spark.y=true", "--conf", "spark.z=3", "a.py"],
        ),
        (
            'file="a.py", conf={"spark.x": X, K: "v"}',
            {"X": 5, "K": "spark.k"},
            ["--conf", "spark.x=5", "--conf", "spark.k=v", "a.py"],
        ),
        (
            'file="a.py", conf=CONF',
            {"CONF": {"a": "1", "b": "2"}},
            ["--conf", "a=1", "--conf", "b=2", "a.py"],
        ),
        (
            'file="a.py", conf={"a": "1", **BASE}',
            {"BASE": {"b": "2"}},
            ["--conf", "a=1", "--conf", "b=2", "a.py"],
        ),
        ('file=f"{ROOT}/a.py"', {"ROOT": "s3://r"}, ["s3://r/a.py"]),
        ('file=path("a")', {"path": lambda n: f"s3://r/{n}.py"}, ["s3://r/a.py"]),
        ('file="a.py", class_name=None, queue=None', {}, ["a.py"]),
    ],
)
def test_livy_arguments_map_to_spark_submit(
    kwargs: str, env: dict[str, Any], expected: list[str]
) -> None:
    assert spark_args(f'task_id="t", {kwargs}', env) == expected


def test_every_flag_at_once_comes_in_a_fixed_order() -> None:
    args = spark_args(
        'task_id="t", args=["x"], conf={"k": "v"}, archives=["z"], files=["f"], py_files=["p"],'
        ' jars=["j"], num_executors=1, executor_cores=2, executor_memory="3g", driver_cores=4,'
        ' driver_memory="5g", queue="q", name="n", class_name="C", file="app"'
    )
    flags = [a for a in args if a.startswith("--")]
    assert flags == [
        "--class", "--name", "--queue", "--driver-memory", "--driver-cores", "--executor-memory",
        "--executor-cores", "--num-executors", "--jars", "--py-files", "--files", "--archives",
        "--conf",
    ]  # fmt: skip
    assert args[-2:] == ["app", "x"]


def test_templates_are_carried_unrendered() -> None:
    values, _, text = rewrite('task_id="t", file="{{ params.app }}", args=["{{ ds }}"]')
    assert values["steps"][0]["HadoopJarStep"]["Args"][3:] == ["{{ params.app }}", "{{ ds }}"]
    assert '"{{ params.app }}"' in text


def test_non_literal_values_are_not_evaluated_at_rewrite_time() -> None:
    env = {"job": lambda n: f"s3://r/{n}.py", "N": 4, "ARGS": ["--x", "1"]}
    values, _, text = rewrite('task_id="t", file=job("x"), num_executors=N, args=ARGS', env)
    args = values["steps"][0]["HadoopJarStep"]["Args"][3:]
    assert args == ["--num-executors", "4", "s3://r/x.py", "--x", "1"]
    assert 'job("x"),' in text
    assert '"--num-executors", str(N),' in text
    assert "*ARGS," in text


def test_operator_arguments() -> None:
    values, _, _ = rewrite('task_id="t", file="a.py", retries=3, pool="spark"')
    assert values["task_id"] == "t"
    assert values["job_flow_name"] == "analytics"
    assert values["cluster_states"] == ["WAITING", "RUNNING"]
    assert values["wait_for_completion"] is True
    assert values["retries"] == 3
    assert values["pool"] == "spark"
    assert "job_flow_id" not in values
    assert values["steps"][0]["Name"] == "t"


def test_cluster_id_target() -> None:
    values, _, _ = rewrite('task_id="t", file="a.py"', target=EmrTarget(cluster_id="j-ABC"))
    assert values["job_flow_id"] == "j-ABC"
    assert "job_flow_name" not in values and "cluster_states" not in values


def test_step_name_prefers_livy_name() -> None:
    values, _, _ = rewrite('task_id="t", file="a.py", name=NAME', {"NAME": "nightly"})
    assert values["steps"][0]["Name"] == "nightly"


@pytest.mark.parametrize(
    ("polling", "env", "delay", "attempts"),
    [
        ("polling_interval=15", {}, 15, 5760),
        ("polling_interval=45", {}, 45, 1920),
        ("polling_interval=P", {"P": 60}, 60, 1440),
        ("", {}, None, 2880),
        ("polling_interval=0", {}, None, 2880),
    ],
)
def test_polling_interval_becomes_waiter_delay(
    polling: str, env: dict[str, Any], delay: int | None, attempts: int
) -> None:
    values, findings, _ = rewrite(f'task_id="t", file="a.py", {polling}'.rstrip(", "), env)
    assert values.get("waiter_delay") == delay
    assert values["waiter_max_attempts"] == attempts
    # The default budget is 24 hours of waiting, whatever the delay.
    assert (delay or 30) * attempts >= 24 * 60 * 60
    waits = [f for f in findings if f.code == "livy-now-waits"]
    assert len(waits) == (1 if polling == "polling_interval=0" else 0)


def test_max_wait_minutes_sizes_the_attempts() -> None:
    target = EmrTarget(cluster_name="c", max_wait_minutes=90)
    values, _, _ = rewrite('task_id="t", file="a.py", polling_interval=40', target=target)
    assert values["waiter_max_attempts"] == math.ceil(90 * 60 / 40)


def test_deferrable() -> None:
    target = EmrTarget(cluster_name="c", deferrable=True)
    values, _, _ = rewrite('task_id="t", file="a.py", deferrable=False', target=target)
    assert values["deferrable"] is True
    values, _, _ = rewrite('task_id="t", file="a.py", deferrable=D', {"D": True})
    assert values["deferrable"] is True
    values, _, _ = rewrite('task_id="t", file="a.py"')
    assert "deferrable" not in values


@pytest.mark.parametrize(
    "key",
    [
        "proxy_user",
        "livy_conn_id",
        "livy_conn_auth_type",
        "livy_endpoint_prefix",
        "extra_options",
        "extra_headers",
        "retry_args",
        "openlineage_inject_transport_info",
    ],
)
def test_livy_only_arguments_are_dropped_with_a_finding(key: str) -> None:
    values, findings, _ = rewrite(f'task_id="t",\n    file="a.py",\n    {key}=SOMETHING,\n')
    assert key not in values
    (finding,) = findings
    assert finding.code == "livy-arg-dropped"
    assert finding.severity is Severity.WARNING
    assert finding.file == "dag.py"
    assert finding.line == 2
    assert key in finding.subject and "task t" in finding.subject
    assert f"`{key}=SOMETHING`" in finding.message
    assert finding.hint


def test_kwargs_splat_is_passed_on_with_a_warning() -> None:
    values, findings, _ = rewrite('task_id="t", file="a.py", **COMMON', {"COMMON": {"retries": 2}})
    assert values["task_id"] == "t"
    assert [f.code for f in findings] == ["livy-kwargs-passed"]
