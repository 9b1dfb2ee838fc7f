"""Check one project on one side of the move: the doctor, then (unless static) the import test.

An MWAA side is ``taxiway local test`` itself (:func:`taxiway.runner.check.local_test`).
A non-MWAA Airflow side runs the same runner steps in the same order (environment, startup
script, DAG and plugin import, the doctor's findings checked against the DagBag) on the
side's :class:`~taxiway.mwaa.MwaaRelease`, which ``local_test`` cannot take: it looks the
version up in MWAA's data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from taxiway.findings import Finding, Severity
from taxiway.runner.progress import Progress, quiet
from taxiway.runner.project import Layout
from taxiway.upgrade.sides import Side

if TYPE_CHECKING:
    from taxiway.runner.environment import BuiltEnv
    from taxiway.runner.imports import ImportReport


@dataclass
class SideResult:
    """What one side saw: all findings, and the import and install facts the table needs."""

    side: Side
    findings: list[Finding] = field(default_factory=list)
    imported: bool = False  # the import test ran (not static, and the environment built)
    dag_files: dict[str, int] = field(default_factory=dict)  # dags-relative file -> DAG count
    dag_errors: dict[str, str] = field(default_factory=dict)  # dags-relative file -> error
    left_out: dict[int, str] = field(default_factory=dict)  # requirements line -> text
    install_failed: str | None = None  # "airflow" | "requirements": nothing was imported
    dags_rel: str = "dags"  # the dags folder relative to the project
    seconds: float = 0.0


def check_side(
    project: Path,
    layout: Layout,
    side: Side,
    static: bool = False,
    python: str | None = None,
    cache: Path | None = None,
    progress: Progress = quiet,
    startup_mode: str = "sandbox",
) -> SideResult:
    """The doctor (always) and the import test (unless ``static``) of ``project`` on ``side``."""
    from taxiway.doctor.project import check_layout

    started = time.perf_counter()
    result = SideResult(side, dags_rel=layout.rel(layout.dags_folder))
    if static:
        result.findings = check_layout(layout, side.release)
        result.seconds = time.perf_counter() - started
        return result
    if side.mwaa:
        from taxiway.runner.check import local_test

        report = local_test(
            project,
            side.version,
            python=python,
            cache=cache,
            progress=progress,
            layout=layout,
            startup_mode=startup_mode,
        )
        findings, imports, env = report.findings, report.imports, report.env
    else:
        findings, imports, env = _airflow_test(layout, side, python, cache, progress, startup_mode)
    result.findings = findings
    if env is None:
        failed = [f for f in findings if f.code.startswith("install-failed")]
        result.install_failed = "requirements" if any(f.file for f in failed) else "airflow"
    else:
        if env.partial is not None:
            result.left_out = dict(env.partial.left_out)
    if imports is not None:
        result.imported = True
        errors = {
            f.subject: f.message.splitlines()[0] for f in findings if f.code == "dag-import-error"
        }
        result.dag_errors = errors
        result.dag_files = {s.file: s.dags for s in imports.files if s.file not in errors}
        for name in imports.errors:
            result.dag_errors.setdefault(name, "fails to import")
    result.seconds = time.perf_counter() - started
    return result


def _airflow_test(
    layout: Layout,
    side: Side,
    python: str | None,
    cache: Path | None,
    progress: Progress,
    startup_mode: str,
) -> tuple[list[Finding], ImportReport | None, BuiltEnv | None]:
    """``local test``'s steps on a release that is not in MWAA's data (see the module doc)."""
    from taxiway.doctor.project import check_layout
    from taxiway.runner import check, environment, interpreters, startup, target
    from taxiway.runner.environment import InstallFailure

    release = side.release
    sandboxed = check.sandbox_wanted(layout, startup_mode)
    memo = (cache or target.cache_root()) / "interpreters.json"
    interp, exact = interpreters.find(release.python, python, memo)
    findings: list[Finding] = []
    if not exact:
        findings.append(_mismatch(release.version, release.python, interp.version))
    spec = target.env_spec(
        release, interp.version, interp.path, layout.requirements, layout.plugins
    )
    built = environment.ensure(spec, cache or target.cache_root(), False, progress, True)
    doctor = check_layout(layout, release)
    findings += doctor
    requirements = layout.rel(layout.requirements) if layout.requirements else "requirements.txt"
    if isinstance(built, InstallFailure):
        findings.append(check.install_failure_finding(built, spec, requirements))
        return findings, None, None
    if built.partial is not None:
        left = built.partial.left_out
        findings.append(
            check.install_failure_finding(built.partial.failure, spec, requirements, left)
        )
        findings.append(check.partial_finding(left, requirements))
    with (
        environment.in_use(built, layout.root),
        check.container_for(built, layout, sandboxed) as box,
    ):
        exports, found, _ = check.run_startup_step(
            box, built, layout, release, startup_mode, startup.MWAA_TIMEOUT_SECONDS, False, progress
        )
        findings += check.once(found, doctor)
        progress(
            f"Importing {layout.rel(layout.dags_folder)} with Airflow {release.version}'s DagBag"
        )
        imports = check.check_imports(
            built,
            layout,
            variables=None,
            box=box,
            exports=exports,
            airflow_major=release.airflow_major,
        )
    findings = check.verified_by_dagbag(findings, imports) + imports.findings
    return findings, imports, built


def _mismatch(version: str, wanted: str, found: str) -> Finding:
    return Finding(
        code="python-mismatch",
        severity=Severity.WARNING,
        subject=f"python {found}",
        message=f"Airflow {version} is checked on Python {wanted}, which was not found here; "
        f"using Python {found} instead.",
        hint=f"Install Python {wanted} (`uv python install {wanted}`) or pass `--python`.",
    )
