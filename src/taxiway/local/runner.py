"""``taxiway local test``: build or reuse the environment, import everything, run startup.

Order matters and mirrors MWAA: the environment (Airflow, providers, requirements) first;
an install failure stops there with an error finding carrying uv's resolver message, as
MWAA's update would fail. Then plugins and DAGs are imported in one subprocess of the
environment's interpreter, and the startup script runs in a scratch shell. The doctor's
static findings are added so one command gives the whole picture.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway import mwaa
from taxiway.findings import Finding, Severity
from taxiway.local import environment, imports, interpreters, startup, target
from taxiway.local.environment import BuiltEnv, InstallFailure
from taxiway.local.project import Layout, find_layout

Progress = Callable[[str], None]
SLOW_PARSE_SECONDS = 2.0
PROBE_TIMEOUT_SECONDS = 900.0


def _quiet(_: str) -> None:
    return None


@dataclass
class LocalReport:
    """Everything one ``local test`` run found and measured."""

    mwaa_version: str
    findings: list[Finding] = field(default_factory=list)
    env: BuiltEnv | None = None
    interpreter: str = ""
    imports: imports.ImportReport | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def extra(self) -> dict[str, Any]:
        """Machine-readable details for ``--format json``."""
        data: dict[str, Any] = {
            "mwaa_version": self.mwaa_version,
            "interpreter": self.interpreter,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }
        if self.env is not None:
            data["environment"] = {
                "path": str(self.env.root),
                "cached": self.env.cached,
            }
        if self.imports is not None:
            data.update(self.imports.to_dict())
        return data


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def probe_environment(
    layout: Layout, plugins_dir: Path | None, home: Path, pycache: Path
) -> dict[str, str]:
    """The environment for the import subprocess: a scratch AIRFLOW_HOME, no inherited config.

    Bytecode goes to ``pycache`` (inside the cached environment): warm runs skip compiling
    Airflow again, and the project's folders stay free of ``__pycache__``.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV", "UV_"))
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(layout.dags),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins_dir or home / "plugins"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "PYTHONPYCACHEPREFIX": str(pycache),
        }
    )
    return env


def check_imports(
    built: BuiltEnv, layout: Layout, slow_seconds: float = SLOW_PARSE_SECONDS
) -> imports.ImportReport:
    """Import plugins and DAGs in ``built``; findings for every failure."""
    report = imports.ImportReport()
    with tempfile.TemporaryDirectory(prefix="taxiway-airflow-home-") as tmp:
        home = Path(tmp)
        plugins_dir = None
        if layout.plugins is not None:
            plugins_dir = imports.unpack_plugins(layout.plugins, home)
        env = probe_environment(layout, plugins_dir, home, built.root / "pycache")
        result, stderr = imports.run_probe(
            built.python, "all", [str(layout.dags)], env, PROBE_TIMEOUT_SECONDS
        )
    if result is None:
        report.findings.append(
            Finding(
                code="import-probe-failed",
                severity=Severity.ERROR,
                subject=str(built.root),
                message=f"Importing DAGs and plugins did not complete: {stderr}",
                hint="Rebuild the environment with `--rebuild`; if it persists, "
                "run with `--debug` and report it.",
            )
        )
        return report
    for part in ("plugins", "dags"):
        sub = result.get(part, {})
        if not sub.get("ok"):
            report.findings.append(
                Finding(
                    code=f"{part}-probe-failed",
                    severity=Severity.ERROR,
                    subject=part,
                    message=f"Airflow could not load the {part}: {sub.get('error')}\n"
                    + imports.traceback_tail(str(sub.get("traceback", ""))),
                    hint="This usually means Airflow itself is broken in this environment "
                    "(a requirement replaced one of its dependencies); check requirements.txt.",
                )
            )
    dags = result.get("dags", {})
    if dags.get("ok"):
        report.files, found = imports.dag_findings(
            dags, _rel(layout.dags, layout.root), slow_seconds
        )
        report.findings += found
        report.dag_ids = list(dags.get("dag_ids", []))
        report.airflow_import_seconds = float(dags.get("airflow_import_seconds", 0.0))
    plugins = result.get("plugins", {})
    if plugins.get("ok") and layout.plugins is not None:
        report.plugins, found = imports.plugin_findings(plugins, _rel(layout.plugins, layout.root))
        report.findings += found
    return report


def doctor_findings(project_dir: Path, mwaa_version: str) -> list[Finding]:
    """The doctor's static findings, when the doctor is installed."""
    try:
        from taxiway.doctor import check_project
    except ImportError:
        return [
            Finding(
                code="doctor-unavailable",
                severity=Severity.INFO,
                subject="doctor",
                message="`taxiway.doctor` is not importable; static checks were skipped.",
                hint="Run `taxiway doctor` separately.",
            )
        ]
    found: list[Finding] = check_project(project_dir, mwaa_version)
    return found


def install_failure_finding(failure: InstallFailure, spec: target.EnvSpec) -> Finding:
    if failure.step == "requirements":
        subject, what = "requirements.txt", "`requirements.txt` cannot be installed"
    else:
        subject = f"apache-airflow=={spec.release.version}"
        what = f"Airflow `{spec.release.version}` with MWAA's providers cannot be installed"
    return Finding(
        code="install-failed",
        severity=Severity.ERROR,
        subject=subject,
        message=f"{what} under MWAA's constraints; MWAA would fail the same way.\n"
        + failure.message,
        hint="Drop or relax the pin the resolver names; MWAA's essential pins "
        "(Airflow, Flask, Celery, SQLAlchemy...) cannot be overridden.",
        file="requirements.txt" if failure.step == "requirements" else None,
    )


def prepare(
    project_dir: Path,
    mwaa_version: str,
    python: str | None = None,
    cache: Path | None = None,
    rebuild: bool = False,
    progress: Progress = _quiet,
) -> tuple[Layout, target.EnvSpec, BuiltEnv | InstallFailure, list[Finding], dict[str, float]]:
    """Layout, interpreter and environment: the common first half of test and start."""
    release = mwaa.release(mwaa_version)
    layout = find_layout(project_dir)
    timings: dict[str, float] = {}
    findings: list[Finding] = []
    started = time.perf_counter()
    interp, exact = interpreters.find(release.python, python)
    timings["interpreter"] = time.perf_counter() - started
    if not exact:
        findings.append(
            Finding(
                code="python-mismatch",
                severity=Severity.WARNING,
                subject=f"python {interp.version}",
                message=f"MWAA {release.version} runs Python {release.python}, which was not "
                f"found here; using Python {interp.version} ({interp.path}) instead. "
                "Results can differ for packages with version-specific wheels.",
                hint=f"Install Python {release.python} (`uv python install {release.python}` "
                f"or `pyenv install {release.python}`) or pass `--python`.",
            )
        )
    spec = target.env_spec(
        release, interp.version, interp.path, layout.requirements, layout.plugins
    )
    started = time.perf_counter()
    built = environment.ensure(spec, cache or target.cache_root(), rebuild, progress)
    timings["environment"] = time.perf_counter() - started
    return layout, spec, built, findings, timings


def local_test(
    project_dir: Path,
    mwaa_version: str,
    python: str | None = None,
    cache: Path | None = None,
    rebuild: bool = False,
    progress: Progress = _quiet,
    slow_seconds: float = SLOW_PARSE_SECONDS,
    startup_timeout: float = startup.MWAA_TIMEOUT_SECONDS,
    with_doctor: bool = True,
) -> LocalReport:
    """Run every local check of ``project_dir`` against MWAA ``mwaa_version``."""
    t0 = time.perf_counter()
    layout, spec, built, findings, timings = prepare(
        project_dir, mwaa_version, python, cache, rebuild, progress
    )
    report = LocalReport(mwaa_version, findings, interpreter=spec.interpreter, timings=timings)
    if with_doctor:
        report.findings += doctor_findings(layout.root, mwaa_version)
    if isinstance(built, InstallFailure):
        report.findings.append(install_failure_finding(built, spec))
        report.timings["total"] = time.perf_counter() - t0
        return report
    report.env = built
    report.findings.append(
        Finding(
            code="environment-reused" if built.cached else "environment-built",
            severity=Severity.INFO,
            subject=f"mwaa {mwaa_version} / python {spec.python}",
            message=(
                f"Reused the cached environment {built.root}."
                if built.cached
                else f"Built the environment {built.root} in {built.seconds:.1f} s."
            ),
            hint="`--rebuild` ignores the cache." if built.cached else "",
        )
    )
    progress(f"Importing DAGs from {layout.dags} with Airflow {mwaa_version}'s DagBag")
    started = time.perf_counter()
    report.imports = check_imports(built, layout, slow_seconds)
    report.findings += report.imports.findings
    report.timings["imports"] = time.perf_counter() - started
    if layout.startup is not None:
        progress(f"Running {layout.startup.name} with bash (MWAA's limit: 5 minutes)")
        started = time.perf_counter()
        result = startup.run_startup(layout.startup, built.bin, mwaa_version, startup_timeout)
        report.findings += startup.startup_findings(
            result, _rel(layout.startup, layout.root), startup_timeout
        )
        report.timings["startup"] = time.perf_counter() - started
    report.timings["total"] = time.perf_counter() - t0
    return report
