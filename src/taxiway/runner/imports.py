"""Import DAGs and plugins inside the built environment and turn the result into findings.

The import runs in a subprocess with the environment's own interpreter (``_probe.py``):
Airflow's DagBag parses the folder exactly as MWAA's DAG processor does, honouring
``.airflowignore`` and safe mode, and the plugin manager loads the plugins folder (a
``plugins.zip`` is unpacked first, as MWAA unpacks it into ``/usr/local/airflow/plugins``).
The parsing of the probe's JSON into findings is pure, so it is unit-tested without Airflow.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway.errors import ToolchainError
from taxiway.findings import Finding, Severity
from taxiway.runner.sandbox import Container, setup_error

PROBE = Path(__file__).with_name("_probe.py")
RESULT_MARKER = "TAXIWAY-PROBE-RESULT:"
TRACEBACK_TAIL = 6
_LINE_IN_FILE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


@dataclass(frozen=True)
class FileStat:
    """One DAG file's parse: seconds, DAG and task counts."""

    file: str
    seconds: float
    dags: int
    tasks: int


@dataclass
class ImportReport:
    """What the probe saw; ``findings`` are ready to print."""

    files: list[FileStat] = field(default_factory=list)
    dag_ids: list[str] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)
    airflow_import_seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files (relative to dags) that failed
    dags_rel: str = ""  # the dags folder relative to the project root
    modules: frozenset[str] = frozenset()  # top-level import names installed in the env
    dag_files: dict[str, str] = field(default_factory=dict)  # DAG id -> its file (dags-relative)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [vars(f) for f in self.files],
            "dag_ids": self.dag_ids,
            "plugins": self.plugins,
            "airflow_import_seconds": round(self.airflow_import_seconds, 3),
        }


def traceback_tail(text: str, lines: int = TRACEBACK_TAIL) -> str:
    """The last ``lines`` non-empty lines of a traceback: where it failed and why."""
    kept = [ln.rstrip() for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(kept[-lines:])


def error_line(traceback: str, file: str) -> int | None:
    """The line in ``file`` where the traceback points, the deepest frame in that file."""
    line = None
    for m in _LINE_IN_FILE.finditer(traceback):
        if m.group("file").replace("\\", "/").endswith("/" + file) or m.group("file") == file:
            line = int(m.group("line"))
    return line


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "unknown error"


def dag_findings(
    result: dict[str, Any], dags_rel: str, slow_seconds: float
) -> tuple[list[FileStat], list[Finding]]:
    """Per-file import errors (error), slow files (warning) and a summary (info)."""
    files = [
        FileStat(str(f["file"]), float(f["seconds"]), int(f["dags"]), int(f["tasks"]))
        for f in result.get("files", [])
    ]
    files.sort(key=lambda f: f.file)
    findings: list[Finding] = []
    errors: dict[str, str] = result.get("import_errors", {})
    prefix = "" if dags_rel in ("", ".") else dags_rel.rstrip("/") + "/"
    for file, text in sorted(errors.items()):
        findings.append(
            Finding(
                code="dag-import-error",
                severity=Severity.ERROR,
                subject=file,
                message=f"`{file}` fails to import in Airflow's DagBag: {_last_line(text)}\n"
                + traceback_tail(text),
                hint="Fix the error shown (a missing requirement goes into requirements.txt; "
                "a syntax error is reported at the line given).",
                file=prefix + file,
                line=error_line(text, file),
            )
        )
    for stat in files:
        if stat.seconds > slow_seconds and stat.file not in errors:
            findings.append(
                Finding(
                    code="dag-parse-slow",
                    severity=Severity.WARNING,
                    subject=stat.file,
                    message=f"`{stat.file}` takes {stat.seconds:.2f} s to parse "
                    f"(limit {slow_seconds:.2f} s); the scheduler re-parses it every cycle.",
                    hint="Move heavy imports and any I/O into the task callables.",
                    file=prefix + stat.file,
                )
            )
    findings.append(summary_finding(files, len(errors), dags_rel))
    return files, findings


def summary_finding(files: list[FileStat], errors: int, subject: str) -> Finding:
    """``dags-imported``: files, DAGs, tasks, import errors and the total parse time."""
    total = sum(f.seconds for f in files)
    return Finding(
        code="dags-imported",
        severity=Severity.INFO,
        subject=subject or ".",
        message=f"{len(files)} file(s) parsed in {total:.2f} s: "
        f"{sum(f.dags for f in files)} DAG(s), {sum(f.tasks for f in files)} task(s), "
        f"{errors} import error(s).",
        hint="",
    )


def plugin_findings(result: dict[str, Any], plugins_rel: str) -> tuple[list[str], list[Finding]]:
    """Plugin import errors (error) and the plugins that loaded (info)."""
    findings: list[Finding] = []
    root_marker = "/" + plugins_rel.strip("/").split("/")[-1] + "/" if plugins_rel else ""
    for source, text in sorted(result.get("import_errors", {}).items()):
        name = source.split("/")[-1]
        file = None
        if root_marker and root_marker in source:
            file = plugins_rel.rstrip("/") + "/" + source.split(root_marker, 1)[1]
        findings.append(
            Finding(
                code="plugin-import-error",
                severity=Severity.ERROR,
                subject=name,
                message=f"Airflow's plugin manager cannot load `{name}`: {_last_line(text)}",
                hint="Every Airflow component loads plugins at start-up; a failing plugin "
                "breaks the scheduler and workers on MWAA. Fix the import or add the "
                "missing package to requirements.txt.",
                file=file,
            )
        )
    plugins: list[str] = sorted(result.get("plugins", []))
    findings.append(
        Finding(
            code="plugins-loaded",
            severity=Severity.INFO,
            subject=plugins_rel or "plugins",
            message=f"{len(plugins)} plugin(s) loaded"
            + (f": {', '.join(plugins)}" if plugins else "")
            + ".",
        )
    )
    return plugins, findings


def parse_output(stdout: str) -> dict[str, Any] | None:
    """The probe's JSON result (the last marker line), or None if it never printed one."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            data: dict[str, Any] = json.loads(line[len(RESULT_MARKER) :])
            return data
    return None


def unpack_plugins(plugins: Path, scratch: Path) -> Path:
    """A folder to load plugins from: the folder itself, or ``plugins.zip`` unpacked."""
    if plugins.is_dir():
        return plugins
    target = scratch / "plugins"
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(plugins) as zf:
        zf.extractall(target)
    return target


def run_probe(
    python: Path,
    mode: str,
    args: list[str],
    env: dict[str, str],
    timeout: float,
    box: Container | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """Run ``_probe.py`` with the environment's interpreter; (result, stderr tail).

    In ``box`` (the run's container) when given: the DAG files' code runs there.
    """
    command = [str(python), str(PROBE), mode, *args]
    try:
        out = subprocess.run(
            box.argv(command, network=True) if box is not None else command,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=box.home if box is not None else None,
        )
    except subprocess.TimeoutExpired:
        return None, f"the {mode} import did not finish within {timeout:.0f} s"
    except OSError as exc:
        raise ToolchainError(f"Cannot run `{python}`: {exc}; rebuild with `--rebuild`.") from exc
    if box is not None and box.sandboxed and (failure := setup_error(out.stderr)):
        raise ToolchainError(f"The sandbox for the DAG import did not start: {failure}")
    return parse_output(out.stdout), traceback_tail(out.stderr, 15)
