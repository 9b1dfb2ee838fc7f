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
                 "airflow.models.dag": ["DAG", ...], "airflow.models": null, ...},
     "forwards": {"airflow.contrib.operators.spark_submit_operator":
                      {"SparkSubmitOperator": "airflow.providers.apache.spark.operators..."}},
     "imports": {"airflow.contrib.hooks.ssh_hook": ["airflow.providers.ssh.hooks.ssh"]},
     "deprecated": ["airflow.contrib.hooks.ssh_hook", ...]}

``null`` means "any name" (a module with ``__getattr__`` or a star import). ``forwards``
lists what each virtual shim module hands out and where from (Airflow imports the target
when the name is accessed); ``imports`` lists the ``airflow.*`` modules a real core module
imports at its top when it imports a provider or is ``deprecated`` (it calls
``warnings.warn`` on import: Airflow 2.0-2.3's ``airflow/contrib/*.py`` shims), and the
modules of other providers a provider module imports at its top; a provider imported
there must be installed for the module to import.
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
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from taxiway.mwaa import release

_DYNAMIC_MARKERS = (b"globals()[", b"globals().update", b"sys.modules[__name__]")


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


def _deprecated_modules(package: str, tree: ast.Module) -> dict[str, dict[str, str]]:
    """Virtual modules ``add_deprecated_classes({"sub": {"Name": "target"}}, __name__)``
    creates: {module: {name: the dotted name it forwards to}}."""
    out: dict[str, dict[str, str]] = {}
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
                out[f"{package}.{key.value!s}"] = {
                    str(k.value): str(v.value) if isinstance(v, ast.Constant) else ""
                    for k, v in zip(value.keys, value.values, strict=False)
                    if isinstance(k, ast.Constant)
                }
    return out


def _top_imports(tree: ast.Module) -> list[str]:
    """``airflow.*`` modules a module imports unconditionally at its top."""
    out = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            out.append(stmt.module)
        elif isinstance(stmt, ast.Import):
            out += [a.name for a in stmt.names]
    return sorted({m for m in out if m.startswith("airflow.")})


def _provider_package(module: str) -> str | None:
    """``airflow.providers.cncf.kubernetes.x`` -> ``airflow.providers.cncf`` (its first
    two levels below ``airflow.providers``, enough to tell two providers apart)."""
    parts = module.split(".")
    if parts[:2] != ["airflow", "providers"] or len(parts) < 3:
        return None
    return ".".join(parts[:4]) if parts[2] in _TWO_LEVEL else ".".join(parts[:3])


# Provider packages whose name has two levels (`apache-airflow-providers-apache-spark`).
_TWO_LEVEL = frozenset({"apache", "cncf", "common", "microsoft", "atlassian", "dbt"})


def _warns_on_import(tree: ast.Module) -> bool:
    """Whether the module body calls ``warnings.warn(...)``: a deprecated module."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "warn":
                return True
    return False


@dataclass
class WheelApis:
    """What one wheel adds to the ``airflow.*`` namespace (see the module docstring)."""

    modules: dict[str, list[str] | None] = field(default_factory=dict)
    forwards: dict[str, dict[str, str]] = field(default_factory=dict)
    imports: dict[str, list[str]] = field(default_factory=dict)
    deprecated: set[str] = field(default_factory=set)


def modules_of(wheel: Path) -> WheelApis:
    """``airflow.*`` modules in one wheel with their public names, shims and forwards."""
    out = WheelApis()
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.namelist():
            if not (member.startswith("airflow/") and member.endswith(".py")):
                continue
            parts = member[:-3].split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            module = ".".join(parts)
            source = zf.read(member)
            try:
                tree = ast.parse(source)
            except SyntaxError:
                out.modules[module] = None
                continue
            for virtual, forwards in _deprecated_modules(module, tree).items():
                out.forwards.setdefault(virtual, forwards)
            imports = _top_imports(tree)
            if module.startswith("airflow.providers."):
                # A provider module that imports another provider at its top needs it
                # installed (google's kubernetes_engine operators need cncf.kubernetes).
                own = _provider_package(module)
                cross = [m for m in imports if _provider_package(m) not in (None, own)]
                if cross:
                    out.imports[module] = cross
            else:
                warns = _warns_on_import(tree)
                if warns:
                    out.deprecated.add(module)
                if warns or any(m.startswith("airflow.providers.") for m in imports):
                    out.imports[module] = imports
            defined, dynamic = _defined_names(tree)
            # Names made at run time (`globals()[name] = ...`, a module swapped in
            # sys.modules) cannot be listed: any name counts.
            dynamic |= any(marker in source for marker in _DYNAMIC_MARKERS)
            public = sorted(n for n in defined if not n.startswith("_"))
            out.modules[module] = None if dynamic else public
    for virtual, forwards in out.forwards.items():
        # A virtual module replaces a real file of the same name in sys.modules, but
        # either may be what a user's Airflow loads first: both sets of names count.
        if virtual in out.modules and out.modules[virtual] is None:
            continue
        out.modules[virtual] = sorted({*(out.modules.get(virtual) or ()), *forwards})
    return out


def generate(version: str, cache: Path) -> dict[str, object]:
    """The apis document of one MWAA version (see the module docstring)."""
    dists = wheels_for(version)
    wheels = download(dists, cache)
    missing = sorted(set(dists) - set(wheels))
    if missing:
        raise SystemExit(f"wheels not downloaded for MWAA {version}: {', '.join(missing)}")
    found = WheelApis()
    for name in sorted(wheels):
        part = modules_of(wheels[name])
        found.modules.update(part.modules)
        found.forwards.update(part.forwards)
        found.imports.update(part.imports)
        found.deprecated |= part.deprecated
    return {
        "version": version,
        "distributions": dict(sorted(dists.items())),
        "modules": found.modules,
        "forwards": found.forwards,
        "imports": found.imports,
        "deprecated": sorted(found.deprecated),
    }


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
