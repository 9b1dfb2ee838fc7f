"""``taxiway deploy --env ENV``: taxiway's own pipeline through the toolkit's deploy.

1. bundle (:mod:`taxiway.platform.bundle`): ``mwaa/`` laid out like any MWAA project, and
   ``artifacts/jobs/`` for EMR;
2. every bucket of the environment exists (Terraform made them), or nothing happens;
3. the toolkit's deploy prepares the ``mwaa/`` folder for the MWAA environment
   ``<project>-<env>`` (:func:`taxiway.naming.mwaa_environment`): the doctor, the plan;
4. the EMR artifacts go up with the same hash comparison (:func:`taxiway.deploy.plan.sync`),
   before the DAGs that submit them;
5. the toolkit's deploy carries out the MWAA plan: parts, UpdateEnvironment and wait, DAGs.

Until Terraform has created the MWAA environment, its bucket gets the files and there is
nothing to update (the environment is created pointing at them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taxiway import naming
from taxiway.config import Settings
from taxiway.deploy import plan as plans
from taxiway.deploy.aws import Aws, OnStatus
from taxiway.deploy.environment import Target
from taxiway.deploy.files import LocalFile, tree
from taxiway.deploy.run import Prepared, Say, open_environment, prepare
from taxiway.platform.bundle import Bundle, build

#: every bucket the environment's pipeline uses: deploy refuses when one is missing
NEEDED_ROLES = ("landing", "curated", "reports", "artifacts", "mwaa")


@dataclass(frozen=True)
class PlatformPlan:
    """The bundle, the buckets that are missing, the artifacts' plan and the MWAA deploy's."""

    env: str
    account_id: str
    bundle: Bundle
    missing_buckets: tuple[str, ...]
    artifacts_bucket: str
    artifacts: tuple[plans.ObjectAction, ...] = ()
    mwaa: Prepared | None = None  # None when buckets are missing

    @property
    def blocked(self) -> bool:
        return bool(self.missing_buckets) or (self.mwaa is not None and self.mwaa.blocked)


def missing_buckets(aws: Aws, project: str, env: str, account: str) -> list[str]:
    """The environment's buckets that do not exist (or are not ours to see)."""
    names = [naming.bucket(project, env, role, account) for role in NEEDED_ROLES]
    return [name for name in names if not aws.bucket_exists(name)]


def _artifacts(aws: Aws, bucket: str, folder: Path) -> list[plans.ObjectAction]:
    local = {rel: LocalFile.of_path(f"artifacts/{rel}", path) for rel, path in tree(folder)}
    remote = aws.listing(bucket, "jobs/")
    for key in plans.needs_head(local, remote):
        head = aws.head(bucket, key)
        if head is not None:
            remote[key] = head
    return plans.sync("artifact", local, remote)


def plan(
    aws: Aws,
    settings: Settings,
    env: str,
    account_id: str,
    out: Path,
    *,
    mwaa_version: str | None = None,
    run_doctor: bool = True,
    settle: bool = True,
    no_wait: bool = False,
    on_status: OnStatus,
    say: Say | None = None,
) -> PlatformPlan:
    """Steps 1-3: bundle into ``out``, check the buckets, plan both parts. Changes nothing."""
    from taxiway.runner.project import find_layout

    built = build(settings, env, account_id, out)
    artifacts_bucket = naming.bucket(settings.project, env, "artifacts", account_id)
    missing = tuple(missing_buckets(aws, settings.project, env, account_id))
    if missing:
        return PlatformPlan(env, account_id, built, missing, artifacts_bucket)
    name = naming.mwaa_environment(settings.project, env)
    environment = open_environment(
        aws, name, settle=settle, on_status=on_status, say=say, no_wait=no_wait, missing_ok=True
    )
    notes: list[str] = []
    if environment is None:
        target = Target(
            naming.bucket(settings.project, env, "mwaa", account_id),
            "dags",
            {"requirements": "requirements.txt", "startup": "startup.sh"},
        )
        notes.append(
            f"No MWAA environment `{name}` yet: the files go to its bucket and there is "
            f"nothing to update (Terraform creates it pointing at them: infra/terraform/envs/{env})."
        )
    else:
        target = environment.target
        runs = environment.airflow_version
        if runs and runs != built.mwaa_version and not mwaa_version:
            notes.append(
                f"{settings.source} says mwaa_version {built.mwaa_version} for `{env}`, but "
                f"`{name}` runs Airflow {runs}: the bundle's constraints are for "
                f"{built.mwaa_version}; the doctor checks {runs}."
            )
    version = mwaa_version or (environment.airflow_version if environment else None)
    prepared = prepare(
        aws,
        find_layout(built.mwaa_dir),
        name=name,
        environment=environment,
        target=target,
        mwaa_version=version or built.mwaa_version,
        run_doctor=run_doctor,
        notes=tuple(notes),
    )
    artifacts = _artifacts(aws, artifacts_bucket, built.root / "artifacts")
    return PlatformPlan(env, account_id, built, (), artifacts_bucket, tuple(artifacts), prepared)


def upload_artifacts(aws: Aws, the_plan: PlatformPlan) -> list[str]:
    """Step 4: the EMR artifacts that changed."""
    done = []
    for obj in the_plan.artifacts:
        if obj.action == plans.UPLOAD and obj.local is not None:
            aws.put(the_plan.artifacts_bucket, obj.key, obj.local)
            done.append(obj.key)
    return done


def report(
    the_plan: PlatformPlan, mwaa: dict[str, Any] | None, uploaded: list[str], dry_run: bool
) -> dict[str, Any]:
    """``--format json`` of ``deploy --env``: the EMR artifacts and the MWAA deploy's report."""
    return {
        "env": the_plan.env,
        "account_id": the_plan.account_id,
        "dry_run": dry_run,
        "missing_buckets": list(the_plan.missing_buckets),
        "artifacts": [
            {
                "kind": o.kind,
                "key": o.key,
                "uri": f"s3://{the_plan.artifacts_bucket}/{o.key}",
                "action": o.action,
                "reason": o.reason,
            }
            for o in the_plan.artifacts
        ],
        "artifacts_uploaded": uploaded,
        "mwaa": mwaa,
    }
