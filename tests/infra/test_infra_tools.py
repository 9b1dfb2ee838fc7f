"""checkov (zero failed checks; every skip explained and in use) and terraform (`fmt
-check`, plus `validate` of each env root where an AWS provider mirror exists)."""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import infra_hcl as h
import infra_tools as t
import pytest

_SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def _source_skips() -> dict[tuple[str, str], str]:
    """(check id, file relative to infra/terraform) -> reason, for every skip comment."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(h.TF_ROOT.rglob("*.tf")):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = _SKIP.search(line)
            if m:
                found[(m.group(1), "/" + path.relative_to(h.TF_ROOT).as_posix())] = (
                    m.group(2) or ""
                ).strip()
    return found


@pytest.fixture(scope="module")
def checkov() -> dict[str, Any]:
    return t.run_checkov()


def test_checkov_has_no_failed_checks(checkov: dict[str, Any]) -> None:
    summary = checkov["summary"]
    failed = [
        f"{f['check_id']} {f['resource']} ({f['file_path']}:{f['file_line_range'][0]}): "
        f"{f['check_name']}"
        for f in checkov["results"]["failed_checks"]
    ]
    assert failed == [], "\n".join(failed)
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0
    # checkov saw every module and every env root.
    scanned = {
        str(Path(r["file_path"]).parent).lstrip("/") for r in checkov["results"]["passed_checks"]
    }
    assert {
        "modules/" + m for m in ("network", "storage", "mwaa", "emr", "analytics", "access")
    } <= scanned
    assert summary["passed"] > 10 * summary["skipped"]


def test_every_checkov_skip_has_a_reason_and_is_used(checkov: dict[str, Any]) -> None:
    source = _source_skips()
    short = {key: reason for key, reason in source.items() if len(reason.split()) < 4}
    assert short == {}, "each #checkov:skip=CKV_...:reason needs a reason of a few words"
    used = Counter((s["check_id"], s["file_path"]) for s in checkov["results"]["skipped_checks"])
    for skipped in checkov["results"]["skipped_checks"]:
        assert skipped["check_result"].get("suppress_comment"), skipped["check_id"]
    # No skip from anywhere else (a CLI flag, a config file), and no stale skip comment.
    assert set(used) == set(source), {
        "skipped but not in a comment": sorted(set(used) - set(source)),
        "comment but nothing skipped": sorted(set(source) - set(used)),
    }


@pytest.fixture(scope="module")
def terraform() -> t.Terraform | None:
    return t.find_terraform()


def test_terraform_fmt(terraform: t.Terraform | None) -> None:
    if terraform is None:
        # The issue allows machines without terraform; say so loudly instead of skipping.
        warnings.warn(
            "terraform fmt was NOT checked: no working `terraform` on PATH and the "
            f"`{t.TERRAFORM_WRAPPER}` binary does not run here; install Terraform >= 1.10.",
            stacklevel=1,
        )
        return
    proc = terraform.run("fmt", "-check", "-recursive", "-diff", str(h.TF_ROOT), cwd=h.REPO)
    assert proc.returncode == 0, (
        f"`terraform fmt -recursive infra/terraform` would change files "
        f"(terraform {terraform.version} from {terraform.origin}):\n{proc.stdout}{proc.stderr}"
    )


@pytest.mark.parametrize("env", [*h.ENVS, "bootstrap"])
def test_terraform_validate(terraform: t.Terraform | None, env: str, tmp_path: Path) -> None:
    label = env if env == "bootstrap" else f"envs/{env}"
    if terraform is None or terraform.version < (1, 10, 0) or not t.has_aws_provider_mirror():
        warnings.warn(
            f"terraform validate of {label} was NOT run: it needs Terraform >= 1.10 "
            f"(found {terraform and terraform.version}) and an AWS provider mirror at "
            f"{t.PLUGIN_DIR} (set TAXIWAY_TF_PLUGIN_DIR).",
            stacklevel=1,
        )
        return
    tf = t.copy_tree(tmp_path)
    root = tf / "bootstrap" if env == "bootstrap" else tf / "envs" / env
    init = terraform.run(
        "init", "-backend=false", "-input=false", f"-plugin-dir={t.PLUGIN_DIR}", cwd=root
    )
    assert init.returncode == 0, init.stdout + init.stderr
    proc = terraform.run("validate", "-json", cwd=root)
    result = json.loads(proc.stdout)
    messages = [
        f"{d['severity']}: {d['summary']} {d.get('detail', '')}" for d in result["diagnostics"]
    ]
    assert result["valid"] is True and messages == [], messages
