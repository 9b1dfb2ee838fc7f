"""One project onto one MWAA environment, in an order a crash at any point cannot break.

Order of work:

1. read the environment (GetEnvironment). When MWAA is still changing it (an update an
   earlier deploy started), wait for that first: only then are its object versions final;
2. the doctor, for the environment's Airflow version: error findings stop the deploy here,
   before any upload;
3. read the bucket: versioning must be on (MWAA installs by object version); HEAD each
   part's key; list the DAG prefix, HEAD where the ETag cannot decide; plan (pure);
4. upload the parts that changed: requirements, plugins.zip, startup script. New object
   versions appear; the environment still runs the old ones;
5. when a part is new, or the environment runs another version of it than S3's current
   one: UpdateEnvironment with the current versions, then wait until it has settled. A
   failed update (LastUpdate FAILED, MWAA rolled back) stops here and the DAGs stay as
   they were: they may import what was not installed;
6. upload the changed DAG files, then delete the stale ones.

A crash at any point leaves the environment on consistent old versions, and the rerun
plans against what is there now: parts uploaded before the crash compare unchanged, but
the environment runs another version than S3's current one, so step 5 runs; DAG files
already uploaded compare unchanged, the rest follow. The rerun finishes the deploy and a
further one has nothing to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from taxiway.deploy import plan as plans
from taxiway.deploy.aws import Aws, DeployError, OnStatus
from taxiway.deploy.environment import Environment, Target
from taxiway.deploy.files import PARTS, ProjectFiles, collect
from taxiway.doctor.project import ProjectLayout
from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity

#: status lines of a deploy (what it is doing now)
Say = Callable[[str], None]
#: how long a deploy waits for an environment update (MWAA's take 20-40 minutes)
WAIT_TIMEOUT = 90 * 60.0


@dataclass(frozen=True)
class Prepared:
    """Everything a deploy decided before changing anything (what ``--dry-run`` prints)."""

    name: str | None  # the MWAA environment; None: a bucket only (no environment yet)
    environment: Environment | None
    target: Target
    layout: ProjectLayout
    files: ProjectFiles
    mwaa_version: str
    findings: tuple[Finding, ...] | None  # None: --no-doctor
    plan: plans.Plan
    notes: tuple[str, ...] = ()

    @property
    def doctor_errors(self) -> list[Finding]:
        return [f for f in self.findings or () if f.severity is Severity.ERROR]

    @property
    def blocked(self) -> bool:
        return bool(self.doctor_errors)


@dataclass
class Outcome:
    """What a deploy did."""

    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    update: dict[str, str] | None = None  # the UpdateEnvironment arguments sent
    environment: Environment | None = None  # after the update
    waited: float | None = None  # seconds
    failed: str | None = None  # MWAA's LastUpdate error when the update failed
    deferred: list[str] = field(default_factory=list)  # DAG changes left for the next deploy


def open_environment(
    aws: Aws,
    name: str,
    *,
    settle: bool,
    on_status: OnStatus,
    say: Say | None = None,
    no_wait: bool = False,
    missing_ok: bool = False,
) -> Environment | None:
    """Step 1: the environment, once MWAA has finished changing it.

    ``settle=False`` (a dry run) takes it as it is. ``no_wait`` refuses to wait for an
    update under way instead of blocking. ``missing_ok`` answers None for no environment
    of that name, where otherwise the error names those in the region.
    """
    env = aws.find_environment(name) if missing_ok else aws.environment(name)
    if env is None or not env.settling or not settle:
        return env
    if no_wait:
        raise DeployError(
            f"MWAA environment `{name}` is {env.status} (an earlier update); deploy again "
            "without --no-wait to wait for it, or once it is AVAILABLE."
        )
    if say is not None:
        say(f"`{name}` is {env.status}: waiting for it before planning")
    return aws.wait(name, env.last_update, on_status, timeout=WAIT_TIMEOUT, update_sent=False)


def doctor(layout: ProjectLayout, version: str) -> tuple[Finding, ...]:
    """Step 2: the doctor's findings on the project for ``version``."""
    from taxiway import mwaa
    from taxiway.doctor.project import check_project

    if version not in mwaa.versions():
        raise UsageError(
            f"The doctor has no data for MWAA {version}; pass the nearest version it knows "
            "with `--mwaa` (`taxiway doctor versions`), or `--no-doctor`."
        )
    return tuple(check_project(layout.root, version, layout))


def read_plan(aws: Aws, target: Target, files: ProjectFiles, *, environment: bool) -> plans.Plan:
    """Step 3: the bucket's state and the plan."""
    aws.check_bucket(target.bucket)
    parts = {p: aws.head(target.bucket, target.key(p)) for p in PARTS}
    dags = plans.dag_keys(target, files)
    listed = aws.listing(target.bucket, f"{target.dag_prefix}/" if target.dag_prefix else "")
    for key in plans.needs_head(dags, listed):
        head = aws.head(target.bucket, key)
        if head is not None:
            listed[key] = head
    return plans.build(target, files, parts, listed, environment=environment)


def prepare(
    aws: Aws,
    layout: ProjectLayout,
    *,
    name: str | None,
    environment: Environment | None,
    target: Target,
    mwaa_version: str,
    run_doctor: bool = True,
    notes: tuple[str, ...] = (),
) -> Prepared:
    """Steps 2 and 3: doctor and plan; nothing is changed."""
    files = collect(layout)
    findings = doctor(layout, mwaa_version) if run_doctor else None
    plan = read_plan(aws, target, files, environment=environment is not None)
    extra = list(notes)
    stuck = environment is not None and not (environment.updatable or environment.settling)
    if environment is not None and plan.update and stuck:
        extra.append(
            f"`{environment.name}` is {environment.status}: it takes no update, so the deploy "
            "would stop before uploading anything."
        )
    if environment is not None and environment.settling:
        extra.append(
            f"`{environment.name}` is {environment.status}: a deploy waits for it first, and "
            "plans again against the versions it settles on."
        )
    return Prepared(
        name, environment, target, layout, files, mwaa_version, findings, plan, tuple(extra)
    )


def _versions(aws: Aws, prepared: Prepared, uploaded: dict[str, str | None]) -> dict[str, str]:
    target = prepared.target
    out: dict[str, str] = {}
    for part in prepared.plan.update:
        version = uploaded.get(part)
        if version is None:
            head = aws.head(target.bucket, target.key(part))
            version = head.version_id if head is not None else None
        if version is None:
            raise DeployError(
                f"`{target.uri(target.key(part))}` has no object version; MWAA needs one. "
                "Turn versioning on for the bucket and deploy again."
            )
        out[part] = version
    return out


def apply(
    aws: Aws,
    prepared: Prepared,
    *,
    wait: bool = True,
    say: Say,
    on_status: OnStatus,
    timeout: float = WAIT_TIMEOUT,
) -> Outcome:
    """Steps 4-6: carry out a plan the doctor let through."""
    if prepared.blocked:
        raise UsageError("The doctor found errors: nothing may be deployed.")  # caller's bug
    plan, target, env = prepared.plan, prepared.target, prepared.environment
    if plan.update and env is not None and not env.updatable:
        raise DeployError(
            f"MWAA environment `{env.name}` is {env.status}: it takes no update. Fix it in "
            "the MWAA console (or recreate it), then deploy again. Nothing was uploaded."
        )
    out = Outcome()
    uploaded: dict[str, str | None] = {}
    for obj in plan.parts:  # step 4
        if obj.action == plans.UPLOAD and obj.local is not None:
            say(f"uploading {obj.kind} `{target.uri(obj.key)}`")
            uploaded[obj.kind] = aws.put(target.bucket, obj.key, obj.local)
            out.uploaded.append(obj.key)
    if plan.update and env is not None:  # step 5
        args = plans.update_request(env.name, target, plan, _versions(aws, prepared, uploaded))
        say(
            f"updating `{env.name}`: "
            + "; ".join(f"{part}: {why}" for part, why in plan.update.items())
        )
        aws.update_environment(args)
        out.update = args
        dag_changes = [o.key for o in plan.dags if o.changes]
        if not wait:
            out.deferred = dag_changes
            return out
        started = time.monotonic()
        try:
            final = aws.wait(env.name, env.last_update, on_status, timeout=timeout)
        except KeyboardInterrupt:
            raise DeployError(
                f"Interrupted while waiting for `{env.name}`; its update goes on in AWS. "
                "Rerun `taxiway deploy`: it waits for the update, then uploads the DAGs."
            ) from None
        out.environment = final
        out.waited = time.monotonic() - started
        if final.last_update.failed or final.status == "UPDATE_FAILED":
            out.failed = final.last_update.error()
            out.deferred = dag_changes
            return out
    for obj in plan.dags:  # step 6: uploads before deletions
        if obj.action == plans.UPLOAD and obj.local is not None:
            aws.put(target.bucket, obj.key, obj.local)
            out.uploaded.append(obj.key)
    for obj in plan.dags:
        if obj.action == plans.DELETE:
            aws.delete(target.bucket, obj.key)
            out.deleted.append(obj.key)
    return out
