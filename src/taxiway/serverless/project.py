"""``taxiway convert serverless PROJECT``: describe, convert, write, load back, compare.

1. The engine (:mod:`taxiway.serverless.engine`) builds every DAG of the project's dags
   folder with Airflow's DagBag, in the sandbox, and describes it.
2. :mod:`taxiway.serverless.convert` turns each description into a workflow definition or
   a refusal naming why, with every change.
3. The definitions (``<dag_id>.yaml``), the code package (``code.zip``) and the report
   (``convert-report.json``) are written to the output folder.
4. The definitions are loaded back with dag-factory in the engine, with the code package
   unpacked beside them as Serverless unpacks it, and each workflow's tasks and
   dependencies are compared with its Python DAG's: a definition that loads differently is
   reported as not valid.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.runner.progress import Progress, quiet
from taxiway.serverless.convert import Converted, code_files, convert_dags, dumps, graph, zip_bytes

REPORT = "convert-report.json"
CODE = "code.zip"


@dataclass
class Validation:
    """The round trip of one definition: loaded by dag-factory, same graph or not."""

    loaded: bool
    same_graph: bool
    tasks: int
    dependencies: int
    error: str | None = None
    differences: list[str] = field(default_factory=list)


@dataclass
class ConvertReport:
    project: Path
    output: Path
    results: list[Converted]
    import_errors: dict[str, str]
    validation: dict[str, Validation]
    files: list[str]
    graphs: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def converted(self) -> list[Converted]:
        return [r for r in self.results if r.ok]

    @property
    def valid(self) -> bool:
        return all(v.loaded and v.same_graph for v in self.validation.values())

    def findings(self) -> list[Finding]:
        """The report as findings: refusals, import errors and definitions that load
        differently are errors; dropped parameters warnings; rewrites info."""
        out = []
        severity = {"dropped": Severity.WARNING, "rewritten": Severity.INFO, "kept": Severity.INFO}
        for r in self.results:
            for reason in r.refused:
                out.append(
                    Finding(
                        "convert-refused",
                        Severity.ERROR,
                        r.dag_id,
                        f"DAG `{r.dag_id}` is not converted: {reason}.",
                        "`taxiway doctor project --target mwaa-serverless` says what to change.",
                        r.file,
                    )
                )
            v = self.validation.get(r.dag_id)
            if v is not None and not (v.loaded and v.same_graph):
                why = v.error or "; ".join(v.differences)
                out.append(
                    Finding(
                        "convert-invalid",
                        Severity.ERROR,
                        r.dag_id,
                        f"`{r.dag_id}.yaml` does not load back as the DAG it came from: {why}",
                        "Report it with the DAG file: the conversion is wrong.",
                        r.file,
                    )
                )
            for c in r.changes:
                out.append(
                    Finding(
                        f"convert-{c.kind}",
                        severity[c.kind],
                        f"{r.dag_id}:{c.subject}",
                        f"DAG `{r.dag_id}`: {c.message}.",
                        "",
                        r.file,
                    )
                )
        for file, error in self.import_errors.items():
            last = error.strip().splitlines()[-1] if error.strip() else "unknown error"
            out.append(
                Finding(
                    "convert-import-error",
                    Severity.ERROR,
                    file,
                    f"`{file}` does not import on Airflow 3.0 (what Serverless runs): {last}",
                    "`taxiway doctor project --mwaa 3.0.6` names the Airflow 3 fixes.",
                    file,
                )
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        dags = []
        for r in self.results:
            item = r.to_dict()
            item["graph"] = self.graphs.get(r.dag_id, {})
            v = self.validation.get(r.dag_id)
            if v is not None:
                item["validation"] = vars(v)
                item["sha256"] = _sha(self.output / f"{r.dag_id}.yaml")
            dags.append(item)
        return {
            "project": str(self.project),
            "output": str(self.output),
            "dags": dags,
            "converted": len(self.converted),
            "refused": len(self.results) - len(self.converted),
            "import_errors": self.import_errors,
            "files": self.files,
            "code_sha256": _sha(self.output / CODE),
        }


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _compare(want: dict[str, list[str]], loaded: dict[str, Any] | None) -> Validation:
    deps = sum(len(v) for v in want.values())
    if loaded is None:
        return Validation(False, False, len(want), deps, "dag-factory built no such workflow")
    got = graph(loaded)
    diff = [f"task `{t}` missing" for t in sorted(set(want) - set(got))]
    diff += [f"task `{t}` added" for t in sorted(set(got) - set(want))]
    diff += [
        f"task `{t}`: upstream {got[t]} instead of {want[t]}"
        for t in sorted(set(want) & set(got))
        if want[t] != got[t]
    ]
    return Validation(True, not diff, len(want), deps, None, diff)


def convert_project(
    project: Path,
    output: Path,
    cache: Path | None = None,
    progress: Progress = quiet,
    dags: Path | None = None,
) -> ConvertReport:
    """Convert every DAG of ``project`` into ``output`` (see the module docstring)."""
    from taxiway.doctor.project import find_layout
    from taxiway.serverless.engine import engine

    layout = find_layout(project, dags=dags)
    if layout.dags is None:
        raise UsageError(f"`{project}` has no dags/ folder; pass --dags.")
    progress(f"Building the DAGs of {layout.rel(layout.dags)} in the Serverless engine")
    with engine(layout.dags, cache, progress) as eng:
        description = eng.call("describe")
    if "error" in description:
        raise UsageError(f"The DAG folder could not be read: {description['error']}")
    results = convert_dags(description)
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("*.yaml"):
        stale.unlink()  # a DAG renamed or now refused leaves no old definition behind
    written: list[str] = []
    for r in results:
        if r.definition is not None:
            (output / f"{r.dag_id}.yaml").write_text(dumps(r.definition), encoding="utf-8")
            written.append(f"{r.dag_id}.yaml")
    files = code_files(layout.dags, results)
    if any(r.ok for r in results):
        (output / CODE).write_bytes(zip_bytes(files))
        written.append(CODE)
    validation = _validate(output, files, description, results, cache, progress)
    graphs = {dag_id: graph(dag) for dag_id, dag in description["dags"].items()}
    report = ConvertReport(
        project,
        output,
        results,
        dict(description.get("import_errors", {})),
        validation,
        written,
        graphs,
    )
    (output / REPORT).write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
    return report


def _validate(
    output: Path,
    files: dict[str, bytes],
    description: dict[str, Any],
    results: list[Converted],
    cache: Path | None,
    progress: Progress,
) -> dict[str, Validation]:
    from taxiway.serverless.engine import engine

    if not any(r.ok for r in results):
        return {}
    progress("Loading the definitions back with dag-factory")
    with tempfile.TemporaryDirectory(prefix="taxiway-serverless-check-") as tmp:
        stage = Path(tmp) / "dags"
        stage.mkdir()
        for name, data in files.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_bytes(data)
        for r in results:
            if r.ok:
                shutil.copy(output / f"{r.dag_id}.yaml", stage / f"{r.dag_id}.yaml")
        with engine(stage, cache, progress) as eng:
            loaded = eng.call("load")
    if "error" in loaded:
        return {
            r.dag_id: Validation(False, False, 0, 0, str(loaded["error"])) for r in results if r.ok
        }
    out = {}
    for r in results:
        if not r.ok:
            continue
        v = _compare(graph(description["dags"][r.dag_id]), loaded["dags"].get(r.dag_id))
        if v.error and loaded["errors"].get(f"{r.dag_id}.yaml"):
            v.error = loaded["errors"][f"{r.dag_id}.yaml"]
        out[r.dag_id] = v
    return out


def _load_back(
    folder: Path, dag_ids: list[str], cache: Path | None, progress: Progress
) -> dict[str, Any]:
    """The engine's ``load`` of ``dag_ids``' YAML with ``folder``'s code package beside."""
    import zipfile

    from taxiway.serverless.engine import engine

    with tempfile.TemporaryDirectory(prefix="taxiway-serverless-check-") as tmp:
        stage = Path(tmp) / "dags"
        stage.mkdir()
        if (folder / CODE).is_file():
            with zipfile.ZipFile(folder / CODE) as zf:
                zf.extractall(stage)
        for dag_id in dag_ids:
            shutil.copy(folder / f"{dag_id}.yaml", stage / f"{dag_id}.yaml")
        progress(f"Loading {len(dag_ids)} edited definition(s) back with dag-factory")
        with engine(stage, cache, progress) as eng:
            return eng.call("load")


def reviewed(folder: Path, cache: Path | None = None, progress: Progress = quiet) -> dict[str, Any]:
    """A ``convert serverless`` output folder, ready to deploy: its report, each DAG's
    validation current. A definition or code package edited since the conversion is loaded
    back with dag-factory again and compared with the Python DAG's graph in the report."""
    path = folder / REPORT
    if not path.is_file():
        raise UsageError(f"`{folder}` has no {REPORT}; run `taxiway convert serverless` first.")
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    code_edited = _sha(folder / CODE) != report.get("code_sha256")
    stale = []
    for dag in report["dags"]:
        if not dag["converted"]:
            continue
        if not (folder / f"{dag['dag_id']}.yaml").is_file():
            raise UsageError(f"`{folder}` lost `{dag['dag_id']}.yaml`; convert again.")
        if code_edited or _sha(folder / f"{dag['dag_id']}.yaml") != dag.get("sha256"):
            stale.append(dag)
    if stale:
        loaded = _load_back(folder, [d["dag_id"] for d in stale], cache, progress)
        for dag in stale:
            if "error" in loaded:
                v = Validation(False, False, 0, 0, str(loaded["error"]))
            else:
                v = _compare(dag["graph"], loaded["dags"].get(dag["dag_id"]))
                v.error = v.error and loaded["errors"].get(f"{dag['dag_id']}.yaml", v.error)
            dag["validation"] = vars(v)
    return report
