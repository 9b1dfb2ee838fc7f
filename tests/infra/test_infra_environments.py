"""SANDBOX, TEST and PRODUCTION differ only in sizing: in taxiway.yaml (only keys under
`sizing:` may differ) and in Terraform (the three roots are the same text apart from the
environment's name, and every sizing key reaches a module)."""

from __future__ import annotations

import copy
import re
from typing import Any

import infra_hcl as h
import infra_wiring as w
import pytest

from taxiway.config import SIZING_KEYS


def differences_outside_sizing(doc: dict[str, Any]) -> list[str]:
    """Keys outside `sizing` whose values differ between the aws environments (or that one
    environment has and another lacks); [] when they differ only in sizing."""
    envs = {
        name: {k: v for k, v in env.items() if k != "sizing"}
        for name, env in (doc.get("environments") or {}).items()
        if env.get("target") == "aws"
    }
    problems: list[str] = []
    names = sorted(envs)
    for key in sorted({k for env in envs.values() for k in env}):
        values = {name: envs[name].get(key, "<missing>") for name in names}
        if len({repr(v) for v in values.values()}) > 1:
            problems.append(f"environments.*.{key} differs: {values}")
    return problems


def test_yaml_aws_environments_are_the_three_roots(settings_doc: dict[str, Any]) -> None:
    aws = {n for n, e in settings_doc["environments"].items() if e.get("target") == "aws"}
    assert aws == set(h.ENVS)
    roots = {p.name for p in (h.TF_ROOT / "envs").iterdir() if p.is_dir()}
    assert roots == set(h.ENVS)


def test_yaml_environments_differ_only_in_sizing(settings_doc: dict[str, Any]) -> None:
    assert differences_outside_sizing(settings_doc) == []
    # ... and they do differ in sizing, with the same sizing keys everywhere.
    sizings = [settings_doc["environments"][e]["sizing"] for e in h.ENVS]
    assert all(set(s) == SIZING_KEYS for s in sizings)
    assert sizings[0] != sizings[1] != sizings[2]


@pytest.mark.parametrize(
    ("key", "value"),
    [("region", "us-east-1"), ("emr_release", "emr-6.15.0"), ("extra", True)],
)
def test_yaml_check_fails_on_any_other_difference(
    settings_doc: dict[str, Any], key: str, value: object
) -> None:
    doc = copy.deepcopy(settings_doc)
    doc["environments"]["test"][key] = value
    assert [p for p in differences_outside_sizing(doc) if f".{key} differs" in p]


def _normalised(env: str, name: str) -> str:
    text = (h.TF_ROOT / "envs" / env / name).read_text(encoding="utf-8")
    if name == "main.tf":
        line = f'  environment = "{env}"\n'
        assert text.count(line) == 1, f"envs/{env}/main.tf: no `{line.strip()}` line"
        return text.replace(line, '  environment = "<env>"\n')
    if name == "backend.hcl":
        return re.sub(rf"\b{env}\b", "<env>", text)
    return text


def test_env_roots_are_identical_but_for_their_name() -> None:
    listing = {
        env: sorted(p.name for p in (h.TF_ROOT / "envs" / env).iterdir() if p.is_file())
        for env in h.ENVS
    }
    assert listing["sandbox"] == listing["test"] == listing["production"], listing
    assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "backend.hcl"} <= set(
        listing["sandbox"]
    )
    for name in listing["sandbox"]:
        texts = {env: _normalised(env, name) for env in h.ENVS}
        assert texts["sandbox"] == texts["test"] == texts["production"], f"envs/*/{name} differ"


def test_every_sizing_key_reaches_a_module(hcl: h.Parsed) -> None:
    for env in h.ENVS:
        loc = h.locals_of(hcl, f"envs/{env}")
        assert loc["settings"] == '${yamldecode(file("${path.module}/../../../../taxiway.yaml"))}'
        assert loc["env"] == "${local.settings.environments[local.environment]}"
        assert loc["sizing"] == "${local.env.sizing}"
        args = {
            f"{mod}.{arg}": value
            for mod, body in h.modules(hcl, f"envs/{env}").items()
            for arg, value in body.items()
        }
        used = {
            m.group(1)
            for value in args.values()
            for m in re.finditer(r"local\.sizing\.(\w+)", str(value))
        }
        # the EMR keys reach the cluster the DAG creates (it owns the cluster, not Terraform)
        by_dag = {key for key in SIZING_KEYS if _dag_spec_uses(env, key)}
        assert used | by_dag == SIZING_KEYS, f"envs/{env}: sizing keys used {sorted(used)}"
        assert used & by_dag == set(), "one reader per sizing key"


def _dag_spec_uses(env: str, key: str) -> bool:
    """Whether the DAG's cluster spec changes when sizing key ``key`` does."""
    import yaml

    doc = yaml.safe_load((h.REPO / "taxiway.yaml").read_text(encoding="utf-8"))
    yaml_env = doc["environments"][env]
    changed = copy.deepcopy(yaml_env)
    value = changed["sizing"][key]
    changed["sizing"][key] = value + 1 if isinstance(value, int) else f"{value}.changed"
    return w.dag_cluster_spec(env, yaml_env) != w.dag_cluster_spec(env, changed)


def test_outputs_for_preflight_and_dags(hcl: h.Parsed) -> None:
    needed = {
        "bucket_names",
        "emr_cluster_name",
        "emr_security_configuration",
        "glue_database",
        "athena_workgroup",
        "mwaa_environment_name",
        "mwaa_execution_role_arn",
        "emr_service_role_arn",
        "emr_instance_role_arn",
        "kms_key_arn",
        "vpc_id",
        "private_subnet_ids",
        "mwaa_security_group_id",
    }
    for env in h.ENVS:
        outputs = h.outputs_of(hcl, f"envs/{env}")
        assert needed <= set(outputs), needed - set(outputs)
        assert all(o.get("description") for o in outputs.values())
