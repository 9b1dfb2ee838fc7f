"""Files in, files (or a diff) out: the I/O side of ``taxiway migrate livy``."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from taxiway.errors import UsageError
from taxiway.findings import Finding, Severity
from taxiway.migrate.codemod import EmrTarget, TaskChange
from taxiway.migrate.transform import SourceMigration, migrate_source


@dataclass
class MigrationReport:
    """Every file looked at, what changed and what could not be carried over."""

    results: list[SourceMigration] = field(default_factory=list)
    written: bool = False

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    @property
    def tasks(self) -> list[TaskChange]:
        return [t for r in self.results for t in r.tasks]

    @property
    def changed(self) -> list[SourceMigration]:
        return [r for r in self.results if r.changed]

    def diff(self) -> str:
        """A unified diff of every changed file (``git apply``/``patch -p1`` ready)."""
        return "".join(unified_diff(r) for r in self.changed)

    def to_dict(self) -> dict[str, object]:
        """The JSON-friendly summary added to ``--format json`` output."""
        return {
            "files_scanned": len(self.results),
            "files_changed": [r.path for r in self.changed],
            "tasks": [
                {"file": t.file, "line": t.line, "task_id": t.task_id, "dropped": list(t.dropped)}
                for t in self.tasks
            ],
            "written": self.written,
            "diff": self.diff(),
        }


def unified_diff(result: SourceMigration) -> str:
    """The unified diff of one file, ``a/`` and ``b/`` prefixed like git."""
    lines = difflib.unified_diff(
        result.before.splitlines(keepends=True),
        result.after.splitlines(keepends=True),
        # `a//tmp/x.py` (an absolute path) is rejected by `git apply`: drop the root slash.
        fromfile=f"a/{result.path.lstrip('/')}",
        tofile=f"b/{result.path.lstrip('/')}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def python_files(paths: Sequence[Path]) -> list[Path]:
    """The files named plus every ``*.py`` under the folders named (hidden folders skipped)."""
    from taxiway.doctor.files import python_files as below

    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += below(path)
        else:
            raise UsageError(f"`{path}` does not exist; pass DAG files or folders.")
    return list(dict.fromkeys(found))


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it, in POSIX form."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def migrate_paths(paths: Sequence[Path], target: EmrTarget, write: bool = False) -> MigrationReport:
    """Run the Livy codemod over ``paths``; with ``write`` change the files in place."""
    report = MigrationReport(written=write)
    for path in python_files(paths):
        shown = display_path(path)
        try:
            source = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.results.append(_unreadable(shown, exc))
            continue
        result = migrate_source(source, shown, target)
        report.results.append(result)
        if write and result.changed:
            # Bytes, not text mode: no newline translation, so CRLF files stay CRLF.
            path.write_bytes(result.after.encode("utf-8"))
    return report


def _unreadable(path: str, exc: Exception) -> SourceMigration:
    result = SourceMigration(path, "", "")
    result.findings.append(
        Finding(
            "unreadable-file",
            Severity.ERROR,
            path,
            f"`{path}` could not be read as UTF-8 Python: {exc}.",
            "Check the file's permissions and encoding, or leave it out of the paths.",
            path,
        )
    )
    return result
