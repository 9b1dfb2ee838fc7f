"""Generate ``data/<version>/apis.json.gz``: the ``airflow.*`` modules and public names of a
MWAA version, read offline from the wheels (maintainer tool, not used at run time).

Usage (downloads the wheels with ``pip download --no-deps`` into a cache folder)::

    python -m taxiway.mwaa.generate_apis 3.3.1 2.11.2 --cache /tmp/mwaa-wheels

For each version the wheels are Airflow itself (``apache-airflow``, and for Airflow 3
``apache-airflow-core`` and ``apache-airflow-task-sdk`` at the image's versions) and every
``apache-airflow-providers-*`` distribution the version's constraints file pins. Nothing is
imported: each ``.py`` file is parsed with :mod:`ast` for the names it defines at module
level. Modules that define ``__getattr__`` (lazy or deprecated names) are marked dynamic,
and the virtual modules Airflow registers with ``add_deprecated_classes`` are added with the
names they map, so an import that works through a shim is not reported as missing.

Output (gzip JSON, sorted for stable diffs)::

    {"version": "3.3.1",
     "distributions": {"apache-airflow-providers-snowflake": "6.16.0", ...},
     "modules": {"airflow.providers.snowflake.operators.snowflake": ["Snowflake...", ...],
                 "airflow.models.dag": null, ...}}

``null`` means "any name" (core modules: only module existence is checked there, and
dynamic modules). Provider modules list their public names.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import shutil
import subprocess
import sys
import zipfile
from importlib.util import find_spec
from pathlib import Path

from taxiway.mwaa import release


def wheels_for(version: str) -> dict[str, str]:
    """{distribution: version} whose wheels make up ``version``'s ``airflow.*`` namespace."""
    target = release(version)
    dists = {"apache-airflow": version}
    for name in ("apache-airflow-core", "apache-airflow-task-sdk"):
        pinned = target.builtins.get(name) or target.constraints.get(name)
        if pinned:
            dists[name] = pinned
    for name, pinned in target.constraints.items():
        if name.startswith("apache-airflow-providers-"):
            dists[name] = pinned
    return dists


def download(dists: dict[str, str], cache: Path) -> dict[str, Path]:
    """The wheel of each distribution, downloaded into ``cache`` unless already there."""
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    missing = []
    for name, version in dists.items():
        stem = f"{name.replace('-', '_')}-{version}-"
        found = [p for p in cache.glob("*.whl") if p.name.lower().startswith(stem.lower())]
        if found:
            out[name] = found[0]
        else:
            missing.append(f"{name}=={version}")
    if missing:
        pip = [sys.executable, "-m", "pip"] if find_spec("pip") else [shutil.which("pip") or "pip"]
        cmd = [*pip, "download", "--no-deps", "--only-binary", ":all:", "-d", str(cache)]
        subprocess.run([*cmd, *missing], check=False)
        for name, version in dists.items():
            stem = f"{name.replace('-', '_')}-{version}-".lower()
            found = [p for p in cache.glob("*.whl") if p.name.lower().startswith(stem)]
            if found:
                out[name] = found[0]
    return out


def _defined_names(tree: ast.Module) -> tuple[set[str], bool]:
    """Module-level names a file binds, and whether it defines ``__getattr__``."""
    names: set[str] = set()
    dynamic = False
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(stmt.name)
            dynamic |= stmt.name == "__getattr__"
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        names.add(node.id)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                if alias.name == "*":
                    dynamic = True
                else:
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(stmt, ast.If | ast.Try | ast.With | ast.For | ast.While):
            # Names bound on one branch (version checks, optional imports) count.
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(stmt, field, []):
                    if isinstance(child, ast.ExceptHandler):
                        todo.extend(child.body)
                    else:
                        todo.append(child)
    return names, dynamic


def _deprecated_modules(package: str, tree: ast.Module) -> dict[str, set[str]]:
    """Virtual modules ``add_deprecated_classes({"sub": {"Name": ...}}, __name__)`` creates."""
    out: dict[str, set[str]] = {}
    literals: dict[str, ast.Dict] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    literals[target.id] = node.value
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name != "add_deprecated_classes":
            continue
        arg = node.args[0]
        table = literals.get(arg.id) if isinstance(arg, ast.Name) else arg
        if not isinstance(table, ast.Dict):
            continue
        for key, value in zip(table.keys, table.values, strict=False):
            if isinstance(key, ast.Constant) and isinstance(value, ast.Dict):
                names = {k.value for k in value.keys if isinstance(k, ast.Constant)}
                out[f"{package}.{key.value!s}"] = {str(n) for n in names}
    return out


def modules_of(wheel: Path, names: bool) -> dict[str, list[str] | None]:
    """``airflow.*`` modules in one wheel; with ``names``, each module's public names."""
    out: dict[str, list[str] | None] = {}
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.namelist():
            if not (member.startswith("airflow/") and member.endswith(".py")):
                continue
            parts = member[:-3].split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            module = ".".join(parts)
            try:
                tree = ast.parse(zf.read(member))
            except SyntaxError:
                out[module] = None
                continue
            for virtual, vnames in _deprecated_modules(module, tree).items():
                out.setdefault(virtual, sorted(vnames) if names else None)
            if not names:
                out[module] = None
                continue
            defined, dynamic = _defined_names(tree)
            out[module] = None if dynamic else sorted(n for n in defined if not n.startswith("_"))
    return out


def generate(version: str, cache: Path) -> dict[str, object]:
    """The apis document of one MWAA version (see the module docstring)."""
    dists = wheels_for(version)
    wheels = download(dists, cache)
    missing = sorted(set(dists) - set(wheels))
    if missing:
        raise SystemExit(f"wheels not downloaded for MWAA {version}: {', '.join(missing)}")
    modules: dict[str, list[str] | None] = {}
    for name in sorted(wheels):
        modules.update(modules_of(wheels[name], names=name.startswith("apache-airflow-providers")))
    return {"version": version, "distributions": dict(sorted(dists.items())), "modules": modules}


def main(argv: list[str] | None = None) -> None:
    """Write ``data/<version>/apis.json.gz`` for each version given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("versions", nargs="+")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mwaa-wheels"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args(argv)
    for version in args.versions:
        doc = generate(version, args.cache)
        dest = args.out / version / "apis.json.gz"
        payload = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        dest.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
        print(f"{dest}: {len(doc['modules'])} modules, {dest.stat().st_size} bytes")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
