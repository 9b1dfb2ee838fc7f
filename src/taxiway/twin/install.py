"""Install an MWAA environment's configuration the way MWAA does, with the local runner.

For each creation or update the twin fetches what the configuration names, at its object
versions, into a folder laid out like the MWAA bucket (``requirements.txt``, ``plugins.zip``,
``startup.sh``, and the DAG folder as it is now), then runs
:func:`taxiway.runner.check.local_test` on it: the startup script, Airflow with MWAA's
constraints plus the requirements (uv, cached), the plugins and every DAG file in Airflow's
DagBag. The same code as ``taxiway local test``, so the twin refuses what the local runner
refuses.

What fails an update is what keeps MWAA's components from starting: an install that fails,
a startup script that fails or runs too long, Airflow unable to load its plugins or DAG
folder at all. A DAG file that does not import is not a failure (MWAA shows it in the UI);
it is kept in the outcome's ``import_errors``.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taxiway.findings import Finding, Severity
from taxiway.twin._s3 import client, download_prefix
from taxiway.twin.mwaa import Outcome

#: error findings about single DAG or plugin files: shown by MWAA, never a failed update
_NOT_FATAL = frozenset({"dag-import-error", "plugin-import-error", "dag-parse-slow"})
#: the LastUpdate ErrorCode for a finding code's family
_ERROR_CODES = (
    ("install-", "REQUIREMENTS_INSTALL_FAILED"),
    ("startup-", "STARTUP_SCRIPT_FAILED"),
)


@dataclass
class _Installed:
    built: Any  # runner.environment.BuiltEnv
    layout: Any  # runner.project.Layout


class RunnerInstaller:
    """The twin's :data:`~taxiway.twin.mwaa.Installer` and reimporter, on the local runner."""

    def __init__(self, data_dir: Path, region: str, cache: Path | None = None) -> None:
        self.data_dir = data_dir
        self.region = region
        self.cache = cache
        self._installed: dict[str, _Installed] = {}
        self._lock = threading.Lock()

    def project_dir(self, name: str) -> Path:
        return self.data_dir / "mwaa" / name / "project"

    def _fetch(self, name: str, config: dict[str, Any]) -> Path:
        """What ``config`` names, at its versions, in a fresh folder like the bucket."""
        s3 = client("s3", self.region)
        bucket = config["SourceBucketArn"].rsplit(":", 1)[-1]
        project = self.project_dir(name)
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
        for path_key, version_key, local in (
            ("RequirementsS3Path", "RequirementsS3ObjectVersion", "requirements.txt"),
            ("PluginsS3Path", "PluginsS3ObjectVersion", "plugins.zip"),
            ("StartupScriptS3Path", "StartupScriptS3ObjectVersion", "startup.sh"),
        ):
            if config.get(path_key):
                args = {"Bucket": bucket, "Key": config[path_key]}
                if config.get(version_key) not in (None, "null"):
                    args["VersionId"] = config[version_key]
                (project / local).write_bytes(s3.get_object(**args)["Body"].read())
        self._fetch_dags(s3, bucket, config["DagS3Path"], project / "dags")
        return project

    @staticmethod
    def _fetch_dags(s3: Any, bucket: str, prefix: str, dest: Path) -> None:
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        download_prefix(s3, bucket, prefix.rstrip("/") + "/", dest)

    def install(self, name: str, config: dict[str, Any]) -> Outcome:
        """Install ``config`` for environment ``name``; the outcome MWAA would report."""
        from taxiway.runner.check import local_test
        from taxiway.runner.project import find_layout

        project = self._fetch(name, config)
        layout = find_layout(project, dags=project / "dags")
        report = local_test(
            project,
            str(config["AirflowVersion"]),
            cache=self.cache,
            with_doctor=False,
            layout=layout,
        )
        log = self.data_dir / "mwaa" / name / "install.log"
        log.write_text(
            "\n".join(f"{f.severity.value} {f.code}: {f.message}" for f in report.findings) + "\n",
            encoding="utf-8",
        )
        fatal = [
            f for f in report.findings if f.severity is Severity.ERROR and f.code not in _NOT_FATAL
        ]
        if fatal:
            return Outcome(False, _error_code(fatal[0]), _error_message(fatal))
        if report.env is not None:
            with self._lock:
                self._installed[name] = _Installed(report.env, layout)
        return _imports_outcome(report.findings, report.imports)

    def reimport(self, name: str, config: dict[str, Any]) -> Outcome | None:
        """The DAG folder as it is now in S3, imported in the installed environment."""
        from taxiway.runner.check import check_imports

        with self._lock:
            installed = self._installed.get(name)
        if installed is None:
            return None
        s3 = client("s3", self.region)
        bucket = config["SourceBucketArn"].rsplit(":", 1)[-1]
        self._fetch_dags(s3, bucket, config["DagS3Path"], self.project_dir(name) / "dags")
        report = check_imports(installed.built, installed.layout)
        return _imports_outcome(report.findings, report)


def _error_code(finding: Finding) -> str:
    for prefix, code in _ERROR_CODES:
        if finding.code.startswith(prefix):
            return code
    return "INCORRECT_CONFIGURATION"


def _error_message(fatal: list[Finding]) -> str:
    first = fatal[0]
    where = f" ({first.subject})" if first.subject else ""
    return f"{first.code}{where}: {first.message}"[:4000]


def _imports_outcome(findings: list[Finding], imports: Any) -> Outcome:
    errors = {str(f.file or f.subject): f.message for f in findings if f.code == "dag-import-error"}
    dag_ids = tuple(imports.dag_ids) if imports is not None else ()
    return Outcome(True, import_errors=errors, dag_ids=dag_ids)
