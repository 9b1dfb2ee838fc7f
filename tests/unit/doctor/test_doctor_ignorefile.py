""".airflowignore: regexp (Airflow 2) and glob (Airflow 3) syntax."""

from __future__ import annotations

from pathlib import Path

from taxiway.doctor.ignorefile import IgnoreMatcher


def _tree(root: Path, ignore: str) -> None:
    for rel in ("etl.py", "lib/util.py", "lib/deep/x.py", "team_a/dag_a.py", "team_a/tmp_b.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    (root / ".airflowignore").write_text(ignore)


def _ignored(root: Path, syntax: str) -> set[str]:
    m = IgnoreMatcher(root, syntax)
    return {p.relative_to(root).as_posix() for p in root.rglob("*.py") if m.ignored(p)}


def test_regexp_searches_the_relative_path(tmp_path: Path) -> None:
    _tree(tmp_path, "lib\n^team_a/tmp_.*\n[unclosed\n")
    assert _ignored(tmp_path, "regexp") == {"lib/util.py", "lib/deep/x.py", "team_a/tmp_b.py"}


def test_glob_matches_names_anywhere_and_anchors_paths(tmp_path: Path) -> None:
    _tree(tmp_path, "# comment\nlib/\nteam_a/tmp_*.py\n")
    assert _ignored(tmp_path, "glob") == {"lib/util.py", "lib/deep/x.py", "team_a/tmp_b.py"}


def test_glob_negation_and_double_star(tmp_path: Path) -> None:
    _tree(tmp_path, "**/*.py\n!etl.py\n")
    ignored = _ignored(tmp_path, "glob")
    assert "etl.py" not in ignored
    assert {"lib/util.py", "team_a/dag_a.py"} <= ignored


def test_nested_ignore_file_applies_below_its_folder(tmp_path: Path) -> None:
    _tree(tmp_path, "")
    (tmp_path / "team_a" / ".airflowignore").write_text("tmp_.*\n")
    assert _ignored(tmp_path, "regexp") == {"team_a/tmp_b.py"}
