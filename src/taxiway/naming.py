"""AWS resource names of an environment: the one rule, shared by Python, the DAGs and Terraform.

Standard library only, so that the same file ships inside the MWAA dags bundle
(``taxiway deploy`` copies it next to the DAG package) and the EMR job's ``--py-files`` zip.
Terraform spells the same rules in ``infra/terraform/modules/*``; ``tests/infra`` checks that
they agree.

Bucket names are global across every AWS account, so they end in the account id:
``<project>-<env>-<role>-<account_id>`` (``taxiway-sandbox-landing-123456789012``). Every
other name is regional and account-scoped, so ``<project>-<env>`` is enough.
"""

from __future__ import annotations

BUCKET_ROLES = ("landing", "curated", "reports", "artifacts", "mwaa")


def prefix(project: str, env: str) -> str:
    """``<project>-<env>``: the stem of every name below."""
    return f"{project}-{env}"


def bucket(project: str, env: str, role: str, account_id: str) -> str:
    """The S3 bucket of ``role`` (one of ``BUCKET_ROLES`` or ``logs``) in ``account_id``."""
    if role not in (*BUCKET_ROLES, "logs"):
        raise ValueError(f"Unknown bucket role `{role}`; use one of {', '.join(BUCKET_ROLES)}.")
    if not (len(account_id) == 12 and account_id.isdigit()):
        raise ValueError(f"`{account_id}` is not a 12-digit AWS account id.")
    return f"{prefix(project, env)}-{role}-{account_id}"


def emr_cluster(project: str, env: str) -> str:
    return prefix(project, env)


def glue_database(project: str, env: str) -> str:
    # Athena dislikes hyphens in database names.
    return prefix(project, env).replace("-", "_")


def athena_workgroup(project: str, env: str) -> str:
    return prefix(project, env)


def mwaa_environment(project: str, env: str) -> str:
    return prefix(project, env)


def mwaa_execution_role(project: str, env: str) -> str:
    return f"{prefix(project, env)}-mwaa-execution"


def mwaa_security_group(project: str, env: str) -> str:
    return f"{prefix(project, env)}-mwaa"


def emr_service_role(project: str, env: str) -> str:
    return f"{prefix(project, env)}-emr-service"


def emr_instance_profile(project: str, env: str) -> str:
    return f"{prefix(project, env)}-emr-instance"


def vpc_name(project: str, env: str) -> str:
    """The VPC's ``Name`` tag; private subnets carry ``Tier=private``."""
    return prefix(project, env)


def kms_alias(project: str, env: str) -> str:
    return f"alias/{prefix(project, env)}"
