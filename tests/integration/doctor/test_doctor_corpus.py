"""Precision and recall of the doctor over real-world-shaped MWAA projects.

Each folder of ``tests/fixtures/mwaa_projects/`` is a project modelled on public MWAA
layouts and habits (the local runner's tree, dag-factory loaders, Glue/Athena pipelines
with a shared config module, Snowflake, Livy) with an ``expected.json`` listing every error
and warning the doctor must report, as (code, file, line). A reported finding not listed is
a false alarm; a listed one not reported is a miss. Info findings are not scored.
"""

from __future__ import annotations

import json
from pathlib import Path

from taxiway import mwaa
from taxiway.doctor.project import check_layout, find_layout
from taxiway.findings import Severity

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mwaa_projects"
Key = tuple[str, str, str | None, int | None]


def _runs() -> list[tuple[str, Path, str, dict[str, str], list[dict[str, object]]]]:
    """(label, project, version, explicit paths, expected findings) for every scored run."""
    runs = []
    for case in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        spec = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        runs.append((case.name, case, spec["mwaa"], {}, spec["findings"]))
        if "explicit" in spec:
            extra = spec["explicit"]
            runs.append((f"{case.name}+args", case, spec["mwaa"], extra["args"], extra["findings"]))
    return runs


def _reported(project: Path, version: str, args: dict[str, str], label: str) -> set[Key]:
    paths = {k: project / v for k, v in args.items()}
    layout = find_layout(project, **paths)
    findings = check_layout(layout, mwaa.release(version))
    return {
        (label, f.code, f.file, f.line)
        for f in findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    }


def test_doctor_precision_and_recall_are_100_percent_on_the_corpus() -> None:
    runs = _runs()
    assert len(runs) >= 8, "the corpus lost cases"
    expected: set[Key] = set()
    reported: set[Key] = set()
    for label, project, version, args, wanted in runs:
        expected |= {(label, str(w["code"]), w["file"], w["line"]) for w in wanted}  # type: ignore[misc]
        reported |= _reported(project, version, args, label)
    true_positive = expected & reported
    precision = len(true_positive) / len(reported) if reported else 1.0
    recall = len(true_positive) / len(expected) if expected else 1.0
    false_alarms = sorted(reported - expected, key=str)
    misses = sorted(expected - reported, key=str)
    assert len(expected) >= 10
    assert (precision, recall) == (1.0, 1.0), (
        f"precision {precision:.2%}, recall {recall:.2%}\n"
        f"false alarms: {false_alarms}\nmisses: {misses}"
    )
