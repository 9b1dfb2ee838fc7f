"""Checks of an existing environment's configuration: Airflow options, secrets, access, status.

Pure functions over an :class:`~taxiway.preflight.snapshot.EnvironmentSnapshot`, part of
:mod:`taxiway.preflight.checks_environment` (split out for size): what GetEnvironment's own
fields say, beyond the resources they name. verify_env's ``check_airflow_config`` and
``check_secrets_manager`` are here, each rule with its own code.
"""

from __future__ import annotations

import json

from taxiway.findings import Finding, Severity
from taxiway.preflight.checks_resources import mwaa_status
from taxiway.preflight.snapshot import EnvironmentSnapshot

SECRETS_MANAGER = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
PARAMETER_STORE = (
    "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend"
)
# The provider's defaults when backend_kwargs leaves a prefix out (None in kwargs: disabled).
SECRET_PREFIXES = {
    "connections_prefix": "airflow/connections",
    "variables_prefix": "airflow/variables",
    "config_prefix": "airflow/config",
}


def backend_kwargs(s: EnvironmentSnapshot) -> dict[str, object] | None:
    raw = s.env.options.get("secrets.backend_kwargs")
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def check_options(s: EnvironmentSnapshot) -> list[Finding]:
    """verify_env's configuration checks: ``airflow-option-overridden``, ``plugins-lazy-load``,
    and ``secrets-backend-misconfigured``."""
    env, out = s.env, []
    if "celery.worker_concurrency" in env.options:
        out.append(
            Finding(
                "airflow-option-overridden",
                Severity.WARNING,
                "celery.worker_concurrency",
                f"Environment `{env.name}` sets `celery.worker_concurrency`, which MWAA "
                "ignores: it sets the concurrency from the environment class.",
                "Remove it; tune `celery.worker_autoscale` instead.",
            )
        )
    lazy = env.options.get("core.lazy_load_plugins", "True").strip().lower()
    if env.plugins_path and env.airflow_version.startswith("2.") and lazy != "false":
        out.append(
            Finding(
                "plugins-lazy-load",
                Severity.WARNING,
                "core.lazy_load_plugins",
                f"Environment `{env.name}` (Airflow {env.airflow_version}) has a plugins.zip "
                "but loads plugins lazily: custom operators, hooks and macros from it are "
                "missing in processes that did not import them first.",
                "Add the configuration option `core.lazy_load_plugins: False`.",
            )
        )
    backend = env.options.get("secrets.backend")
    if backend in (SECRETS_MANAGER, PARAMETER_STORE) and backend_kwargs(s) is None:
        out.append(
            Finding(
                "secrets-backend-misconfigured",
                Severity.ERROR,
                "secrets.backend_kwargs",
                f"Environment `{env.name}` uses `{backend.rsplit('.', 1)[-1]}` but "
                "`secrets.backend_kwargs` is not a JSON object: every Airflow component "
                "fails to load the backend.",
                'Set it to JSON, e.g. {"connections_prefix": "airflow/connections", '
                '"variables_prefix": "airflow/variables"}.',
            )
        )
    return out


def check_web_access(s: EnvironmentSnapshot) -> list[Finding]:
    """``mwaa-webserver-public`` and ``mwaa-customer-endpoints-missing``."""
    env, out = s.env, []
    if env.webserver_access_mode == "PUBLIC_ONLY":
        out.append(
            Finding(
                "mwaa-webserver-public",
                Severity.WARNING,
                env.name,
                f"The Airflow UI of `{env.name}` is reachable from the internet "
                "(WebserverAccessMode PUBLIC_ONLY): sign-in still goes through IAM, but the "
                "sign-in page and the web server are exposed to everyone.",
                "Use PRIVATE_ONLY and reach the UI through the VPC (VPN, bastion, or a load "
                "balancer) unless users must reach it from outside.",
            )
        )
    if env.endpoint_management != "CUSTOMER":
        return out
    services = {e.service for e in s.network.endpoints if e.type == "Interface"}
    wanted = [("database", env.database_endpoint_service)]
    if env.webserver_access_mode == "PRIVATE_ONLY":
        wanted.append(("web server", env.webserver_endpoint_service))
    for what, service in wanted:
        if service and not any(service == x or service.endswith(f".{x}") for x in services):
            out.append(
                Finding(
                    "mwaa-customer-endpoints-missing",
                    Severity.ERROR,
                    service,
                    f"Environment `{env.name}` manages its own VPC endpoints (EndpointManagement "
                    f"CUSTOMER), and VPC `{s.network.vpc_id}` has none for the {what} "
                    f"service `{service}`.",
                    f"Create an interface endpoint to `{service}` in the environment's subnets "
                    "and security group.",
                )
            )
    return out


def check_status(s: EnvironmentSnapshot) -> list[Finding]:
    """``mwaa-not-available`` and ``mwaa-last-update-failed`` (rolled back, still running)."""
    env = s.env
    out = mwaa_status(env)
    if env.status == "AVAILABLE" and env.last_update_status == "FAILED":
        out.append(
            Finding(
                "mwaa-last-update-failed",
                Severity.WARNING,
                env.name,
                f"The last update of `{env.name}` failed and was rolled back"
                + (f": {env.last_error}" if env.last_error else ".")
                + " The environment runs its previous configuration.",
                "Fix what the error names, then update the environment again.",
            )
        )
    return out


def check_version(s: EnvironmentSnapshot) -> list[Finding]:
    """``mwaa-version-unknown`` (the doctor cannot check) and ``mwaa-version-end-of-support``."""
    from taxiway import mwaa

    version = s.env.airflow_version
    if version not in mwaa.versions():
        return [
            Finding(
                "mwaa-version-unknown",
                Severity.INFO,
                s.env.name,
                f"taxiway has no data for MWAA's Airflow {version}; the doctor cannot check "
                "the project against it.",
                "Pass `--mwaa` with the nearest version `taxiway doctor versions` lists.",
            )
        ]
    status = mwaa.release(version).status
    if status.startswith("EOS"):
        return [
            Finding(
                "mwaa-version-end-of-support",
                Severity.WARNING,
                s.env.name,
                f"Environment `{s.env.name}` runs Airflow {version}, past MWAA's end of support "
                f"({status.removeprefix('EOS').strip()}): no fixes, and AWS may upgrade it.",
                f"Upgrade to a supported version; `taxiway doctor --mwaa {mwaa.latest()}` "
                "checks the project for it first.",
            )
        ]
    return []
