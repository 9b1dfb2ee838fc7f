"""``taxiway local test``: build or reuse the environment, import everything, run startup.

Order matters and mirrors MWAA: the environment (Airflow, providers, requirements) first;
an install failure stops there with an error finding carrying uv's resolver message, as
MWAA's update would fail. Then plugins and DAGs are imported in one subprocess of the
environment's interpreter, and the startup script runs in a scratch shell. The doctor's
static findings are added so one command gives the whole picture.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway import mwaa
from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.runner import environment, imports, interpreters, startup, target
from taxiway.runner.environment import BuiltEnv, InstallFailure
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import Layout, find_layout

SLOW_PARSE_SECONDS = 2.0
PASSED_THROUGH = ("AIRFLOW_VAR_", "AIRFLOW_CONN_")
PROBE_TIMEOUT_SECONDS = 900.0


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
    layout: Layout,
    plugins_dir: Path | None,
    home: Path,
    pycache: Path,
    variables: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment for the import subprocess: a scratch AIRFLOW_HOME, no inherited config.

    Airflow Variables and Connections given as ``AIRFLOW_VAR_*``/``AIRFLOW_CONN_*`` pass
    through (real DAG files read Variables at parse time), ``variables`` (from
    ``--variables``) are added the same way; every other ``AIRFLOW*`` setting is dropped so
    the user's own Airflow configuration does not leak in. Bytecode goes to ``pycache``
    (inside the cached environment): warm runs skip compiling Airflow again, and the
    project's folders stay free of ``__pycache__``.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith(PASSED_THROUGH)
        or not k.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV", "UV_"))
    }
    env.update(variables_environment(variables or {}))
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(layout.dags_folder),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins_dir or home / "plugins"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "PYTHONPYCACHEPREFIX": str(pycache),
        }
    )
    return env


def load_variables(path: Path) -> dict[str, str]:
    """The Variables of an ``airflow variables export`` file: {key: value as Airflow stores it}.

    Values that are not strings (the export writes JSON objects for JSON Variables) are
    stored as their JSON text, which ``Variable.get(key, deserialize_json=True)`` reads back.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"Cannot read Variables file `{path}`: {exc}; pass the JSON that "
            "`airflow variables export FILE` writes."
        ) from exc
    if not isinstance(data, dict):
        raise UsageError(
            f"Variables file `{path}` is not a JSON object of key -> value; pass the JSON that "
            "`airflow variables export FILE` writes."
        )
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}


def variables_environment(variables: dict[str, str]) -> dict[str, str]:
    """``AIRFLOW_VAR_<KEY>`` for each Variable: Airflow's environment-variable secrets backend."""
    return {f"AIRFLOW_VAR_{key.upper()}": value for key, value in variables.items()}


def check_imports(
    built: BuiltEnv,
    layout: Layout,
    slow_seconds: float = SLOW_PARSE_SECONDS,
    variables: dict[str, str] | None = None,
) -> imports.ImportReport:
    """Import plugins and DAGs in ``built``; findings for every failure."""
    report = imports.ImportReport()
    with tempfile.TemporaryDirectory(prefix="taxiway-airflow-home-") as tmp:
        home = Path(tmp)
        plugins_dir = None
        if layout.plugins is not None:
            plugins_dir = imports.unpack_plugins(layout.plugins, home)
        env = probe_environment(layout, plugins_dir, home, built.root / "pycache", variables)
        result, stderr = imports.run_probe(
            built.python, "all", [str(layout.dags_folder)], env, PROBE_TIMEOUT_SECONDS
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
    modules = result.get("modules", {})
    if modules.get("ok"):
        report.modules = frozenset(str(n) for n in modules.get("names", []))
    dags = result.get("dags", {})
    if dags.get("ok"):
        report.dags_rel = _rel(layout.dags_folder, layout.root)
        report.files, found = imports.dag_findings(dags, report.dags_rel, slow_seconds)
        report.errors = sorted(dags.get("import_errors", {}))
        report.findings += found
        report.dag_ids = list(dags.get("dag_ids", []))
        report.airflow_import_seconds = float(dags.get("airflow_import_seconds", 0.0))
    plugins = result.get("plugins", {})
    if plugins.get("ok") and layout.plugins is not None:
        report.plugins, found = imports.plugin_findings(plugins, _rel(layout.plugins, layout.root))
        report.findings += found
    return report


def doctor_findings(layout: Layout, mwaa_version: str) -> list[Finding]:
    """The doctor's static findings on the same layout (explicit paths included)."""
    from taxiway.doctor.project import check_project

    return check_project(layout.root, mwaa_version, layout)


def verified_by_dagbag(findings: list[Finding], report: imports.ImportReport) -> list[Finding]:
    """Drop static import guesses that the built environment proved wrong.

    The doctor maps import names to distributions by name. The environment built like
    MWAA's knows better: an ``import-unavailable`` whose top-level module an installed
    distribution provides (its own metadata: ``packages_distributions()``) is dropped, and so
    is any static import finding about a file Airflow's DagBag imported without error. One
    info finding lists what was dropped.
    """
    parsed = {f.file for f in report.files} - set(report.errors)
    prefix = report.dags_rel.rstrip("/") + "/" if report.dags_rel not in ("", ".") else ""
    imported = {prefix + f for f in parsed}
    static = {"import-unavailable", "airflow-module-missing", "airflow-name-missing"}

    def disproved(f: Finding) -> bool:
        if f.code == "import-unavailable" and f.subject.split(".")[0] in report.modules:
            return not f.subject.startswith("airflow.")  # providers: the name says which
        return f.code in static and f.severity is Severity.ERROR and f.file in imported

    dropped = [f for f in findings if disproved(f)]
    if not dropped:
        return findings
    kept = [f for f in findings if not disproved(f)]
    names = ", ".join(f"`{f.subject}` ({f.file}:{f.line})" for f in dropped)
    kept.append(
        Finding(
            code="import-verified",
            severity=Severity.INFO,
            subject="imports",
            message=f"The environment built like MWAA's imports what the doctor doubted: {names}.",
            hint="",
        )
    )
    return kept


def install_failure_finding(
    failure: InstallFailure, spec: target.EnvSpec, requirements: str = "requirements.txt"
) -> Finding:
    """``install-failed`` (the resolver: MWAA fails too) or ``install-failed-locally``."""
    from taxiway.runner.failures import classify, failure_finding

    if failure.step == "requirements":
        subject, what = requirements, f"`{requirements}`"
    else:
        subject = f"apache-airflow=={spec.release.version}"
        what = f"Airflow `{spec.release.version}` with MWAA's providers"
    file = requirements if failure.step == "requirements" else None
    return failure_finding(classify(failure.message), what, subject, file, failure.message)


def prepare(
    project_dir: Path,
    mwaa_version: str,
    python: str | None = None,
    cache: Path | None = None,
    rebuild: bool = False,
    progress: Progress = quiet,
    layout: Layout | None = None,
) -> tuple[Layout, target.EnvSpec, BuiltEnv | InstallFailure, list[Finding], dict[str, float]]:
    """Layout, interpreter and environment: the common first half of test and start.

    ``layout`` carries explicit paths (``--requirements`` ...); by default it is found.
    """
    release = mwaa.release(mwaa_version)
    layout = layout or find_layout(project_dir)
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
    progress: Progress = quiet,
    slow_seconds: float = SLOW_PARSE_SECONDS,
    startup_timeout: float = startup.MWAA_TIMEOUT_SECONDS,
    with_doctor: bool = True,
    layout: Layout | None = None,
    variables: dict[str, str] | None = None,
) -> LocalReport:
    """Run every local check of ``project_dir`` against MWAA ``mwaa_version``.

    ``variables`` (``--variables``) reach the DAG files as ``AIRFLOW_VAR_*``. Static doctor
    findings about imports are dropped for files the real DagBag imported.
    """
    t0 = time.perf_counter()
    layout, spec, built, findings, timings = prepare(
        project_dir, mwaa_version, python, cache, rebuild, progress, layout
    )
    report = LocalReport(mwaa_version, findings, interpreter=spec.interpreter, timings=timings)
    if with_doctor:
        report.findings += doctor_findings(layout, mwaa_version)
    if isinstance(built, InstallFailure):
        requirements = (
            layout.rel(layout.requirements) if layout.requirements else "requirements.txt"
        )
        report.findings.append(install_failure_finding(built, spec, requirements))
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
    progress(f"Importing DAGs from {layout.dags_folder} with Airflow {mwaa_version}'s DagBag")
    started = time.perf_counter()
    report.imports = check_imports(built, layout, slow_seconds, variables)
    report.findings = verified_by_dagbag(report.findings, report.imports)
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
