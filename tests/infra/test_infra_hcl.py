"""Every .tf file parses with python-hcl2, and the parsed HCL has the structure the
platform promises: hardened buckets, MWAA in private subnets, a private production web
server, an auto-terminating EMR cluster and no `*`-on-`*` IAM. Each check also runs on a
deliberately broken copy, to prove it can fail."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import infra_hcl as h
import infra_wiring as w
import pytest

EXPECTED_MODULES = {"network", "storage", "mwaa", "emr", "analytics", "access"}


def test_every_tf_file_parses(parsed_tree: tuple[h.Parsed, dict[str, str]]) -> None:
    files, errors = parsed_tree
    assert errors == {}
    on_disk = {
        p.relative_to(h.TF_ROOT).as_posix()
        for p in h.TF_ROOT.rglob("*.tf")
        if ".terraform" not in p.parts
    }
    assert set(files) == on_disk
    folders = {str(p).rsplit("/", 1)[0] for p in files}
    assert {f"modules/{m}" for m in EXPECTED_MODULES} | {f"envs/{e}" for e in h.ENVS} <= folders
    # Every module and root declares the AWS provider it was written for.
    for folder in folders:
        versions = files.get(f"{folder}/versions.tf", {})
        assert versions.get("terraform"), f"{folder}: no versions.tf terraform block"


def test_storage_buckets_are_the_five_roles_plus_logs(hcl: h.Parsed) -> None:
    local = h.locals_of(hcl, "modules/storage")
    assert set(local["buckets"]) == {"landing", "curated", "reports", "artifacts", "mwaa"}
    assert local["prefix"] == "${var.project}-${var.environment}"
    names = {
        b.name: b.body["bucket"]
        for b in h.blocks(hcl, "resource", "aws_s3_bucket")
        if b.folder == "modules/storage"
    }
    # `<project>-<env>-<role>-<account_id>`, as taxiway.naming.bucket() computes it.
    assert local["account_id"] == "${data.aws_caller_identity.current.account_id}"
    assert names == {
        "this": "${local.prefix}-${each.key}-${local.account_id}",
        "logs": "${local.prefix}-logs-${local.account_id}",
    }


def test_glue_tables_match_the_python_definitions(hcl: h.Parsed) -> None:
    """tables.tf and taxiway.catalog.glue (which the AWS twin checks against the SQL) agree."""
    from taxiway.catalog.glue import HOURLY_COUNTS, REPORTS

    local = h.locals_of(hcl, "modules/analytics")
    reports = {
        name: [(c["name"], c["type"]) for c in cols] for name, cols in local["reports"].items()
    }
    assert reports == {name: list(cols) for name, cols in REPORTS.items()}
    assert [(c["name"], c["type"]) for c in local["hourly_counts_columns"]] == list(HOURLY_COUNTS)


def test_every_bucket_is_hardened(hcl: h.Parsed) -> None:
    # storage's for_each data buckets, its logs bucket, bootstrap's state bucket
    assert len(list(h.blocks(hcl, "resource", "aws_s3_bucket"))) == 3
    assert h.bucket_problems(hcl) == []


def test_mwaa_runs_in_private_subnets(hcl: h.Parsed) -> None:
    assert w.mwaa_private_subnet_problems(hcl) == []


def test_production_web_server_is_private(hcl: h.Parsed) -> None:
    assert w.webserver_problems(hcl) == []
    assert w.derived(hcl, "production")["webserver_access_mode"] == "PRIVATE_ONLY"


def test_emr_auto_terminates(hcl: h.Parsed, settings_doc: dict[str, Any]) -> None:
    assert w.emr_termination_problems(hcl, settings_doc["environments"]) == []


def test_client_vpn_only_outside_production(hcl: h.Parsed) -> None:
    assert w.client_vpn_problems(hcl) == []


def test_no_iam_statement_allows_everything(hcl: h.Parsed) -> None:
    docs = list(h.blocks(hcl, "data", "aws_iam_policy_document"))
    statements = sum(len(d.body.get("statement", [])) for d in docs)
    assert len(docs) >= 10 and statements >= 40, (len(docs), statements)
    assert h.iam_problems(hcl) == []


def test_athena_workgroup_enforces_encrypted_results(hcl: h.Parsed) -> None:
    (wg,) = h.blocks(hcl, "resource", "aws_athena_workgroup")
    conf = h.first(wg.body, "configuration")
    assert conf["enforce_workgroup_configuration"] is True
    result = h.first(conf, "result_configuration")
    assert result["output_location"].startswith("s3://")
    assert h.first(result, "encryption_configuration")["encryption_option"] == "SSE_KMS"


def test_glue_tables_cover_events_quarantine_and_reports(hcl: h.Parsed) -> None:
    tables = {b.name: b.body for b in h.blocks(hcl, "resource", "aws_glue_catalog_table")}
    assert set(tables) == {"events", "quarantine", "hourly_counts", "reports"}
    assert h.first(tables["events"], "partition_keys")["name"] == "event_date"
    assert "partition_keys" not in tables["quarantine"], "quarantine files are not partitioned"
    local = h.locals_of(hcl, "modules/analytics")
    events = [c["name"] for c in local["event_columns"]]
    # the Glue tables mirror what the curate step writes (event_date is the partition key)
    from taxiway.events.contract import CURATED_COLUMNS, QUARANTINE_COLUMNS

    assert events == [n for n, _ in CURATED_COLUMNS if n != "event_date"]
    assert [c["name"] for c in local["quarantine_columns"]] == [n for n, _ in QUARANTINE_COLUMNS]
    assert set(local["reports"]) == {
        "campaign_daily_kpis",
        "attribution_last_click",
        "daily_funnel",
        "data_quality_hourly",
    }


def test_every_component_logs(hcl: h.Parsed) -> None:
    (mwaa,) = h.blocks(hcl, "resource", "aws_mwaa_environment")
    logging = h.first(mwaa.body, "logging_configuration")
    kinds = ("dag_processing_logs", "scheduler_logs", "task_logs", "webserver_logs", "worker_logs")
    assert {k: h.first(logging, k).get("enabled") for k in kinds} == dict.fromkeys(kinds, True)
    spec = w.dag_cluster_spec("sandbox", {"emr_idle_timeout_minutes": 60})
    assert spec["LogUri"] == "s3://taxiway-sandbox-logs-123456789012/emr/"
    assert len(list(h.blocks(hcl, "resource", "aws_flow_log"))) == 1
    for group in h.blocks(hcl, "resource", "aws_cloudwatch_log_group"):
        assert group.body.get("kms_key_id"), f"{group.address}: log group not KMS-encrypted"


# ---------------------------------------------------------------------------- the checks can fail


def _broken(hcl: h.Parsed, edit: Callable[[h.Parsed], None]) -> h.Parsed:
    tree = copy.deepcopy(hcl)
    edit(tree)
    return tree


def _resource(tree: h.Parsed, rel: str, type_: str, name: str) -> dict[str, Any]:
    for entry in tree[rel]["resource"]:
        if type_ in entry and name in entry[type_]:
            body: dict[str, Any] = entry[type_][name]
            return body
    raise KeyError(f"{rel}: {type_}.{name}")


def _doc(tree: h.Parsed, rel: str, name: str) -> dict[str, Any]:
    for entry in tree[rel]["data"]:
        if name in entry.get("aws_iam_policy_document", {}):
            body: dict[str, Any] = entry["aws_iam_policy_document"][name]
            return body
    raise KeyError(f"{rel}: data.aws_iam_policy_document.{name}")


def _drop_versioning(t: h.Parsed) -> None:
    t["modules/storage/logs.tf"]["resource"] = [
        e for e in t["modules/storage/logs.tf"]["resource"] if "aws_s3_bucket_versioning" not in e
    ]


def _tls_allowed(t: h.Parsed) -> None:
    _doc(t, "modules/storage/main.tf", "tls_only")["statement"][0]["condition"][0]["values"] = [
        "true"
    ]


def _encryption_for_some_buckets_only(t: h.Parsed) -> None:
    enc = _resource(
        t, "modules/storage/main.tf", "aws_s3_bucket_server_side_encryption_configuration", "this"
    )
    enc["for_each"] = '${{ for k, v in local.buckets : k => v if k != "landing" }}'


def _public_acls(t: h.Parsed) -> None:
    _resource(t, "modules/storage/main.tf", "aws_s3_bucket_public_access_block", "this")[
        "ignore_public_acls"
    ] = False


def _star_on_star(t: h.Parsed) -> None:
    _doc(t, "modules/mwaa/iam.tf", "execution")["statement"].append(
        {"actions": ["*"], "resources": ["*"]}
    )


def _s3_on_star(t: h.Parsed) -> None:
    _doc(t, "modules/emr/iam.tf", "instance")["statement"].append(
        {"actions": ["s3:GetObject"], "resources": ["*"]}
    )


def _inline_json_policy(t: h.Parsed) -> None:
    _resource(t, "modules/mwaa/iam.tf", "aws_iam_role_policy", "execution")["policy"] = (
        '${jsonencode({Statement = [{Action = "*", Resource = "*", Effect = "Allow"}]})}'
    )


@pytest.mark.parametrize(
    ("edit", "check", "expected"),
    [
        (_drop_versioning, "buckets", "aws_s3_bucket.logs: versioning is not enabled"),
        (_tls_allowed, "buckets", "aws_s3_bucket.this: no bucket policy denying non-TLS"),
        (_encryption_for_some_buckets_only, "buckets", "this: no server-side encryption"),
        (_public_acls, "buckets", "aws_s3_bucket.this: no public access block"),
        (_star_on_star, "iam", "allows `*` actions on `*` resources"),
        (_s3_on_star, "iam", "resource `*` for scopable actions ['s3:GetObject']"),
        (_inline_json_policy, "iam", "`policy` is not an aws_iam_policy_document"),
    ],
)
def test_checks_catch_broken_copies(
    hcl: h.Parsed, edit: Callable[[h.Parsed], None], check: str, expected: str
) -> None:
    run = {"buckets": h.bucket_problems, "iam": h.iam_problems}[check]
    problems = run(_broken(hcl, edit))
    assert any(expected in p for p in problems), problems


def test_wiring_checks_catch_broken_copies(hcl: h.Parsed, settings_doc: dict[str, Any]) -> None:
    def public_prod(t: h.Parsed) -> None:
        t["envs/production/main.tf"]["locals"][0]["by_environment"]["production"][
            "webserver_access_mode"
        ] = "PUBLIC_ONLY"

    def terraform_owns_a_cluster(t: h.Parsed) -> None:
        t["modules/emr/main.tf"]["resource"].append(
            {"aws_emr_cluster": {"this": {"name": "${local.name}"}}}
        )

    def no_timeout_guard(t: h.Parsed) -> None:
        _resource(t, "envs/test/main.tf", "terraform_data", "settings")["lifecycle"][0][
            "precondition"
        ] = []

    def public_subnets(t: h.Parsed) -> None:
        for entry in t["envs/test/main.tf"]["module"]:
            if "mwaa" in entry:
                entry["mwaa"]["subnet_ids"] = "${module.network.public_subnet_ids}"

    def vpn_in_production(t: h.Parsed) -> None:
        t["envs/production/main.tf"]["locals"][0]["by_environment"]["production"][
            "client_vpn_enabled"
        ] = True

    envs = settings_doc["environments"]
    assert any("production" in p for p in w.webserver_problems(_broken(hcl, public_prod)))
    assert any(
        "must not own a cluster" in p
        for p in w.emr_termination_problems(_broken(hcl, terraform_owns_a_cluster), envs)
    )
    assert any(
        "envs/test: no precondition" in p
        for p in w.emr_termination_problems(_broken(hcl, no_timeout_guard), envs)
    )
    assert w.emr_termination_problems(hcl, {**envs, "test": {}}) != []
    assert any(
        "envs/test" in p for p in w.mwaa_private_subnet_problems(_broken(hcl, public_subnets))
    )
    assert any("production" in p for p in w.client_vpn_problems(_broken(hcl, vpn_in_production)))
