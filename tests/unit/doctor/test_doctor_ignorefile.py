""".airflowignore in regexp (Airflow 2) and glob (Airflow 3) syntax, checked against Airflow.

Every case builds a small dags tree and asks both the doctor and the installed Airflow's own
walk (``find_path_from_directory``) which files survive: they must agree, and the cases then
name the files they expect, after the cases of Airflow's own tests (tests/unit/utils/test_file.py
and tests/unit/dags/.airflowignore_glob: wildcards, ``**``, negation, nested files, character
classes, the no-op ``/``, inline comments, symlinks).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from taxiway.doctor.ignorefile import IgnoreMatcher, kept_files, pattern_lines

FILES = (
    "etl.py",
    "helpers.py",
    "test_invalid_cron.py",
    "test_prev_dagrun_dep.py",
    "test_retry_handling.py",
    "test_on_kill.py",
    "keep_negate_ignore.py",
    "lib/util.py",
    "lib/deep/x.py",
    "subdir1/a.py",
    "subdir1/b_ignore_this.py",
    "subdir2/test_dont_ignore_this.py",
    "subdir2/test_x.py",
    "subdir2/subdir3/test_nested_dag.py",
    "subdir2/subdir3/other_dont_do.py",
    "team_a/dag_a.py",
    "team_a/tmp_b.py",
)


@cache
def _airflow_file_discovery() -> ModuleType:
    """The installed Airflow's own ``file_discovery.py``, loaded by path.

    The module needs only the stdlib and pathspec; loading it by path skips
    ``airflow/__init__`` (configuration, providers), which costs seconds of CPU.
    """
    spec = importlib.util.find_spec("airflow")
    if spec is None or spec.origin is None:
        pytest.fail("These tests compare with Airflow: run `uv sync --all-extras`.")
    path = Path(spec.origin).parent / "_shared" / "module_loading" / "file_discovery.py"
    file_spec = importlib.util.spec_from_file_location("airflow_file_discovery", path)
    assert file_spec is not None and file_spec.loader is not None, path
    module = importlib.util.module_from_spec(file_spec)
    file_spec.loader.exec_module(module)
    return module


def _tree(root: Path, ignores: dict[str, str]) -> Path:
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x = 1\n")
    for folder, text in ignores.items():
        (root / folder / ".airflowignore").write_text(text)
    return root


def _ignored(root: Path, syntax: str) -> set[str]:
    """Files the doctor ignores, after checking that Airflow keeps exactly the others."""
    find = _airflow_file_discovery().find_path_from_directory
    airflow_kept = set(find(root, ".airflowignore", syntax))
    ours = {str(p) for p in kept_files(root, syntax)}
    assert ours == airflow_kept
    matcher = IgnoreMatcher(root, syntax)
    every = [p for p in root.rglob("*") if p.is_file() and p.name != ".airflowignore"]
    ignored = {p.relative_to(root).as_posix() for p in every if matcher.ignored(p)}
    assert ignored == {p.relative_to(root).as_posix() for p in every if str(p) not in ours}
    return ignored


def test_inline_comments_are_cut_in_both_syntaxes() -> None:
    text = "helpers.py  # shared code\n# a comment line\n\n  \t# indented comment\nlib/ #x\n"
    assert pattern_lines(text) == ["helpers.py", "lib/"]


def test_glob_cases_from_airflows_tests(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            ".": (
                "helpers.py  # shared code: an inline comment, not part of the pattern\n"
                "*_invalid_*        # one star, any name at any level\n"
                "**/*_dont_*        # all levels\n"
                "!**/*_negate_ignore.py\n"
                "keep_negate_ignore.py\n"
                "!keep_negate_ignore.py  # a later line wins\n"
                "subdir2/**/test_nested*.py\n"
                "subdir1/*          # anchored: only the top subdir1\n"
                "subdir2*test*      # a star never matches a slash\n"
                "subdir2?test*      # nor does ?\n"
                "test_[pr]*         # character class\n"
                "lib/               # directories only, and everything below\n"
                "/                  # matches nothing\n"
            ),
            "subdir2": "!test_dont*  # re-include what the parent ignored\n",
        },
    )
    assert _ignored(root, "glob") == {
        "helpers.py",
        "test_invalid_cron.py",
        "test_prev_dagrun_dep.py",
        "test_retry_handling.py",
        "lib/util.py",
        "lib/deep/x.py",
        "subdir1/a.py",
        "subdir1/b_ignore_this.py",
        "subdir2/subdir3/test_nested_dag.py",
        "subdir2/subdir3/other_dont_do.py",
    }


def test_glob_dir_only_pattern_does_not_match_a_file(tmp_path: Path) -> None:
    root = _tree(tmp_path, {".": "etl.py/\nteam_a/tmp_*.py\n"})
    assert _ignored(root, "glob") == {"team_a/tmp_b.py"}


def test_regexp_searches_the_path_from_the_top_dags_folder(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            ".": "_invalid_  # Skip invalid files\nsubdir3\n^lib/\n[unclosed\n*_bad_star\n",
            # a nested file's patterns still see paths from the top folder (Airflow's rule)
            "subdir1": "^b_ignore\n^subdir1/a\\.py$\n",
            "team_a": "tmp_.*\n",
        },
    )
    assert _ignored(root, "regexp") == {
        "test_invalid_cron.py",
        "subdir2/subdir3/test_nested_dag.py",
        "subdir2/subdir3/other_dont_do.py",
        "lib/util.py",
        "lib/deep/x.py",
        "subdir1/a.py",
        "team_a/tmp_b.py",
    }


def test_nested_patterns_apply_only_below_their_folder(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"team_a": "*.py\n"})
    assert _ignored(root, "glob") == {"team_a/dag_a.py", "team_a/tmp_b.py"}


@pytest.mark.parametrize("syntax", ["regexp", "glob"])
def test_symlinked_folder_is_judged_by_its_own_name(tmp_path: Path, syntax: str) -> None:
    # Airflow's test_find_path_from_directory_respects_symlinks_*: "folder" is ignored,
    # a symlink to it under another name is walked
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "hello_world.py").write_text("print('hello world')\n")
    (tmp_path / "symlink").symlink_to(tmp_path / "folder")
    (tmp_path / ".airflowignore").write_text("folder\n")
    assert _ignored(tmp_path, syntax) == {"folder/hello_world.py"}
