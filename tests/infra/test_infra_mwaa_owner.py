"""One owner per MWAA field: Terraform creates the environment, `taxiway deploy` owns what
its UpdateEnvironment sends, and Terraform ignores exactly those fields afterwards (else
every `terraform apply` after a deploy starts a 20-30 minute environment update). The
Airflow options Terraform sets exist in the target's Airflow; the startup script's text
is one file that both Terraform and the bundle render. Each check also runs on a broken
copy, to prove it can fail."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import infra_hcl as h
import yaml

MWAA = "modules/mwaa"


def _snake(field: str) -> str:
    """UpdateEnvironment's `RequirementsS3ObjectVersion` -> Terraform's
    `requirements_s3_object_version` (the provider's names for the same API fields)."""
    return (
        re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", field.replace("S3", "_s3_"))
        .replace("__", "_")
        .strip("_")
        .lower()
    )


def deploy_owned() -> set[str]:
    """The Terraform attributes of every field `taxiway deploy` sends to UpdateEnvironment."""
    from taxiway.deploy.environment import FIELDS

    return {_snake(f) for pair in FIELDS.values() for f in pair}


def _environment(parsed: h.Parsed) -> h.Block:
    (env,) = [b for b in h.blocks(parsed, "resource", "aws_mwaa_environment") if b.folder == MWAA]
    return env


def _ignored(body: dict[str, Any]) -> set[str]:
    ignored: set[str] = set()
    for lifecycle in body.get("lifecycle", []):
        for item in lifecycle.get("ignore_changes", []):
            ignored.add(str(item).removeprefix("${").removesuffix("}"))
    return ignored


def owner_problems(parsed: h.Parsed, owned: set[str]) -> list[str]:
    """Terraform must ignore exactly the fields deploy owns: fewer and an apply undoes a
    deploy; more and Terraform stops managing a field nobody else sets."""
    env = _environment(parsed)
    ignored = _ignored(env.body)
    problems = []
    if owned - ignored:
        problems.append(
            f"{env.address}: not in ignore_changes, owned by deploy: {sorted(owned - ignored)}"
        )
    if ignored - owned:
        problems.append(
            f"{env.address}: ignored but deploy does not set: {sorted(ignored - owned)}"
        )
    return problems


def test_terraform_ignores_exactly_what_deploy_owns(hcl: h.Parsed) -> None:
    owned = deploy_owned()
    assert owned == {
        "requirements_s3_path",
        "requirements_s3_object_version",
        "plugins_s3_path",
        "plugins_s3_object_version",
        "startup_script_s3_path",
        "startup_script_s3_object_version",
    }, "the provider's attribute names for UpdateEnvironment's fields"
    assert owner_problems(hcl, owned) == []
    broken = copy.deepcopy(hcl)
    _environment(broken).body.pop("lifecycle", None)
    problems = owner_problems(broken, owned)
    assert len(problems) == 1 and "requirements_s3_object_version" in problems[0]


def option_problems(parsed: h.Parsed, known: dict[str, set[str]]) -> list[str]:
    """Every `airflow_configuration_options` key is `<section>.<option>` of the Airflow."""
    env = _environment(parsed)
    options = env.body.get("airflow_configuration_options", {})
    return [
        f"{env.address}: `{key}` is no option of the target's Airflow"
        for key in sorted(options)
        if key.partition(".")[2] not in known.get(key.partition(".")[0], set())
    ]


def test_airflow_options_exist_in_the_target_airflow(hcl: h.Parsed) -> None:
    import airflow
    from airflow.configuration import conf

    settings = yaml.safe_load((h.REPO / "taxiway.yaml").read_text(encoding="utf-8"))
    majors = {
        str(e["mwaa_version"]).split(".")[0]
        for e in settings["environments"].values()
        if e.get("target") == "aws"
    }
    assert majors == {airflow.__version__.split(".")[0]}, (
        f"the options are checked against Airflow {airflow.__version__}, the environments "
        f"run {majors}: install the target's major version in the project venv"
    )
    known = {s: set(d["options"]) for s, d in conf.configuration_description.items()}
    assert option_problems(hcl, known) == []
    broken = copy.deepcopy(hcl)
    _environment(broken).body["airflow_configuration_options"]["core.load_default_connections"] = (
        "False"
    )
    assert option_problems(broken, known) == [
        f"{MWAA}: aws_mwaa_environment.this: `core.load_default_connections` is no option of "
        "the target's Airflow"
    ]


_TEMPLATE = re.compile(r'^\$\{templatefile\("\$\{path\.module\}/([^"]+)", (\{.*\})\)\}$', re.S)


def test_startup_script_text_lives_in_one_file(hcl: h.Parsed) -> None:
    """Terraform's first startup.sh is `templatefile` of the bundle's own template, with
    the variables the bundle fills; no .tf file spells the script itself."""
    from taxiway.platform import bundle

    (obj,) = [
        b
        for b in h.blocks(hcl, "resource", "aws_s3_object")
        if b.folder == MWAA and b.name == "startup"
    ]
    m = _TEMPLATE.match(str(obj.body.get("content", "")))
    assert m, f"{obj.address}: content is not templatefile(...): {obj.body.get('content')}"
    template = (h.TF_ROOT / MWAA / m.group(1)).resolve()
    assert template == (Path(bundle.__file__).parent / bundle.STARTUP_TEMPLATE).resolve()
    variables = set(re.findall(r"\$\{(\w+)\}", template.read_text(encoding="utf-8")))
    assert variables == {"environment", "account_id"}
    assert set(re.findall(r"(\w+)\s*=", m.group(2))) == variables
    spelled = [p for p in h.TF_ROOT.rglob("*.tf") if "export TAXIWAY_ENV" in p.read_text()]
    assert spelled == []
