"""Probe results (what _probe.py prints inside the environment) -> findings."""

from __future__ import annotations

import json

from taxiway.findings import Severity
from taxiway.runner import imports

SYNTAX_TB = (
    "Traceback (most recent call last):\n"
    '  File "<frozen importlib._bootstrap>", line 488, in _call_with_frames_removed\n'
    '  File "/p/dags/syntax_error.py", line 6\n'
    "    def broken(:\n"
    "               ^\n"
    "SyntaxError: invalid syntax\n"
)
IMPORT_TB = (
    "Traceback (most recent call last):\n"
    '  File "/p/dags/broken_import.py", line 6, in <module>\n'
    "    import not_installed_anywhere\n"
    '  File "/p/dags/helpers/x.py", line 2, in <module>\n'
    "ModuleNotFoundError: No module named 'not_installed_anywhere'\n"
)
RESULT = {
    "ok": True,
    "files": [
        {"file": "good.py", "seconds": 0.1, "dags": 1, "tasks": 2},
        {"file": "slow.py", "seconds": 3.5, "dags": 2, "tasks": 7},
        {"file": "syntax_error.py", "seconds": 0.001, "dags": 0, "tasks": 0},
        {"file": "broken_import.py", "seconds": 0.7, "dags": 0, "tasks": 0},
    ],
    "import_errors": {"syntax_error.py": SYNTAX_TB, "broken_import.py": IMPORT_TB},
    "dag_ids": ["good", "s1", "s2"],
}


def test_dag_findings_give_one_error_per_broken_file_with_its_line() -> None:
    files, findings = imports.dag_findings(RESULT, "dags", slow_seconds=2.0)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert [(f.code, f.file, f.line) for f in errors] == [
        ("dag-import-error", "dags/broken_import.py", 6),
        ("dag-import-error", "dags/syntax_error.py", 6),
    ]
    assert "No module named 'not_installed_anywhere'" in errors[0].message
    assert "SyntaxError: invalid syntax" in errors[1].message
    assert [f.file for f in files] == ["broken_import.py", "good.py", "slow.py", "syntax_error.py"]


def test_slow_files_warn_and_summary_counts() -> None:
    _, findings = imports.dag_findings(RESULT, "dags", slow_seconds=2.0)
    slow = [f for f in findings if f.code == "dag-parse-slow"]
    assert [(f.subject, f.severity) for f in slow] == [("slow.py", Severity.WARNING)]
    assert "3.50 s" in slow[0].message
    (summary,) = [f for f in findings if f.code == "dags-imported"]
    assert "4 file(s)" in summary.message
    assert "3 DAG(s), 9 task(s), 2 import error(s)" in summary.message


def test_dags_at_project_root_keep_bare_file_names() -> None:
    _, findings = imports.dag_findings(RESULT, ".", slow_seconds=10)
    assert {f.file for f in findings if f.code == "dag-import-error"} == {
        "broken_import.py",
        "syntax_error.py",
    }


def test_traceback_tail_keeps_the_last_lines() -> None:
    tail = imports.traceback_tail(IMPORT_TB, 2)
    assert tail.splitlines() == [
        '  File "/p/dags/helpers/x.py", line 2, in <module>',
        "ModuleNotFoundError: No module named 'not_installed_anywhere'",
    ]


def test_error_line_is_the_deepest_frame_in_that_file() -> None:
    assert imports.error_line(IMPORT_TB, "broken_import.py") == 6
    assert imports.error_line(IMPORT_TB, "other.py") is None


def test_plugin_findings() -> None:
    result = {
        "ok": True,
        "plugins": ["fine_plugin"],
        "import_errors": {"/tmp/x/plugins/sub/broken.py": "No module named 'nope'"},
    }
    plugins, findings = imports.plugin_findings(result, "plugins")
    assert plugins == ["fine_plugin"]
    (err,) = [f for f in findings if f.severity is Severity.ERROR]
    assert (err.code, err.subject, err.file) == (
        "plugin-import-error",
        "broken.py",
        "plugins/sub/broken.py",
    )
    assert "No module named 'nope'" in err.message
    (info,) = [f for f in findings if f.code == "plugins-loaded"]
    assert info.message == "1 plugin(s) loaded: fine_plugin."


def test_parse_output_takes_the_last_marker_line() -> None:
    out = "noise\n" + imports.RESULT_MARKER + json.dumps({"a": 1}) + "\nmore noise\n"
    assert imports.parse_output(out) == {"a": 1}
    assert imports.parse_output("no marker here\n") is None
