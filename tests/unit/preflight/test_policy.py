"""The local IAM evaluator: wildcards, Not* elements, explicit deny, unevaluated conditions."""

from __future__ import annotations

import pytest

from taxiway.preflight.policy import evaluate, matches

BUCKET = "arn:aws:s3:::taxiway-sandbox-reports-123456789012"


def allow(action: object, resource: object, **extra: object) -> dict[str, object]:
    return {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]}


@pytest.mark.parametrize(
    ("glob", "value", "ignore_case", "expected"),
    [
        ("s3:Get*", "s3:GetObject", True, True),
        ("s3:get*", "s3:GetObject", True, True),
        ("s3:Get?bject", "s3:GetObject", True, True),
        ("s3:Get*", "s3:PutObject", True, False),
        (f"{BUCKET}/*", f"{BUCKET}/reports/x.parquet", False, True),
        (f"{BUCKET}/*", BUCKET, False, False),
        ("arn:aws:s3:::Taxiway*", "arn:aws:s3:::taxiway-x", False, False),
        ("a.b", "axb", False, False),  # regex metacharacters are literal
    ],
)
def test_wildcards(glob: str, value: str, ignore_case: bool, expected: bool) -> None:
    assert matches(glob, value, ignore_case=ignore_case) is expected


def test_allow_deny_and_implicit_deny() -> None:
    docs = [
        allow(["s3:GetObject", "s3:PutObject"], f"{BUCKET}/*"),
        {
            "Statement": {
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": f"{BUCKET}/locked/*",
            }
        },
    ]
    assert evaluate(docs, "s3:GetObject", f"{BUCKET}/a").decision == "allowed"
    assert evaluate(docs, "s3:PutObject", f"{BUCKET}/a").decision == "allowed"
    assert evaluate(docs, "s3:PutObject", f"{BUCKET}/locked/a").decision == "explicitDeny"
    assert evaluate(docs, "s3:DeleteObject", f"{BUCKET}/a").decision == "implicitDeny"
    assert evaluate([], "s3:GetObject", f"{BUCKET}/a").decision == "implicitDeny"


def test_not_action_and_not_resource() -> None:
    docs = [
        {
            "Statement": [
                {"Effect": "Allow", "NotAction": "iam:*", "NotResource": f"{BUCKET}/secret/*"}
            ]
        }
    ]
    assert evaluate(docs, "s3:GetObject", f"{BUCKET}/a").allowed
    assert not evaluate(docs, "iam:CreateUser", "*").allowed
    assert not evaluate(docs, "s3:GetObject", f"{BUCKET}/secret/k").allowed


def test_conditions_are_reported_not_evaluated() -> None:
    cond = {"StringEquals": {"cloudwatch:namespace": "AmazonMWAA"}}
    d = evaluate(
        [allow("cloudwatch:PutMetricData", "*", Condition=cond)], "cloudwatch:PutMetricData", "*"
    )
    assert d.allowed and d.conditions == ("StringEquals:cloudwatch:namespace",)
    # An unconditional Allow elsewhere makes the answer unconditional.
    d2 = evaluate(
        [allow("cloudwatch:PutMetricData", "*", Condition=cond), allow("cloudwatch:*", "*")],
        "cloudwatch:PutMetricData",
        "*",
    )
    assert d2.allowed and d2.conditions == ()
    # A conditional Deny does not deny, but is reported.
    deny = {
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    d3 = evaluate([allow("s3:GetObject", "*"), deny], "s3:GetObject", f"{BUCKET}/a")
    assert d3.allowed and d3.conditions == ("Bool:aws:SecureTransport",)


def test_conditions_the_request_context_answers_are_evaluated() -> None:
    """The request's tags and passed-to service decide a statement; other keys do not."""
    tagged = {"StringEquals": {"aws:RequestTag/taxiway:env": "sandbox"}}
    policy = [allow("elasticmapreduce:RunJobFlow", "*", Condition=tagged)]
    ok = evaluate(
        policy,
        "elasticmapreduce:RunJobFlow",
        "*",
        context={"aws:RequestTag/taxiway:env": "sandbox"},
    )
    assert ok.allowed and ok.conditions == ()
    wrong = evaluate(
        policy, "elasticmapreduce:RunJobFlow", "*", context={"aws:RequestTag/taxiway:env": "test"}
    )
    assert wrong.decision == "implicitDeny"
    unknown = evaluate(policy, "elasticmapreduce:RunJobFlow", "*")
    assert unknown.allowed and unknown.conditions == ("StringEquals:aws:RequestTag/taxiway:env",)
    # wildcards for StringLike, a list of values, and a key it cannot answer left as is
    cond = {
        "StringLike": {"iam:PassedToService": ["ec2.*", "elasticmapreduce.amazonaws.com"]},
        "Bool": {"aws:SecureTransport": "true"},
    }
    d = evaluate(
        [allow("iam:PassRole", "*", Condition=cond)],
        "iam:PassRole",
        "arn:aws:iam::1:role/r",
        context={"iam:PassedToService": "ec2.amazonaws.com"},
    )
    assert d.allowed and d.conditions == ("Bool:aws:SecureTransport",)
    denied_elsewhere = evaluate(
        [allow("iam:PassRole", "*", Condition=cond)],
        "iam:PassRole",
        "arn:aws:iam::1:role/r",
        context={"iam:PassedToService": "lambda.amazonaws.com"},
    )
    assert denied_elsewhere.decision == "implicitDeny"
    # a Deny whose condition the context answers false does not apply
    deny = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": tagged}]}
    d2 = evaluate(
        [allow("elasticmapreduce:AddTags", "*"), deny],
        "elasticmapreduce:AddTags",
        "*",
        context={"aws:RequestTag/taxiway:env": "test"},
    )
    assert d2.allowed and d2.conditions == ()


def test_resource_policy_principals() -> None:
    key_policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": ["logs.eu-west-1.amazonaws.com"]},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
            },
        ]
    }
    logs = ("Service", "logs.eu-west-1.amazonaws.com")
    assert evaluate([key_policy], "kms:GenerateDataKey", "*", principal=logs).allowed
    assert not evaluate([key_policy], "kms:Decrypt", "*", principal=logs).allowed
    assert not evaluate(
        [key_policy], "kms:Decrypt", "*", principal=("Service", "airflow.amazonaws.com")
    ).allowed
