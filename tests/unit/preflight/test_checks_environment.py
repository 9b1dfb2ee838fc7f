"""Checks of an existing MWAA environment over hand-built snapshots: each rule, its own code."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from taxiway.findings import Finding, Severity
from taxiway.preflight.checks_environment import environment_findings, environment_needs
from taxiway.preflight.collect import parse_environment
from taxiway.preflight.policy import evaluate
from taxiway.preflight.snapshot import (
    AclEntry,
    Bucket,
    DagFolder,
    Endpoint,
    EnvironmentSnapshot,
    Key,
    Network,
    Role,
    Route,
    S3Object,
    SecurityGroup,
    SgRule,
    Subnet,
)

ACCOUNT, REGION, NAME, BUCKET = "123456789012", "eu-west-1", "orders", "orders-mwaa"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/orders-execution"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1"
KINDS = ("DagProcessing", "Scheduler", "Task", "Webserver", "Worker")
GROUPS = {
    "DagProcessing": "DAGProcessing",
    "Scheduler": "Scheduler",
    "Task": "Task",
    "Webserver": "WebServer",
    "Worker": "Worker",
}
ALLOW = (
    AclEntry(100, False, "-1", True, "0.0.0.0/0"),
    AclEntry(100, True, "-1", True, "0.0.0.0/0"),
)


def raw_environment(**override: Any) -> dict[str, Any]:
    """GetEnvironment's answer for a well-configured environment."""
    env: dict[str, Any] = {
        "Name": NAME,
        "Arn": f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/{NAME}",
        "Status": "AVAILABLE",
        "AirflowVersion": "2.11.2",
        "ExecutionRoleArn": ROLE_ARN,
        "SourceBucketArn": f"arn:aws:s3:::{BUCKET}",
        "DagS3Path": "dags",
        "RequirementsS3Path": "requirements.txt",
        "RequirementsS3ObjectVersion": "v2",
        "PluginsS3Path": "plugins.zip",
        "PluginsS3ObjectVersion": "p1",
        "KmsKey": KEY_ARN,
        "NetworkConfiguration": {"SubnetIds": ["s-a", "s-b"], "SecurityGroupIds": ["sg-1"]},
        "LoggingConfiguration": {
            f"{k}Logs": {
                "Enabled": True,
                "LogLevel": "INFO",
                "CloudWatchLogGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
                f"airflow-{NAME}-{GROUPS[k]}",
            }
            for k in KINDS
        },
        "WebserverAccessMode": "PRIVATE_ONLY",
        "EndpointManagement": "SERVICE",
        "AirflowConfigurationOptions": {"core.lazy_load_plugins": "False"},
        "LastUpdate": {"Status": "SUCCESS"},
    }
    env.update(override)
    return env


def key_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    root = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    logs = {
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
        "Resource": "*",
    }
    return {"Statement": list(statements) or [root, logs]}


TRUST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ]
}


def execution_policy(bucket_resources: tuple[str, ...] = ()) -> dict[str, Any]:
    """AWS's sample execution policy for a customer managed key."""
    b = f"arn:aws:s3:::{BUCKET}"
    return {
        "Statement": [
            {"Effect": "Allow", "Action": "airflow:PublishMetrics", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": [b, f"{b}/*"]},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                "Resource": list(bucket_resources or (b, f"{b}/*")),
            },
            {"Effect": "Allow", "Action": "s3:GetAccountPublicAccessBlock", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["logs:*"],
                "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:airflow-{NAME}-*",
            },
            {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
            {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "sqs:*",
                "Resource": f"arn:aws:sqs:{REGION}:*:airflow-celery-*",
            },
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
                "Resource": KEY_ARN,
            },
        ]
    }


def subnet(sid: str, az: str) -> Subnet:
    routes = (Route("10.0.0.0/16", "local"), Route("0.0.0.0/0", "nat-1"))
    return Subnet(sid, az, "10.0.0.0/20", routes, "acl-1", ALLOW)


SELF = SgRule("-1", None, None, (), ("sg-1",))
OUT = SgRule("-1", None, None, ("0.0.0.0/0",), ())


def snapshot(**override: Any) -> EnvironmentSnapshot:
    raw = override.pop("raw", None) or raw_environment()
    env = parse_environment(raw, tuple(f"airflow-{NAME}-{g}" for g in GROUPS.values()))
    base = EnvironmentSnapshot(
        env=env,
        region=REGION,
        account_id=ACCOUNT,
        partition="aws",
        network=Network(
            "vpc-1",
            "10.0.0.0/16",
            (subnet("s-a", f"{REGION}a"), subnet("s-b", f"{REGION}b")),
            (),
            (SecurityGroup("sg-1", "mwaa", (SELF,), (OUT,)),),
            dns_support=True,
            dns_hostnames=True,
        ),
        bucket=Bucket(
            "source",
            BUCKET,
            True,
            "Enabled",
            {
                k: True
                for k in (
                    "BlockPublicAcls",
                    "IgnorePublicAcls",
                    "BlockPublicPolicy",
                    "RestrictPublicBuckets",
                )
            },
            "aws:kms",
            {
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ]
            },
            KEY_ARN,
        ),
        account_public_access_block=None,
        objects=(
            S3Object("requirements", "requirements.txt", "v2", True),
            S3Object("plugins", "plugins.zip", "p1", True),
        ),
        dags=DagFolder("dags/", ("dags/orders.py", "dags/lib/util.py")),
        key=Key(KEY_ARN, key_policy()),
        role=Role("orders-execution", ROLE_ARN, TRUST, (("inline:mwaa", execution_policy()),)),
    )
    return replace(base, **override)


def problems(findings: list[Finding]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        if f.severity is not Severity.INFO:
            out[f.code] = out.get(f.code, 0) + 1
    return out


def test_a_well_configured_environment_has_no_problem() -> None:
    found = environment_findings(snapshot())
    assert problems(found) == {}, [(f.code, f.message) for f in found]


def test_parse_environment_reads_every_field_the_checks_use() -> None:
    env = snapshot().env
    assert env.bucket == BUCKET and env.role_name == "orders-execution"
    assert env.objects() == (
        ("requirements", "requirements.txt", "v2"),
        ("plugins", "plugins.zip", "p1"),
    )
    assert env.logging == dict.fromkeys(KINDS, True)
    assert env.log_group_names["Webserver"] == f"airflow-{NAME}-WebServer"
    assert env.kms_key == KEY_ARN and env.last_update_status == "SUCCESS"


def test_needs_follow_the_configuration() -> None:
    needs = {(n.action, n.resource) for n in environment_needs(snapshot())}
    b = f"arn:aws:s3:::{BUCKET}"
    # Each configured object at its version, a real DAG file, the key (not an AWS owned one).
    assert ("s3:GetObjectVersion", f"{b}/requirements.txt") in needs
    assert ("s3:GetObjectVersion", f"{b}/plugins.zip") in needs
    assert ("s3:GetObject", f"{b}/dags/orders.py") in needs
    assert ("kms:Decrypt", KEY_ARN) in needs
    # Unversioned objects are read as the latest; no key means the AWS owned one via SQS.
    raw = raw_environment(RequirementsS3ObjectVersion=None, KmsKey=None)
    plain = snapshot(raw=raw, key=None, bucket=replace(snapshot().bucket, kms_key=None))
    needs = {(n.action, n.resource) for n in environment_needs(plain)}
    assert ("s3:GetObject", f"{b}/requirements.txt") in needs
    assert not any(r == KEY_ARN for _, r in needs)
    assert any(a == "kms:Decrypt" and ":000000000000:" in r for a, r in needs)


def test_role_that_cannot_read_a_configured_path_or_use_the_key() -> None:
    # Scoped to the DAG folder only: the requirements and plugins objects are refused.
    dags_only = execution_policy((f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/dags/*"))
    role = Role("orders-execution", ROLE_ARN, TRUST, (("inline:mwaa", dags_only),))
    found = [
        f for f in environment_findings(snapshot(role=role)) if f.code == "role-missing-permission"
    ]
    assert sorted(f.subject for f in found) == [
        f"s3:GetObjectVersion arn:aws:s3:::{BUCKET}/plugins.zip",
        f"s3:GetObjectVersion arn:aws:s3:::{BUCKET}/requirements.txt",
    ]
    # A key policy that names neither the role nor the account root.
    other = key_policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
            "Action": "kms:*",
            "Resource": "*",
        },
    )
    assert problems(environment_findings(snapshot(key=Key(KEY_ARN, other)))) == {
        "kms-policy-denies-role": 1
    }
    # Naming the role itself is as good as delegating to IAM.
    named = key_policy(
        {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "kms:*", "Resource": "*"},
        other["Statement"][1],
    )
    assert problems(environment_findings(snapshot(key=Key(KEY_ARN, named)))) == {}


RESOURCE_CASES = [
    (
        {"objects": (S3Object("requirements", "requirements.txt", "v9", False, ("v2", "v1")),)},
        {"object-version-missing": 1},
    ),
    ({"objects": (S3Object("plugins", "plugins.zip", None, False),)}, {"object-missing": 1}),
    ({"dags": DagFolder("dags/", ("dags/",))}, {"dags-folder-empty": 1}),
    (
        {"dags": DagFolder("dags/", ("dags/a.py", "dags/.git/HEAD", "dags/.git/config"))},
        {"dags-folder-clutter": 1},
    ),
    ({"key": None}, {"kms-key-not-found": 1}),
    ({"key": Key(KEY_ARN, key_policy(), "Disabled")}, {"kms-key-disabled": 1}),
    (
        {"bucket": replace(snapshot().bucket, versioning="Suspended")},
        {"bucket-versioning-disabled": 1},
    ),
    (
        {"bucket": replace(snapshot().bucket, public_access_block=None)},
        {"bucket-public-access": 1},
    ),
    ({"bucket": replace(snapshot().bucket, policy=None)}, {"bucket-no-tls-policy": 1}),
    (
        {
            "bucket": Bucket("source", BUCKET, exists=False),
            "objects": (),
            "dags": DagFolder("dags/", ()),
        },
        {"bucket-missing": 1},
    ),
    ({"role": None}, {"role-not-found": 1}),
]


@pytest.mark.parametrize(
    ("change", "expected"), RESOURCE_CASES, ids=[next(iter(e)) for _, e in RESOURCE_CASES]
)
def test_each_resource_problem_has_its_own_code(
    change: dict[str, Any], expected: dict[str, int]
) -> None:
    assert problems(environment_findings(snapshot(**change))) == expected


def test_object_version_message_names_what_exists() -> None:
    missing = S3Object("requirements", "requirements.txt", "v9", False, ("v2", "v1"))
    [f] = [
        f
        for f in environment_findings(snapshot(objects=(missing,)))
        if f.severity is Severity.ERROR
    ]
    assert "`v9`" in f.message and "`v2`, `v1`" in f.message
    assert "--requirements-s3-object-version" in f.hint


def test_airflowignore_that_lists_the_clutter_is_enough() -> None:
    dags = DagFolder(
        "dags/",
        ("dags/a.py", "dags/.airflowignore", "dags/x/__pycache__/a.pyc"),
        airflowignore="__pycache__\n",
    )
    assert problems(environment_findings(snapshot(dags=dags))) == {}
    # `.github` is not `.git`: path segments, not substrings (verify_env matches substrings).
    assert (
        problems(environment_findings(snapshot(dags=DagFolder("dags/", ("dags/.github/x.yml",)))))
        == {}
    )


def test_account_level_public_access_block_counts() -> None:
    bucket = replace(snapshot().bucket, public_access_block={"BlockPublicAcls": True})
    account = dict.fromkeys(
        ("IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    assert (
        problems(environment_findings(snapshot(bucket=bucket, account_public_access_block=account)))
        == {}
    )
    [f] = environment_findings(snapshot(bucket=bucket))
    assert f.code == "bucket-public-access" and "RestrictPublicBuckets" in f.message


CONFIG_CASES = [
    ({"WebserverAccessMode": "PUBLIC_ONLY"}, {"mwaa-webserver-public": 1}),
    ({"Status": "UPDATING"}, {"mwaa-not-available": 1}),
    (
        {
            "Status": "CREATE_FAILED",
            "LastUpdate": {"Status": "FAILED", "Error": {"ErrorMessage": "boom"}},
        },
        {"mwaa-not-available": 1},
    ),
    (
        {"LastUpdate": {"Status": "FAILED", "Error": {"ErrorMessage": "pandas==0.1 failed"}}},
        {"mwaa-last-update-failed": 1},
    ),
    ({"AirflowVersion": "2.2.2"}, {"mwaa-version-end-of-support": 1}),
    ({"AirflowConfigurationOptions": {}}, {"plugins-lazy-load": 1}),
    (
        {
            "AirflowConfigurationOptions": {
                "core.lazy_load_plugins": "False",
                "celery.worker_concurrency": "8",
            }
        },
        {"airflow-option-overridden": 1},
    ),
    (
        {
            "EndpointManagement": "CUSTOMER",
            "DatabaseVpcEndpointService": "com.amazonaws.vpce.eu-west-1.vpce-svc-db",
        },
        {"mwaa-customer-endpoints-missing": 1},
    ),
]


@pytest.mark.parametrize(
    ("override", "expected"), CONFIG_CASES, ids=[next(iter(e)) for _, e in CONFIG_CASES]
)
def test_each_configuration_problem_has_its_own_code(
    override: dict[str, Any], expected: dict[str, int]
) -> None:
    assert problems(environment_findings(snapshot(raw=raw_environment(**override)))) == expected


def test_unknown_version_is_information() -> None:
    found = environment_findings(snapshot(raw=raw_environment(AirflowVersion="2.99.0")))
    assert [(f.code, f.severity) for f in found] == [("mwaa-version-unknown", Severity.INFO)]


def test_customer_endpoints_present_pass() -> None:
    svc = "com.amazonaws.vpce.eu-west-1.vpce-svc-db"
    raw = raw_environment(EndpointManagement="CUSTOMER", DatabaseVpcEndpointService=svc)
    net = replace(snapshot().network, endpoints=(Endpoint(svc, "Interface", True, "available"),))
    assert problems(environment_findings(snapshot(raw=raw, network=net))) == {}


def test_logging() -> None:
    logging_off = {f"{k}Logs": {"Enabled": False, "LogLevel": "INFO"} for k in KINDS}
    [off] = environment_findings(snapshot(raw=raw_environment(LoggingConfiguration=logging_off)))
    assert off.code == "mwaa-logging-disabled" and off.severity is Severity.ERROR
    assert "no task logs" in off.message
    # Only the web server's logs off: a warning.
    partly = raw_environment()
    partly["LoggingConfiguration"]["WebserverLogs"]["Enabled"] = False
    [web] = environment_findings(snapshot(raw=partly))
    assert web.code == "mwaa-logging-disabled" and web.severity is Severity.WARNING
    # Enabled, but the log group is gone.
    env = parse_environment(raw_environment(), (f"airflow-{NAME}-Task",))
    [lost] = environment_findings(snapshot(env=env))
    assert lost.code == "mwaa-log-groups-missing" and lost.message.count(f"`airflow-{NAME}-") == 4


def test_secrets_backend() -> None:
    sm = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    options = {"core.lazy_load_plugins": "False", "secrets.backend": sm}
    raw = raw_environment(
        AirflowConfigurationOptions={
            **options,
            "secrets.backend_kwargs": '{"connections_prefix": "orders/conn", "variables_prefix": null}',
        }
    )
    s = snapshot(raw=raw)
    needs = [n for n in environment_needs(s) if n.action.startswith("secretsmanager:")]
    # The prefix given, the provider's default config prefix, and none for disabled variables.
    assert [n.resource.rsplit(":", 1)[-1] for n in needs] == [
        "orders/conn/example",
        "airflow/config/example",
    ]
    assert sorted(problems(environment_findings(s))) == ["role-missing-permission"]
    granted = {
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:*",
    }
    role = Role(
        "orders-execution",
        ROLE_ARN,
        TRUST,
        (("inline:mwaa", execution_policy()), ("inline:sm", {"Statement": [granted]})),
    )
    assert problems(environment_findings(replace(s, role=role))) == {}
    broken = raw_environment(
        AirflowConfigurationOptions={**options, "secrets.backend_kwargs": "{connections_prefix: x}"}
    )
    assert problems(environment_findings(snapshot(raw=broken, role=role))) == {
        "secrets-backend-misconfigured": 1
    }


def test_unreadable_inputs_skip_their_checks() -> None:
    # Denied reads are reported once (preflight-cannot-read), not as missing things.
    notes = (
        "`iam:get_role` was denied (AccessDenied)",
        "`logs:describe_log_groups` was denied (AccessDenied)",
        "`ec2:describe_security_groups` was denied (UnauthorizedOperation)",
        "`s3:get_bucket_versioning` was denied (AccessDenied)",
    )
    env = parse_environment(raw_environment(), ())
    s = snapshot(
        env=env,
        role=None,
        notes=notes,
        network=replace(snapshot().network, security_groups=()),
        bucket=replace(snapshot().bucket, versioning=None),
    )
    assert problems(environment_findings(s)) == {}


def test_aws_sample_policy_without_customer_key() -> None:
    # AWS's sample: the AWS owned key through SQS, by NotResource on the account's own keys.
    statement = {
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
        "NotResource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
        "Condition": {"StringLike": {"kms:ViaService": [f"sqs.{REGION}.amazonaws.com"]}},
    }
    assert evaluate(
        [{"Statement": [statement]}],
        "kms:Decrypt",
        f"arn:aws:kms:{REGION}:000000000000:key/aws-owned",
    ).allowed
    policy = execution_policy()
    policy["Statement"][-1] = statement
    role = Role("orders-execution", ROLE_ARN, TRUST, (("inline:mwaa", policy),))
    raw = raw_environment(KmsKey=None)
    s = snapshot(raw=raw, key=None, role=role, bucket=replace(snapshot().bucket, kms_key=None))
    found = environment_findings(s)
    assert problems(found) == {}
    assert any(
        f.code == "role-condition-not-evaluated" and "kms:ViaService" in f.message for f in found
    )
