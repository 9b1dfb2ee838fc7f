"""``taxiway local test``: build or reuse the environment, run startup, import everything.

Order matters and mirrors MWAA:

1. the environment (Airflow, providers, requirements); an install failure is an error
   finding carrying uv's resolver message, as MWAA's update would fail;
2. the startup script, in the run's container (the bubblewrap sandbox by default), and the
   variables it exported, minus MWAA's reserved ones;
3. plugins and DAGs, imported in one subprocess of the environment's interpreter in the same
   container, with those exports, the user's Variables and Connections;
4. the doctor's static findings, so one command gives the whole picture.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from taxiway import mwaa
from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.runner import environment, imports, interpreters, sandbox, startup, target
from taxiway.runner.environment import BuiltEnv, InstallFailure
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import Layout, find_layout
from taxiway.runner.sandbox import Container
from taxiway.runner.selection import check_dag_file, keep_file, select_dag
from taxiway.runner.variables import (
    PASSED_THROUGH,
    load_variables,
    probe_environment,
    variables_environment,
)

__all__ = [
    "PASSED_THROUGH",
    "LocalReport",
    "check_imports",
    "load_variables",
    "local_test",
    "prepare",
    "probe_environment",
    "variables_environment",
]

SLOW_PARSE_SECONDS = 2.0
#: how the startup script runs: in the sandbox (default), on the host (the explicit
#: `--unsafe-host-startup`), or not at all (`--no-startup`)
STARTUP_MODES = ("sandbox", "host", "skip")
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
    startup: startup.StartupResult | None = None
    sandboxed: bool = False  # the DAG import ran in the sandbox

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
                "partial": self.env.partial is not None,
                "left_out": [
                    {"line": n, "requirement": text}
                    for n, text in (self.env.partial.left_out if self.env.partial else ())
                ],
            }
        if self.imports is not None:
            data.update(self.imports.to_dict())
        data["sandbox"] = self.sandboxed
        if self.startup is not None:
            data["startup"] = {
                "exit_code": self.startup.exit_code,
                "exported": self.startup.exported,  # names only: values may be secrets
                "sandboxed": self.startup.sandboxed,
                "network": self.startup.network,
                "recorded": [c.text for c in self.startup.calls],
            }
        return data


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def container_for(
    built: BuiltEnv, layout: Layout, sandboxed: bool, home: Path | None = None
) -> AbstractContextManager[Container]:
    """The run's container on ``layout``'s parts, able to run ``built``'s interpreter."""
    venv = built.python.parent.parent
    needed = (built.root, sandbox.interpreter_home(venv), imports.PROBE.parent)
    readable = tuple(p for p in needed if p is not None)
    pycache = built.root / "pycache"
    pycache.mkdir(exist_ok=True)
    parts = {
        "dags": layout.dags_folder,
        "plugins": layout.plugins,
        "requirements": layout.requirements,
        "startup": layout.startup,
    }
    return sandbox.container(
        parts, sandboxed=sandboxed, home=home, readable=readable, writable=(pycache,)
    )


def check_imports(
    built: BuiltEnv,
    layout: Layout,
    slow_seconds: float = SLOW_PARSE_SECONDS,
    variables: dict[str, str] | None = None,
    box: Container | None = None,
    exports: startup.StartupResult | None = None,
    dag_file: Path | None = None,
    airflow_major: int | None = None,
) -> imports.ImportReport:
    """Import plugins and DAGs in ``built``; findings for every failure.

    In ``box`` when given (else a container of its own: the sandbox when bwrap works here),
    with what the startup script ``exports`` and the ``variables``. ``dag_file`` limits the
    DagBag to one file of the DAG folder.
    """
    if box is None:
        with container_for(built, layout, sandbox.find_bwrap() is not None) as own:
            return check_imports(
                built, layout, slow_seconds, variables, own, exports, dag_file, airflow_major
            )
    report = imports.ImportReport()
    dags_path = box.path("dags") or str(layout.dags_folder)
    env = probe_environment(
        layout, box.path("plugins"), box.home_path, built.root / "pycache", variables, dags_path
    )
    env = startup.with_exports(env, exports, airflow_major)
    args = [dags_path]
    if dag_file is not None:
        args.append(f"{dags_path}/{dag_file.resolve().relative_to(layout.dags_folder).as_posix()}")
    result, stderr = imports.run_probe(built.python, "all", args, env, PROBE_TIMEOUT_SECONDS, box)
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
        report.dag_files = {str(k): str(v) for k, v in dags.get("dag_files", {}).items()}
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
    failure: InstallFailure,
    spec: target.EnvSpec,
    requirements: str = "requirements.txt",
    left_out: tuple[tuple[int, str], ...] = (),
) -> Finding:
    """``install-failed`` (the resolver: MWAA fails too) or ``install-failed-locally``;
    at the first of the ``left_out`` lines when the rest was installed without them."""
    from taxiway.runner.failures import classify, failure_finding

    if failure.step == "requirements":
        subject, what = requirements, f"`{requirements}`"
    else:
        subject = f"apache-airflow=={spec.release.version}"
        what = f"Airflow `{spec.release.version}` with MWAA's providers"
    file = requirements if failure.step == "requirements" else None
    found = failure_finding(classify(failure.message), what, subject, file, failure.message)
    if not left_out:
        return found
    lines = ", ".join(f"`{text}` (line {n})" for n, text in left_out)
    return replace(
        found, message=f"{found.message}\nThe line(s) uv names: {lines}.", line=left_out[0][0]
    )


def partial_finding(left_out: tuple[tuple[int, str], ...], requirements: str) -> Finding:
    """``install-partial``: the DAGs were imported without the lines that do not install."""
    lines = ", ".join(f"line {n} `{text}`" for n, text in left_out)
    return Finding(
        code="install-partial",
        severity=Severity.WARNING,
        subject=requirements,
        message=f"The DAGs were imported in an environment with every line of `{requirements}` "
        f"but {lines}: a DAG that needs them fails here for that reason, and MWAA would "
        "install none of the file.",
        hint="Fix the line(s) above, then run again: the environment is built in full.",
        file=requirements,
        line=left_out[0][0],
    )


def prepare(
    project_dir: Path,
    mwaa_version: str,
    python: str | None = None,
    cache: Path | None = None,
    rebuild: bool = False,
    progress: Progress = quiet,
    layout: Layout | None = None,
    partial: bool = False,
) -> tuple[Layout, target.EnvSpec, BuiltEnv | InstallFailure, list[Finding], dict[str, float]]:
    """Layout, interpreter and environment: the common first half of test and start.

    ``layout`` carries explicit paths (``--requirements`` ...); by default it is found.
    ``partial`` accepts an environment without the requirements lines that do not install.
    """
    release = mwaa.release(mwaa_version)
    layout = layout or find_layout(project_dir)
    timings: dict[str, float] = {}
    findings: list[Finding] = []
    started = time.perf_counter()
    memo = (cache or target.cache_root()) / "interpreters.json"
    interp, exact = interpreters.find(release.python, python, memo)
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
    built = environment.ensure(spec, cache or target.cache_root(), rebuild, progress, partial)
    timings["environment"] = time.perf_counter() - started
    return layout, spec, built, findings, timings


def sandbox_wanted(layout: Layout, startup_mode: str) -> bool:
    """Whether this run's project code goes into the sandbox; refuses early (before any
    build) when a startup script must run sandboxed and bwrap is missing here."""
    if startup_mode not in STARTUP_MODES:
        raise UsageError(f"Unknown startup mode `{startup_mode}`; one of {STARTUP_MODES}.")
    if startup_mode == "host":
        return False
    if startup_mode == "sandbox" and layout.startup is not None:
        sandbox.require_bwrap()
        return True
    return sandbox.find_bwrap() is not None  # DAG import only: the sandbox when it works


def run_startup_step(
    box: Container,
    built: BuiltEnv,
    layout: Layout,
    release: Any,
    startup_mode: str,
    timeout: float,
    network: bool,
    progress: Progress,
) -> tuple[startup.StartupResult | None, list[Finding], float]:
    """MWAA's first step: the startup script, in ``box``; (result, findings, seconds)."""
    if layout.startup is None:
        return None, [], 0.0
    file = layout.rel(layout.startup)
    if startup_mode == "skip":
        skipped = Finding(
            code="startup-skipped",
            severity=Severity.INFO,
            subject=file,
            message=f"`{file}` was not run (`--no-startup`): what it exports did not reach "
            "the DAG import.",
            file=file,
        )
        return None, [skipped], 0.0
    where = "in the sandbox" if box.sandboxed else "ON THIS MACHINE (--unsafe-host-startup)"
    progress(f"Running {file} with bash {where} (MWAA's limit: 5 minutes)")
    started = time.perf_counter()
    result = startup.run_startup(box, built.bin, release.version, timeout, network=network)
    from taxiway.runner.shims import requirement_names

    findings = startup.startup_findings(
        result,
        file,
        timeout,
        release.airflow_major,
        release.base_os,
        frozenset(requirement_names(layout.requirements)),
    )
    return result, findings, time.perf_counter() - started


def once(findings: list[Finding], doctor: list[Finding]) -> list[Finding]:
    """Drop what the doctor already reported with a line number: a reserved variable the
    script exported (``reserved-env-var``) is reported once."""
    reserved = {f.subject for f in doctor if f.code == "reserved-env-var"}
    return [
        f for f in findings if not (f.code == "startup-reserved-variable" and f.subject in reserved)
    ]


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
    startup_mode: str = "sandbox",
    startup_network: bool = False,
    dag_file: Path | None = None,
    dag_id: str | None = None,
    partial: bool = True,
) -> LocalReport:
    """Run every local check of ``project_dir`` against MWAA ``mwaa_version``, in MWAA's order.

    The startup script runs first, in the sandbox unless ``startup_mode`` says ``host``
    (``--unsafe-host-startup``) or ``skip`` (``--no-startup``); ``startup_network`` gives it
    the network. Its exports (minus MWAA's reserved ones) and ``variables`` (``--variables``,
    as ``AIRFLOW_VAR_*``) reach the plugin and DAG import. ``dag_file`` (a file of the DAG
    folder) or ``dag_id`` limit the import report to one DAG. Static doctor findings about
    imports are dropped for files the real DagBag imported. With ``partial``, requirements
    lines that do not install are reported and left out, and the rest is imported anyway.
    """
    t0 = time.perf_counter()
    release = mwaa.release(mwaa_version)
    layout = layout or find_layout(project_dir)
    if dag_file is not None:
        dag_file = check_dag_file(layout, dag_file)
    sandboxed = sandbox_wanted(layout, startup_mode)
    layout, spec, built, findings, timings = prepare(
        project_dir, mwaa_version, python, cache, rebuild, progress, layout, partial
    )
    report = LocalReport(mwaa_version, findings, interpreter=spec.interpreter, timings=timings)
    doctor = doctor_findings(layout, mwaa_version) if with_doctor else []
    report.findings += doctor
    requirements = layout.rel(layout.requirements) if layout.requirements else "requirements.txt"
    if isinstance(built, InstallFailure):
        report.findings.append(install_failure_finding(built, spec, requirements))
        report.timings["total"] = time.perf_counter() - t0
        return report
    report.env = built
    if built.partial is not None:
        left = built.partial.left_out
        report.findings.append(
            install_failure_finding(built.partial.failure, spec, requirements, left)
        )
        report.findings.append(partial_finding(left, requirements))
    report.findings.append(environment_finding(built, mwaa_version, spec.python))
    report.sandboxed = sandboxed
    with environment.in_use(built, layout.root), container_for(built, layout, sandboxed) as box:
        report.startup, found, seconds = run_startup_step(
            box, built, layout, release, startup_mode, startup_timeout, startup_network, progress
        )
        report.findings += once(found, doctor)
        if layout.startup is not None and startup_mode != "skip":
            report.timings["startup"] = seconds
        what = layout.rel(dag_file) if dag_file is not None else layout.rel(layout.dags_folder)
        progress(f"Importing {what} with Airflow {mwaa_version}'s DagBag")
        started = time.perf_counter()
        report.imports = check_imports(
            built,
            layout,
            slow_seconds,
            variables,
            box,
            report.startup,
            dag_file,
            release.airflow_major,
        )
        report.timings["imports"] = time.perf_counter() - started
    if dag_id is not None:
        select_dag(report, layout, dag_id)
    elif dag_file is not None:
        keep_file(report, layout, layout.rel(dag_file))
    report.findings = verified_by_dagbag(report.findings, report.imports)
    report.findings += report.imports.findings
    report.timings["total"] = time.perf_counter() - t0
    return report


def environment_finding(built: BuiltEnv, mwaa_version: str, python: str) -> Finding:
    """``environment-reused`` or ``environment-built``: where and how long, and which of
    the image's built-ins could not be installed on this machine."""
    missing = built.image_missing()
    if missing:
        return Finding(
            code="image-incomplete",
            severity=Severity.WARNING,
            subject=f"mwaa {mwaa_version} / python {python}",
            message=f"The environment {built.root} lacks {len(missing)} of MWAA "
            f"{mwaa_version}'s built-in packages, which did not install here: "
            f"{', '.join(missing)}. A DAG importing them fails here and not on MWAA.",
            hint="Install what they need to build (e.g. PostgreSQL's pg_config for "
            "psycopg2), then run with `--rebuild`.",
        )
    return Finding(
        code="environment-reused" if built.cached else "environment-built",
        severity=Severity.INFO,
        subject=f"mwaa {mwaa_version} / python {python}",
        message=(
            f"Reused the cached environment {built.root}."
            if built.cached
            else f"Built the environment {built.root} in {built.seconds:.1f} s."
        ),
        hint="`--rebuild` ignores the cache." if built.cached else "",
    )
