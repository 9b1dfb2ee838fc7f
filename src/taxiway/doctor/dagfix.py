"""``doctor dags --fix`` / ``--diff``: repair what has a known mechanical fix.

Two sources of fixes, applied to a copy of the folder's Python files:

* taxiway's own import rewrites, for a 2.x target: a 1.10 name that Airflow still forwards
  (``airflow.operators.bash_operator``) becomes the module it forwards to, read from the
  version's shim data (:mod:`taxiway.doctor.shims`), and only when that import works on
  the target (the same judgement as ``deprecated-import``);
* ruff's fixes of its ``AIR3`` rules, for a 3.x target (run with the target's grammar):
  the safe ones by default, the unsafe ones too with ``unsafe`` (``--unsafe-fixes``).

The result is a list of changed files; the CLI prints it as a unified diff and writes it
back only for ``--fix``. Running the fix again changes nothing (each rewrite removes the
finding that asked for it).
"""

from __future__ import annotations

import ast
import difflib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from taxiway.doctor.airflow3 import ruff_binary, ruff_target
from taxiway.doctor.files import python_files
from taxiway.doctor.imports import ImportContext, ImportRef
from taxiway.errors import ToolchainError
from taxiway.mwaa import MwaaRelease


@dataclass(frozen=True)
class FileFix:
    """One file the fixes change: its path, display name, old and new text."""

    path: Path
    display: str
    before: str
    after: str


@dataclass(frozen=True)
class DagFixes:
    """What the fixes change, and how many ruff fixes were held back as unsafe."""

    files: list[FileFix]
    unsafe_left: int  # ruff fixes available only with --unsafe-fixes

    def diff(self) -> str:
        """The unified diff of every changed file (``a/``/``b/`` paths, as git shows)."""
        out: list[str] = []
        for f in self.files:
            out.extend(
                difflib.unified_diff(
                    f.before.splitlines(keepends=True),
                    f.after.splitlines(keepends=True),
                    f"a/{f.display}",
                    f"b/{f.display}",
                )
            )
        # A line without its newline (the file's last) is marked as diff and patch expect.
        return "".join(
            x if x.endswith("\n") else f"{x}\n\\ No newline at end of file\n" for x in out
        )

    def write(self) -> None:
        for f in self.files:
            f.path.write_text(f.after, encoding="utf-8")


def fix_dags(
    dags_dir: Path,
    release: MwaaRelease,
    context: ImportContext,
    unsafe: bool = False,
    display_root: Path | None = None,
) -> DagFixes:
    """The fixes for every Python file below ``dags_dir`` (nothing is written)."""
    root = display_root or dags_dir.parent
    paths = list(python_files(dags_dir))
    with tempfile.TemporaryDirectory(prefix="taxiway-fix-") as tmp:
        copies: dict[Path, Path] = {}
        originals: dict[Path, str] = {}
        for path in paths:
            copy = Path(tmp) / path.relative_to(dags_dir)
            copy.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_text(encoding="utf-8", errors="replace")
            originals[path] = text
            copy.write_text(rewrite_imports(text, context), encoding="utf-8")
            copies[path] = copy
        unsafe_left = 0
        if release.airflow_major >= 3 and copies:
            _ruff_fix(list(copies.values()), release.python, unsafe)
            if not unsafe:
                unsafe_left = _unsafe_count(list(copies.values()), release.python)
        files = []
        for path, copy in copies.items():
            after = copy.read_text(encoding="utf-8")
            if after != originals[path]:
                display = path.relative_to(root).as_posix()
                files.append(FileFix(path, display, originals[path], after))
        shutil.rmtree(tmp, ignore_errors=True)
    return DagFixes(files, unsafe_left)


def _ruff_cmd(python: str) -> list[str]:
    return [
        ruff_binary(),
        "check",
        "--select",
        "AIR3",
        "--preview",
        "--target-version",
        ruff_target(python),
        "--no-cache",
        "--isolated",
    ]


def _ruff_fix(paths: list[Path], python: str, unsafe: bool) -> None:
    cmd = [*_ruff_cmd(python), "--fix-only", "--exit-zero", "--quiet"]
    cmd += ["--unsafe-fixes"] if unsafe else ["--no-unsafe-fixes"]
    proc = subprocess.run([*cmd, *map(str, paths)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolchainError(
            f"`ruff check --select AIR3 --fix` failed ({proc.returncode}): "
            f"{proc.stderr.strip()[:300]}; run it by hand to see why."
        )


def _unsafe_count(paths: list[Path], python: str) -> int:
    """How many of the diagnostics left have a fix ruff applies only with --unsafe-fixes."""
    cmd = [*_ruff_cmd(python), "--output-format", "json", "--exit-zero", "--no-fix"]
    proc = subprocess.run([*cmd, *map(str, paths)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return 0
    diags = json.loads(proc.stdout or "[]")
    return sum(
        1
        for d in diags
        if isinstance(d, dict)
        and isinstance(d.get("fix"), dict)
        and d["fix"].get("applicability") == "unsafe"
    )


def rewrite_imports(source: str, context: ImportContext) -> str:
    """``source`` with each forwarded 1.10 ``from airflow... import`` pointed at its target.

    Only for a 2.x target (on 3.x ruff's AIR3 fixes name the moves); only a name whose
    target imports on the target; a statement sharing its line with another (``;``) is
    left alone.
    """
    if context.airflow_major != 2:
        return source
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        if not node.module.startswith("airflow.") or node.end_lineno is None:
            continue
        new = _rewritten(node, context, _indent(lines[node.lineno - 1], node.col_offset))
        if new is not None and _alone(lines, node):
            end_col = node.end_col_offset or 0
            edits.append((node.lineno, node.col_offset, node.end_lineno, end_col, new))
    for start, col, end, end_col, new in sorted(edits, reverse=True):
        head = lines[start - 1].encode()[:col].decode()
        tail = lines[end - 1].encode()[end_col:].decode()
        lines[start - 1 : end] = [head + new + tail]
    return "".join(lines)


def _indent(line: str, col: int) -> str:
    return line[:col] if not line[:col].strip() else ""


def _alone(lines: list[str], node: ast.ImportFrom) -> bool:
    """Whether the statement is the only code on its lines (no ``a; from x import y``)."""
    first = lines[node.lineno - 1].encode()[: node.col_offset].decode()
    last = lines[(node.end_lineno or node.lineno) - 1].encode()[node.end_col_offset or 0 :]
    rest = last.decode().strip()
    return not first.strip() and (not rest or rest.startswith("#"))


def _rewritten(node: ast.ImportFrom, context: ImportContext, indent: str) -> str | None:
    """The new statement(s) for ``node``, or None when nothing in it has a rewrite."""
    module = node.module or ""
    groups: dict[str, list[str]] = {}
    kept: list[str] = []
    for alias in node.names:
        target = _target(module, alias.name, node.lineno, context)
        if target is None:
            kept.append(alias.name + (f" as {alias.asname}" if alias.asname else ""))
            continue
        new_module, attr = target
        bound = alias.asname or alias.name
        groups.setdefault(new_module, []).append(attr if attr == bound else f"{attr} as {bound}")
    if not groups:
        return None
    statements = [f"from {m} import {', '.join(names)}" for m, names in groups.items()]
    if kept:
        statements.insert(0, f"from {module} import {', '.join(kept)}")
    return f"\n{indent}".join(statements)


def _target(module: str, name: str, line: int, context: ImportContext) -> tuple[str, str] | None:
    """(module, name) that ``from module import name`` stands in for, when it imports."""
    from taxiway.doctor.shims import shims
    from taxiway.mwaa.apis import apis

    if name == "*":
        return None
    data = shims(context.mwaa_version) if context.mwaa_version else None
    if data is None:
        return None
    forwarded = data.forward(module, name)
    if forwarded is not None:
        new_module, _, attr = forwarded.rpartition(".")
    else:
        replacement = data.replacement(module)
        api = apis(context.mwaa_version)
        if replacement is None or api is None or not api.has_module(replacement):
            return None
        if api.missing_names(replacement, (name,)):
            return None
        new_module, attr = replacement, name
    if not new_module or new_module == module:
        return None
    if context.problems(ImportRef(new_module, line, False, (attr,))):
        return None  # the new place does not import on the target either: not a fix
    return new_module, attr
