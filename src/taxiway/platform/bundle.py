"""Build what an environment's MWAA and EMR receive, in a folder that mirrors the buckets.

``<out>/mwaa`` is laid out like any MWAA project (``requirements.txt``, ``dags/``,
``startup.sh``), so the toolkit's deploy (:mod:`taxiway.deploy`) sends it as it sends a
user's project; :mod:`taxiway.platform.deploy` adds the EMR artifacts.

::

    <out>/mwaa/                  -> s3://<project>-<env>-mwaa-<account>/
        dags/taxiway_hourly.py, dags/taxiway.yaml, dags/.airflowignore
        dags/taxiway_dags/*.py   the DAG package, plus naming.py (the one naming rule)
        dags/taxiway_dags/sql/   the report SQL, copied from taxiway/sql (the single source)
        dags/taxiway_dags/deployment.json   env and account id: parsing needs no AWS call
        requirements.txt         MWAA ships all the DAGs import: nothing to install
        startup.sh               exports TAXIWAY_ENV (and the account id)
    <out>/artifacts/jobs/        -> s3://<project>-<env>-artifacts-<account>/jobs/
        curate_spark.py, taxiway_jobs.zip   the EMR step's entry script and --py-files

Same inputs, same bytes (sorted JSON, fixed zip timestamps), so content hashes tell a
deploy what changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from taxiway import naming
from taxiway.config import Settings
from taxiway.errors import UsageError
from taxiway.findings import Finding

#: the startup script's one text (package data), rendered here and by Terraform
STARTUP_TEMPLATE = "startup.sh.tftpl"
#: the prefix of each bucket role a bundle writes to
ROLES = ("mwaa", "artifacts")
_SKIP = ("__pycache__", ".pyc", "deployment.json")


@dataclass(frozen=True)
class BundleFile:
    """One file of a bundle: where it lies and where it goes."""

    path: Path
    role: str  # bucket role: mwaa or artifacts
    key: str
    sha256: str


@dataclass(frozen=True)
class Bundle:
    root: Path
    env: str
    account_id: str
    mwaa_version: str
    files: tuple[BundleFile, ...]

    @property
    def mwaa_dir(self) -> Path:
        return self.root / "mwaa"


def repo_dags_folder(settings: Settings) -> Path:
    """The project's ``dags/`` folder, next to its taxiway.yaml."""
    folder = Path(settings.source).resolve().parent / "dags"
    if not (folder / "taxiway_dags").is_dir():
        raise UsageError(
            f"`{folder}` has no taxiway_dags package; run `taxiway bundle` from a taxiway "
            "project (the folder of taxiway.yaml with dags/ next to it)."
        )
    return folder


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def startup_script(env: str, account_id: str) -> str:
    """MWAA's startup script: the environment the DAGs build for.

    The text is :data:`STARTUP_TEMPLATE`, which Terraform's ``templatefile`` renders too
    (infra/terraform/modules/mwaa): the environment's first ``startup.sh`` has the bytes a
    deploy would upload, so the first deploy compares it unchanged.
    """
    text = resources.files("taxiway.platform").joinpath(STARTUP_TEMPLATE).read_text("utf-8")
    # Terraform's template syntax for plain variables, `${name}`, is string.Template's
    return string.Template(text).substitute(environment=env, account_id=account_id)


def requirements(mwaa_version: str) -> str:
    """MWAA's requirements.txt: only the constraints line; the DAGs need nothing else."""
    from taxiway import mwaa

    python = mwaa.release(mwaa_version).python
    return (
        f"-c https://raw.githubusercontent.com/apache/airflow/constraints-{mwaa_version}/"
        f"constraints-{python}.txt\n"
        "# Written by `taxiway deploy`. taxiway's DAGs import only what MWAA ships (the\n"
        "# amazon provider, PyYAML); `taxiway doctor` checks this on every deploy.\n"
    )


def build(settings: Settings, env_name: str, account_id: str, out: Path) -> Bundle:
    """Write the bundle of ``env_name`` into ``out`` (replacing it); return its file list."""
    from taxiway.jobs.bundle import build_bundle

    env = settings.env(env_name)
    if env.target != "aws" or not env.mwaa_version:
        raise UsageError(
            f"Environment `{env_name}` is not an aws environment with an mwaa_version in "
            f"{settings.source}; bundle sandbox, test or production."
        )
    naming.bucket(settings.project, env_name, "mwaa", account_id)  # validates the id
    src = repo_dags_folder(settings)
    settings_file = Path(settings.source).resolve()
    if out.exists():
        shutil.rmtree(out)
    mwaa, jobs = out / "mwaa", out / "artifacts" / "jobs"
    dags = mwaa / "dags"
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir() or any(part in _SKIP or part.endswith(_SKIP) for part in rel.parts):
            continue
        if rel.as_posix() == "taxiway.yaml":
            continue  # a symlink in the repo: written below from the settings file itself
        target = dags / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    (dags / "taxiway.yaml").write_bytes(settings_file.read_bytes())
    package = dags / "taxiway_dags"
    # the installed package's copies win over the repo's symlinks to them: one source
    (package / "naming.py").write_bytes(Path(naming.__file__).read_bytes())
    sql = package / "sql"
    sql.mkdir(exist_ok=True)
    for entry in sorted(resources.files("taxiway.sql").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            (sql / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    deployment = {"env": env_name, "account_id": account_id, "project": settings.project}
    (package / "deployment.json").write_text(
        json.dumps(deployment, sort_keys=True, indent=1) + "\n", encoding="utf-8"
    )
    (mwaa / "requirements.txt").write_text(requirements(env.mwaa_version), encoding="utf-8")
    (mwaa / "startup.sh").write_text(startup_script(env_name, account_id), encoding="utf-8")
    build_bundle(jobs)
    files = [
        BundleFile(p, "mwaa", p.relative_to(mwaa).as_posix(), _sha256(p))
        for p in sorted(mwaa.rglob("*"))
        if p.is_file()
    ] + [
        BundleFile(p, "artifacts", p.relative_to(out / "artifacts").as_posix(), _sha256(p))
        for p in sorted((out / "artifacts").rglob("*"))
        if p.is_file()
    ]
    return Bundle(out, env_name, account_id, env.mwaa_version, tuple(files))


def doctor_findings(bundle: Bundle) -> list[Finding]:
    """The doctor's findings on the bundle's MWAA folder, for the environment's version."""
    from taxiway.doctor import check_project

    return list(check_project(bundle.mwaa_dir, bundle.mwaa_version))
