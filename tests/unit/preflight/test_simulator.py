"""The simulator path: IAM's SimulatePrincipalPolicy answers (botocore Stubber; moto lacks it)."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from taxiway.preflight.checks_iam import check_permissions, required_permissions, simulation_pairs
from taxiway.preflight.collect import simulate_role
from taxiway.preflight.snapshot import Key, Names, Network, Role, Snapshot

ROLE_ARN = "arn:aws:iam::123456789012:role/taxiway-sandbox-mwaa-execution"
NAMES = Names(
    project="taxiway", env="sandbox", region="eu-west-1", account_id="123456789012",
    partition="aws",
    buckets={r: f"taxiway-sandbox-{r}-123456789012" for r in ("landing", "curated", "reports", "artifacts", "mwaa", "logs")},
    vpc="taxiway-sandbox", security_group="taxiway-sandbox-mwaa",
    execution_role="taxiway-sandbox-mwaa-execution", kms_alias="alias/taxiway-sandbox",
    emr_cluster="taxiway-sandbox", emr_service_role="taxiway-sandbox-emr-service",
    emr_instance_profile="taxiway-sandbox-emr-instance", athena_workgroup="taxiway-sandbox", glue_database="taxiway_sandbox",
    mwaa_environment="taxiway-sandbox", mwaa_version="3.3.1",
)  # fmt: skip
SNAPSHOT = Snapshot(
    names=NAMES,
    network=Network(None, None),
    buckets=(),
    key=Key("arn:aws:kms:eu-west-1:123456789012:key/k-1", {}),
    # No policies at all: a local evaluation would deny everything; the simulator decides.
    role=Role("taxiway-sandbox-mwaa-execution", ROLE_ARN, {}, ()),
    emr_cluster_id="j-ABC",
    workgroup=None,
    glue_database=True,
    mwaa=None,
)


def _iam() -> tuple[object, Stubber]:
    iam = boto3.client(
        "iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return iam, Stubber(iam)


def test_simulator_answers_drive_the_findings() -> None:
    needs = required_permissions(NAMES, "j-ABC", SNAPSHOT.key.arn if SNAPSHOT.key else None)
    pairs = simulation_pairs(needs)
    assert pairs[-1] == ("s3:ListAllMyBuckets", "*", ())
    assert ("aws:RequestTag/taxiway:env", "sandbox") in dict((a, c) for a, _, c in pairs)[
        "elasticmapreduce:RunJobFlow"
    ]
    iam, stubber = _iam()
    for action, resource, context in pairs:
        # One explicit deny; everything else allowed, ListAllMyBuckets included (a warning).
        decision = "explicitDeny" if action == "athena:StartQueryExecution" else "allowed"
        stubber.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {
                        "EvalActionName": action,
                        "EvalResourceName": resource,
                        "EvalDecision": decision,
                    }
                ]
            },
            {
                "PolicySourceArn": ROLE_ARN,
                "ActionNames": [action],
                "ResourceArns": [resource],
                # the request's tags and passed-to service, which the simulator cannot look up
                **(
                    {
                        "ContextEntries": [
                            {
                                "ContextKeyName": k,
                                "ContextKeyValues": [v],
                                "ContextKeyType": "string",
                            }
                            for k, v in context
                        ]
                    }
                    if context
                    else {}
                ),
            },
        )
    with stubber:
        simulated = simulate_role(iam, ROLE_ARN, pairs)
    assert simulated is not None and len(simulated) == len(pairs)
    assert SNAPSHOT.role is not None
    findings = check_permissions(SNAPSHOT.role, needs, simulated)
    codes = sorted((f.code, f.subject.split()[0]) for f in findings)
    assert codes == [
        ("role-allows-list-all-buckets", "taxiway-sandbox-mwaa-execution"),
        ("role-missing-permission", "athena:StartQueryExecution"),
    ]
    assert "explicitly denies" in next(
        f.message for f in findings if f.code == "role-missing-permission"
    )


def test_missing_simulator_falls_back_to_local() -> None:
    iam, stubber = _iam()
    stubber.add_client_error("simulate_principal_policy", "AccessDenied", http_status_code=403)
    with stubber:
        assert simulate_role(iam, ROLE_ARN, [("s3:GetObject", "arn:aws:s3:::b/k", ())]) is None
    # Locally, a role with no policies is allowed nothing: every need is reported.
    needs = required_permissions(NAMES, "j-ABC", "arn:aws:kms:eu-west-1:123456789012:key/k-1")
    assert SNAPSHOT.role is not None
    findings = check_permissions(SNAPSHOT.role, needs, None)
    assert sum(f.code == "role-missing-permission" for f in findings) == len(needs)
