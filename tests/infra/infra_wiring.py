"""Structural checks that follow values across files: env root -> module -> resource.

Each returns a list of problems (empty when fine), over the tree from
:func:`infra_hcl.parse_tree`.
"""

from __future__ import annotations

from typing import Any

from infra_hcl import ENVS, Parsed, blocks, first, locals_of, modules, outputs_of

MODULES = "modules"


def env_folder(env: str) -> str:
    return f"envs/{env}"


def derived(parsed: Parsed, env: str) -> dict[str, Any]:
    """The env root's row of its `by_environment` table, checked to be the one in use."""
    loc = locals_of(parsed, env_folder(env))
    if loc.get("environment") != env:
        raise AssertionError(f"envs/{env}: local.environment is {loc.get('environment')!r}")
    if loc.get("derived") != "${local.by_environment[local.environment]}":
        raise AssertionError(f"envs/{env}: local.derived does not select by environment")
    row: dict[str, Any] = loc["by_environment"][env]
    return row


def mwaa_private_subnet_problems(parsed: Parsed) -> list[str]:
    """MWAA runs in the network module's private subnets, which route out through NAT
    gateways only and never assign public IPs."""
    problems: list[str] = []
    envs = [b for b in blocks(parsed, "resource", "aws_mwaa_environment")]
    if [b.folder for b in envs] != [f"{MODULES}/mwaa"]:
        problems.append(f"expected one aws_mwaa_environment in modules/mwaa, got {envs}")
    for b in envs:
        net = first(b.body, "network_configuration")
        if net.get("subnet_ids") != "${var.subnet_ids}":
            problems.append(f"{b.address}: subnet_ids is {net.get('subnet_ids')!r}")
    for env in ENVS:
        mwaa = modules(parsed, env_folder(env)).get("mwaa", {})
        if mwaa.get("subnet_ids") != "${module.network.private_subnet_ids}":
            problems.append(f"envs/{env}: module.mwaa.subnet_ids is {mwaa.get('subnet_ids')!r}")
    out = outputs_of(parsed, f"{MODULES}/network").get("private_subnet_ids", {})
    if out.get("value") != "${aws_subnet.private[*].id}":
        problems.append(f"network: output private_subnet_ids is {out.get('value')!r}")
    for subnet in blocks(parsed, "resource", "aws_subnet"):
        if subnet.name == "private" and subnet.body.get("map_public_ip_on_launch") is True:
            problems.append(f"{subnet.address}: assigns public IPs")
    assoc = [
        b
        for b in blocks(parsed, "resource", "aws_route_table_association")
        if b.body.get("subnet_id") == "${aws_subnet.private[count.index].id}"
    ]
    tables = {str(b.body.get("route_table_id")) for b in assoc}
    if tables != {"${aws_route_table.private[count.index].id}"}:
        problems.append(f"network: private subnets associate with {sorted(tables)}")
    for route in blocks(parsed, "resource", "aws_route"):
        if route.body.get("route_table_id") != "${aws_route_table.private[count.index].id}":
            continue
        if "gateway_id" in route.body or "nat_gateway_id" not in route.body:
            problems.append(f"{route.address}: private route not through a NAT gateway")
    return problems


def webserver_problems(parsed: Parsed) -> list[str]:
    """Production's web server is PRIVATE_ONLY, and the value reaches the resource."""
    problems: list[str] = []
    for b in blocks(parsed, "resource", "aws_mwaa_environment"):
        if b.body.get("webserver_access_mode") != "${var.webserver_access_mode}":
            problems.append(f"{b.address}: webserver_access_mode is not the module input")
    for env in ENVS:
        mode = derived(parsed, env).get("webserver_access_mode")
        passed = modules(parsed, env_folder(env)).get("mwaa", {}).get("webserver_access_mode")
        if passed != "${local.derived.webserver_access_mode}":
            problems.append(f"envs/{env}: module.mwaa.webserver_access_mode is {passed!r}")
        if env == "production" and mode != "PRIVATE_ONLY":
            problems.append(f"envs/production: web server access mode is {mode!r}")
    return problems


def dag_cluster_spec(env: str, yaml_env: dict[str, Any]) -> dict[str, Any]:
    """The RunJobFlow request the DAG's curate task sends for ``env`` with these settings
    (the DAG owns the cluster: dags/taxiway_dags/aws_tasks.py)."""
    import dataclasses
    import sys

    from infra_hcl import REPO

    if str(REPO / "dags") not in sys.path:
        sys.path.insert(0, str(REPO / "dags"))
    from taxiway_dags import aws_tasks, settings

    base = settings.current(env)
    denv = dataclasses.replace(base, raw=yaml_env, account_id="123456789012")
    return aws_tasks.cluster_spec(denv, "subnet-1")


def emr_termination_problems(parsed: Parsed, yaml_envs: dict[str, Any]) -> list[str]:
    """One owner of the cluster: Terraform declares none, the DAG's spec ends every cluster
    after the idle timeout from taxiway.yaml, and each root refuses a timeout EMR would."""
    problems = [
        f"{b.address}: Terraform must not own a cluster (the DAG's curate task does)"
        for b in blocks(parsed, "resource", "aws_emr_cluster")
    ]
    for env in ENVS:
        yaml_env = yaml_envs.get(env, {})
        minutes = yaml_env.get("emr_idle_timeout_minutes")
        # EMR accepts 1 minute to 7 days.
        if not isinstance(minutes, int) or not 1 <= minutes <= 7 * 24 * 60:
            problems.append(
                f"taxiway.yaml: environments.{env}.emr_idle_timeout_minutes is {minutes!r}"
            )
            continue
        spec = dag_cluster_spec(env, yaml_env)
        if spec.get("AutoTerminationPolicy") != {"IdleTimeout": minutes * 60}:
            problems.append(f"{env}: the DAG's cluster idle_timeout is not {minutes} minutes")
        if spec["Instances"].get("TerminationProtected") is not False:
            problems.append(f"{env}: the DAG's cluster must not be termination-protected")
        settings_res = [
            b
            for b in blocks(parsed, "resource", "terraform_data")
            if b.folder == env_folder(env) and b.name == "settings"
        ]
        conditions = [
            str(c.get("condition"))
            for b in settings_res
            for lc in b.body.get("lifecycle", [])
            for c in lc.get("precondition", [])
        ]
        if not any("emr_idle_timeout_minutes" in c for c in conditions):
            problems.append(f"envs/{env}: no precondition on emr_idle_timeout_minutes")
    return problems


def client_vpn_problems(parsed: Parsed) -> list[str]:
    """Client VPN in sandbox and test, none in production; its resources are conditional."""
    problems: list[str] = []
    for env in ENVS:
        enabled = derived(parsed, env).get("client_vpn_enabled")
        if enabled is not (env != "production"):
            problems.append(f"envs/{env}: client_vpn_enabled is {enabled!r}")
    for b in blocks(parsed, "resource", "aws_ec2_client_vpn_endpoint"):
        if b.body.get("count") != "${var.client_vpn_enabled ? 1 : 0}":
            problems.append(f"{b.address}: not conditional on var.client_vpn_enabled")
    return problems
