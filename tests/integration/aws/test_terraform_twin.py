"""`terraform apply` of the sandbox root against the twin, then `taxiway preflight` on it.

The tree is copied and applied as written, except for the overrides in
terraform_twin_overrides.py (each a twin gap, with its reason). The terraform binary and
the offline AWS provider mirror are the ones tests/infra uses (TAXIWAY_TF_PLUGIN_DIR).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import REGION, REPO, client
from terraform_twin_overrides import LEFT_OUT, OVERRIDES
from typer.testing import CliRunner

sys.path.insert(0, str(REPO / "tests" / "infra"))

import infra_tools as t


def _terraform() -> t.Terraform:
    found = t.find_terraform()
    if found is None or found.version < (1, 10, 0) or not t.has_aws_provider_mirror():
        pytest.fail(
            "terraform apply on the twin needs Terraform >= 1.10 on PATH and the AWS provider "
            f"mirror at {t.PLUGIN_DIR} (TAXIWAY_TF_PLUGIN_DIR); found {found}."
        )
    return found


def _tree(dest: Path) -> Path:
    """The copy with the overrides written in, and the access module's stand-in."""
    tf = t.copy_tree(dest)
    by_folder: dict[str, list[str]] = defaultdict(list)
    for o in OVERRIDES:
        by_folder[o.folder].append(f"# {o.reason}\n{o.hcl}")
    for folder, parts in by_folder.items():
        (tf / folder / "twin_override.tf").write_text("\n".join(parts), encoding="utf-8")
    access = tf / "envs" / "sandbox" / "twin_access"
    access.mkdir()
    variables = (tf / "modules" / "access" / "variables.tf").read_text(encoding="utf-8")
    outputs = re.findall(
        r'^output "(\w+)"', (tf / "modules" / "access" / "outputs.tf").read_text(), re.M
    )
    (access / "main.tf").write_text(
        variables
        + 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        + "".join(f'\noutput "{name}" {{\n  value = {{}}\n}}\n' for name in outputs),
        encoding="utf-8",
    )
    return tf / "envs" / "sandbox"


def test_the_sandbox_root_applies_to_the_twin_and_preflight_reads_it(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terraform = _terraform()
    # what infra/README.md's "Before the first apply" and the overrides expect there
    client("iam").create_policy(
        PolicyName="AmazonEMRServicePolicy_v2",
        Path="/twin/",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}],
            }
        ),
    )
    root = _tree(tmp_path)
    monkeypatch.setenv("AWS_REGION", REGION)
    init = terraform.run("init", "-input=false", f"-plugin-dir={t.PLUGIN_DIR}", cwd=root)
    assert init.returncode == 0, init.stdout + init.stderr
    apply = terraform.run(
        "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=30", cwd=root
    )
    assert apply.returncode == 0, (apply.stdout + apply.stderr)[-6000:]
    m = re.search(r"Apply complete! Resources: (\d+) added", apply.stdout)
    assert m, apply.stdout[-2000:]
    state = json.loads(terraform.run("show", "-json", cwd=root).stdout)

    def addresses(module: dict[str, Any]) -> list[str]:
        own = [r["address"] for r in module.get("resources", []) if r["mode"] == "managed"]
        return own + [a for child in module.get("child_modules", []) for a in addresses(child)]

    created = addresses(state["values"]["root_module"])
    assert len(created) == int(m.group(1)) >= 100
    assert not set(LEFT_OUT) & set(created)
    kinds = {a.split(".")[-2] if a.startswith("module.") else a.split(".")[0] for a in created}
    assert {
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_vpc",
        "aws_nat_gateway",
        "aws_vpc_endpoint",
        "aws_glue_catalog_table",
        "aws_athena_workgroup",
        "aws_emr_security_configuration",
        "aws_iam_role_policy",
        "aws_flow_log",
    } <= {k.split("[")[0] for k in kinds}

    # preflight reads what Terraform made; the EMR cluster is the DAG's to create
    from taxiway.cli.app import app

    def preflight() -> dict[str, Any]:
        res = CliRunner().invoke(
            app,
            [
                "preflight",
                "--env",
                "sandbox",
                "--project",
                str(tmp_path / "no-project"),
                "--format",
                "json",
            ],
        )
        assert res.exit_code in (0, 1), res.output
        doc: dict[str, Any] = json.loads(res.stdout)
        return doc

    (tmp_path / "no-project").mkdir()
    first = preflight()["findings"]
    assert not [f for f in first if f["code"] == "preflight-cannot-read"]
    assert [f for f in first if f["severity"] == "error"] == []
    # no cluster yet: the DAG's to create (information)
    assert [f["severity"] for f in first if f["code"] == "emr-cluster-not-found"] == ["info"]
    sys.path.insert(0, str(REPO / "dags"))
    import logging

    from taxiway_dags import aws_tasks, settings

    monkeypatch.setenv("TAXIWAY_ACCOUNT_ID", "123456789012")
    emr, ec2, kms = client("emr"), client("ec2"), client("kms")
    aws_tasks.ensure_cluster(emr, ec2, settings.current("sandbox"), logging.getLogger("t"), kms=kms)
    # with the cluster the DAG makes: still no errors, and preflight finds it
    second = preflight()["findings"]
    assert [f for f in second if f["severity"] == "error"] == [], second
    assert not [f for f in second if f["code"] == "emr-cluster-not-found"]
