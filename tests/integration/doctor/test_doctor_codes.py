"""Every finding code documented in docs/doctor.md is produced by a fixture project."""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

from taxiway import mwaa
from taxiway.doctor import check_project
from taxiway.doctor.reqcheck import check_requirements
from taxiway.doctor.requirements import parse_requirements
from taxiway.doctor.selection import CODES

REPO = Path(__file__).resolve().parents[3]
NEEDS_NETWORK = {"resolve-failed", "resolved"}  # covered by test_doctor_resolve.py


def documented_codes() -> set[str]:
    text = (REPO / "docs" / "doctor.md").read_text()
    section = text.split("## Finding codes", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.M))


def test_every_documented_code_has_a_fixture(projects: Path, tmp_path: Path) -> None:
    seen: set[str] = set()
    for case, version in [
        ("clean", "3.3.1"),
        ("legacy_2_1_2", "2.0.2"),
        ("mwaa_2_10_3", "3.3.1"),
        ("dags_findings", "3.3.1"),
        ("plugins_folder", "3.3.1"),
        ("startup_bad", "3.3.1"),
        ("airflow110_on_2", "2.11.2"),
        ("target_grammar", "3.3.1"),
        ("one_cause", "3.3.1"),
    ]:
        findings = check_project(projects / case, version)
        if case == "clean":
            assert [f.code for f in findings] == ["layout"]
        seen |= {f.code for f in findings}
    corpus = projects.parent / "mwaa_projects"
    for case in sorted(p for p in corpus.iterdir() if p.is_dir()):
        spec = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        seen |= {f.code for f in check_project(case, spec["mwaa"])}
    parsed = parse_requirements(projects / "requirements_syntax" / "requirements.txt")
    seen |= {f.code for f in check_requirements(parsed, mwaa.release("3.3.1"))}
    # a pip freeze of Airflow 2.6.3; Airflow 3's runtime removals
    parsed = parse_requirements(projects.parent / "doctor_other_version" / "requirements.txt")
    seen |= {f.code for f in check_requirements(parsed, mwaa.release("2.10.3"))}
    seen |= {f.code for f in check_project(projects.parent / "doctor_af3_runtime", "3.0.6")}
    # a project whose plugins.zip has an extra top folder
    (tmp_path / "dags").mkdir()
    with zipfile.ZipFile(tmp_path / "plugins.zip", "w") as zf:
        for path in (projects / "plugins_zip_src").rglob("*.py"):
            zf.write(path, path.relative_to(projects / "plugins_zip_src").as_posix())
    seen |= {f.code for f in check_project(tmp_path, "3.3.1")}
    codes = documented_codes()
    assert len(codes) == 32
    assert codes == CODES  # --select/--ignore accept exactly the documented codes
    # `parse-skipped` needs a host Python older than the target's (3.12) to happen at all
    host_only = {"parse-skipped"} if sys.version_info >= (3, 12) else set()
    assert codes - NEEDS_NETWORK - host_only == seen - NEEDS_NETWORK, codes ^ seen
