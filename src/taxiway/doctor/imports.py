"""Static import analysis: which imports a target MWAA version can satisfy.

An import is satisfied when it is relative, in the target Python's standard library, a
module inside the project's dags (or plugins) folder, or provided by a distribution that
is built into the target or listed in the project's requirements. Import names map to
distributions through a short table of the well-known mismatches (``yaml`` -> ``PyYAML``),
the current environment's ``importlib.metadata.packages_distributions()``, and the
dotted-name convention (``google.cloud.storage`` -> ``google-cloud-storage``).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from packaging.version import Version

from taxiway.doctor.distributions import URL_REQUIREMENT, Installed
from taxiway.mwaa import normalize

# Standard-library modules removed (key: first Python without them) or added (key: first
# Python with them), so a Python 3.11 doctor judges a 3.7 or 3.12 target correctly.
_REMOVED = {
    "3.12": {"distutils", "imp", "asynchat", "asyncore", "smtpd"},
    "3.13": {
        "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib",
        "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu",
        "xdrlib", "lib2to3",
    },
}  # fmt: skip
_ADDED = {"3.9": {"zoneinfo", "graphlib"}, "3.11": {"tomllib"}}

# Import names whose distribution name differs from the name (the usual surprises).
_ALIASES: dict[str, tuple[str, ...]] = {
    "yaml": ("pyyaml",),
    "dateutil": ("python-dateutil",),
    "jwt": ("pyjwt",),
    "sklearn": ("scikit-learn",),
    "PIL": ("pillow",),
    "bs4": ("beautifulsoup4",),
    "cv2": ("opencv-python", "opencv-python-headless"),
    "attr": ("attrs",),
    "dns": ("dnspython",),
    "git": ("gitpython",),
    "jose": ("python-jose",),
    "magic": ("python-magic",),
    "dotenv": ("python-dotenv",),
    "slugify": ("python-slugify",),
    "daemon": ("python-daemon",),
    "nvd3": ("python-nvd3",),
    "psycopg2": ("psycopg2-binary", "psycopg2"),
    "MySQLdb": ("mysqlclient",),
    "snowflake": ("snowflake-connector-python", "snowflake-sqlalchemy"),
    "pkg_resources": ("setuptools",),
    "_distutils_hack": ("setuptools",),
    "grpc": ("grpcio",),
    "Crypto": ("pycryptodome",),
    "Cryptodome": ("pycryptodomex",),
    "OpenSSL": ("pyopenssl",),
    "kafka": ("kafka-python",),
    "serial": ("pyserial",),
    "zmq": ("pyzmq",),
    "opensearchpy": ("opensearch-py",),
    "bson": ("pymongo",),
    "gridfs": ("pymongo",),
    "cx_Oracle": ("cx-oracle",),
    "googleapiclient": ("google-api-python-client",),
    "google_auth_oauthlib": ("google-auth-oauthlib",),
    "sentry_sdk": ("sentry-sdk",),
    "pythonjsonlogger": ("python-json-logger",),
    "multipart": ("python-multipart",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "ldap": ("python-ldap",),
    "nacl": ("pynacl",),
    "win32api": ("pywin32",),
    "typing_extensions": ("typing-extensions",),
    "markdown": ("markdown",),
    "airflow": ("apache-airflow",),
    "smart_open": ("smart-open",),
    "fitz": ("pymupdf",),
    "Levenshtein": ("python-levenshtein", "levenshtein"),
    "lazy_object_proxy": ("lazy-object-proxy",),
    "google.protobuf": ("protobuf",),
    "pyathena": ("pyathena",),
    "awswrangler": ("awswrangler",),
    "mypy_boto3_s3": ("mypy-boto3-s3",),
    "cosmos": ("astronomer-cosmos",),
    "dbt": ("dbt-core",),
    "great_expectations_provider": ("airflow-provider-great-expectations",),
}


_NAMESPACES = frozenset({"google", "azure", "airflow", "opentelemetry", "jaraco", "backports"})


@cache
def stdlib_modules(python: str) -> frozenset[str]:
    """Top-level standard-library module names of Python ``python`` ("3.12")."""
    target = Version(python)
    names = set(sys.stdlib_module_names)
    for since, mods in _REMOVED.items():
        if target >= Version(since):
            names -= mods
        else:
            names |= mods
    for since, mods in _ADDED.items():
        if target < Version(since):
            names -= mods
    names.add("__future__")
    return frozenset(names)


@cache
def _installed_map() -> dict[str, tuple[str, ...]]:
    from importlib.metadata import packages_distributions

    return {k: tuple(normalize(d) for d in v) for k, v in packages_distributions().items()}


def distribution_candidates(module: str) -> list[str]:
    """Normalised distribution names that may provide ``module`` (most specific first)."""
    parts = module.split(".")
    top = parts[0]
    out: list[str] = []
    if top == "airflow" and len(parts) > 2 and parts[1] == "providers":
        # airflow.providers.common.sql -> apache-airflow-providers-common-sql
        for n in (2, 1):
            if len(parts) >= n + 2:
                out.append(normalize("apache-airflow-providers-" + "-".join(parts[2 : 2 + n])))
        return out
    if top == "airflow" and len(parts) > 1 and parts[1] == "sdk":
        return ["apache-airflow-task-sdk", "apache-airflow"]
    out.extend(_ALIASES.get(".".join(parts[:2]), ()))
    for n in range(min(len(parts), 3), 1, -1):
        out.append(normalize("-".join(parts[:n])))
    if len(parts) > 1 and top in _NAMESPACES:
        # Many distributions share `google`/`azure`; only the dotted names say which one.
        return list(dict.fromkeys(out))
    out.extend(_ALIASES.get(top, ()))
    out.extend(_installed_map().get(top, ()))
    out += [normalize(top), normalize(f"python-{top}"), normalize(f"{top}-python")]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class ImportRef:
    """One absolute import statement target: ``module`` at ``line``.

    ``deferred``: inside a function, so it runs when a task runs, not when the file is parsed.
    """

    module: str
    line: int
    deferred: bool = False
    names: tuple[str, ...] = ()  # ``from module import a, b``


def _guarded(handlers: Iterable[ast.ExceptHandler]) -> bool:
    for h in handlers:
        names = [h.type] if not isinstance(h.type, ast.Tuple) else list(h.type.elts)
        if h.type is None or any(
            isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError", "Exception")
            for n in names
        ):
            return True
    return False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(tree: ast.AST) -> list[ImportRef]:
    """Absolute imports anywhere in ``tree`` (tasks import at run time too), except optional
    ones: inside ``try: ... except ImportError`` or ``if TYPE_CHECKING:``."""
    out: list[ImportRef] = []

    def visit(node: ast.AST, deferred: bool) -> None:
        if isinstance(node, ast.Try) and _guarded(node.handlers):
            for handler in node.handlers:
                visit(handler, deferred)
            for rest in node.orelse + node.finalbody:
                visit(rest, deferred)
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for stmt in node.orelse:
                visit(stmt, deferred)
            return
        if isinstance(node, ast.Import):
            out.extend(ImportRef(a.name, node.lineno, deferred) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = tuple(a.name for a in node.names)
            out.append(ImportRef(node.module, node.lineno, deferred, names))
        inner = deferred or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return out


@dataclass(frozen=True)
class Problem:
    """Why one import fails on the target.

    ``verified`` is False when the shipped data cannot rule out that something installed
    provides the module (a requirement outside the data): then it is a warning, never an
    error. ``code``: ``import-unavailable``, ``airflow-module-missing``,
    ``airflow-name-missing`` or ``deprecated-import`` (a 2.x shim that still works).
    """

    code: str
    reason: str
    verified: bool = True
    hint: str = ""
    provider: str = ""  # the distribution that would provide the module, when known


# Airflow 1.10 registered plugin classes under these packages (`from airflow.operators
# import MyOperator`); Airflow 2 does not.
_PLUGIN_PACKAGES = ("airflow.operators", "airflow.sensors", "airflow.hooks", "airflow.executors")
_PLUGIN_HINT = (
    "Airflow 1.10 put plugin classes under `airflow.operators`/`airflow.hooks`/`airflow.sensors`;"
    " Airflow 2 does not: import the class from its own module (a module of the plugins or dags"
    " folder, or the provider that ships it)."
)
_API_HINT = (
    "Import it from where the installed version defines it (the provider's changelog names "
    "the replacement) or pin the provider version that still has it."
)
_SHIM_DEPTH = 3
# `airflow.providers.<family>.<name>` is the provider `apache-airflow-providers-<family>-<name>`.
_PROVIDER_FAMILIES = frozenset({"apache", "atlassian", "cncf", "common", "dbt", "microsoft"})


@dataclass(frozen=True)
class ImportContext:
    """What a target offers: Python, distributions (built in + required), local modules.

    ``installed``: the distributions pip leaves installed, followed through their
    dependencies with the shipped data (None for a version without data: the names of
    ``distributions`` alone count).
    """

    python: str
    airflow_major: int
    distributions: frozenset[str]
    local_modules: frozenset[str]
    requirements_found: bool = True  # False: a project without a requirements file
    mwaa_version: str = ""  # "3.3.1": selects the shipped module and name lists
    pinned: Mapping[str, str] = field(default_factory=dict)  # the requirements' == pins
    installed: Installed | None = None
    image_complete: bool = True  # False: the image's package list is derived, not known
    outside_modules: frozenset[str] = frozenset()  # the project's own, outside dags/plugins
    dags_package: str = ""  # the dags folder's own name: `dags` for `import dags.utils`

    def problems(self, ref: ImportRef, depth: int = 0) -> list[Problem]:
        """Why ``ref`` fails on the target (empty: it imports), shims judged by their target."""
        unavailable = self.judge(ref.module)
        if unavailable is not None:
            return [unavailable]
        api = self.api_problem(ref)
        if api is not None:
            code, why = api
            plugin = ref.module.startswith(_PLUGIN_PACKAGES) and self.airflow_major >= 2
            return [Problem(code, why, hint=_PLUGIN_HINT if plugin else _API_HINT)]
        if depth >= _SHIM_DEPTH:
            return []
        return self._shim_problems(ref, depth)

    def _shim_problems(self, ref: ImportRef, depth: int) -> list[Problem]:
        from taxiway.doctor.shims import shims

        data = shims(self.mwaa_version) if self.mwaa_version else None
        if data is None or not ref.module.startswith("airflow."):
            return []
        out: list[Problem] = []
        moved: list[str] = []
        for name in ref.names:
            target = data.forward(ref.module, name)
            if target is None:
                continue
            module, _, attr = target.rpartition(".")
            failed = self.problems(ImportRef(module, ref.line, ref.deferred, (attr,)), depth + 1)
            failed = [p for p in failed if p.code != "deprecated-import"]
            if failed:
                first = failed[0]
                hint = first.hint
                if first.provider:
                    hint = (
                        f"Add `{first.provider}` to requirements.txt and import `{attr}` from "
                        f"`{module}` (the 1.10 name is only a shim for it)."
                    )
                out.append(
                    Problem(
                        first.code,
                        f"it is a deprecation shim that imports `{target}`, and {first.reason}",
                        first.verified,
                        hint,
                        first.provider,
                    )
                )
            else:
                moved.append(f"`{name}` is `{target}`")
        for module in data.imports.get(ref.module, ()):
            if not module.startswith("airflow.providers."):
                continue
            failed = self.problems(ImportRef(module, ref.line, ref.deferred), depth + 1)
            failed = [p for p in failed if p.code != "deprecated-import"]
            if failed:
                first = failed[0]
                hint = first.hint
                if first.provider:
                    hint = f"Add `{first.provider}` to requirements.txt and import from `{module}`."
                out.append(
                    Problem(
                        first.code,
                        f"it imports `{module}` when loaded, and {first.reason}",
                        first.verified,
                        hint,
                        first.provider,
                    )
                )
                break
        if out or self.airflow_major != 2:
            # Airflow 3 targets: ruff's AIR3 rules name the moves already.
            return out
        replacement = data.replacement(ref.module)
        if moved or replacement:
            where = "; ".join(moved) if moved else f"its code is in `{replacement}`"
            out.append(
                Problem(
                    "deprecated-import",
                    f"`{ref.module}` is a deprecated Airflow 1.10 name that Airflow "
                    f"{self.mwaa_version} still forwards ({where}); Airflow 3 removes it",
                    hint="Import from the new location now; it works on Airflow 2 and 3.",
                )
            )
        return out

    def api_problem(self, ref: ImportRef) -> tuple[str, str] | None:
        """(code, reason) when an installed ``airflow.*`` module or name does not exist."""
        from taxiway.mwaa.apis import apis

        data = apis(self.mwaa_version) if self.mwaa_version else None
        if data is None or not ref.module.startswith("airflow."):
            return None
        where = f"Airflow {self.mwaa_version}"
        if ref.module.startswith("airflow.providers."):
            provider = data.provider_of(ref.module)
            if provider is None:
                return None
            version = data.distributions[provider]
            if self.pinned.get(provider, version) != version:
                return None  # the project installs another version: no data for it
            where = f"`{provider}=={version}` (MWAA {self.mwaa_version}'s constraints)"
        if not data.has_module(ref.module):
            return "airflow-module-missing", f"module `{ref.module}` does not exist in {where}"
        missing = data.missing_names(ref.module, ref.names)
        if missing:
            names = ", ".join(f"`{n}`" for n in missing)
            return "airflow-name-missing", f"{names} is not defined in `{ref.module}` of {where}"
        return None

    def provides(self, module: str) -> bool:
        """Whether a distribution of the target provides ``module`` by its name alone."""
        return _provides_by_name(module, self.distributions)

    def judge(self, module: str) -> Problem | None:
        """None when ``module`` can be imported on the target, else the problem."""
        top = module.split(".", 1)[0]
        if top in stdlib_modules(self.python) or top in self.local_modules:
            return None
        if top == "airflow":
            parts = module.split(".")
            if len(parts) > 1 and parts[1] == "sdk" and self.airflow_major < 3:
                return Problem("import-unavailable", "`airflow.sdk` exists only in Airflow 3")
            if not (len(parts) > 2 and parts[1] == "providers"):
                return None
        if self.provides(module):
            return None
        inst = self.installed
        if inst is not None and top != "airflow" and inst.module_provider(module):
            return None
        deps = ", nor any of their dependencies," if inst is not None else ""
        if top == "airflow":
            provider = self._provider_name(module)
            reason = f"provider `{provider}` is not built in, not in the requirements" + (
                " and not a dependency of either" if inst is not None else ""
            )
            providers: tuple[str, ...] = (provider,)
        else:
            providers = inst.data.providers_of(module) if inst is not None else ()
            reason = f"no built-in or required distribution{deps} provides it"
            if providers:
                reason += f"; `{providers[0]}` would"
        provider = providers[0] if providers else ""
        path_requirement = inst is not None and _path_requirement(inst)
        if top == self.dags_package and top not in self.local_modules and not path_requirement:
            # The project imports its dags folder by the folder's name (`from dags.utils
            # import x`), which works where the folder's parent is on `sys.path` (a Docker
            # image with PYTHONPATH=/opt/airflow, a test run from the repository).
            rest = module.split(".", 1)[1] if "." in module else ""
            return Problem(
                "import-unavailable",
                f"`{top}` is the dags folder itself: MWAA puts the folder on `sys.path`, not "
                "its parent (and resets `PYTHONPATH`), so its modules import without the "
                f"`{top}.` prefix",
                hint=f"Import `{rest}` instead."
                if rest
                else "Import the folder's modules by their own names.",
            )
        if top in self.outside_modules and not path_requirement:
            # The project's own code, left where MWAA does not look: no installed package
            # has to be guessed at to know that this fails.
            return Problem(
                "import-unavailable",
                f"`{top}` is a module of the project outside its dags and plugins folders, "
                "and MWAA puts only those on `sys.path`",
                hint=f"Move `{top}` into the dags folder (and list it in `.airflowignore`) "
                "or into the plugins.",
            )
        if inst is None:
            return Problem("import-unavailable", reason, provider=provider)
        unknown = sorted(inst.unverified)
        if (
            top != "airflow"
            and top not in _NAMESPACES
            and not providers
            and any(_named_after(top, n) for n in inst.unverified | inst.modules_unknown)
        ):
            # A distribution outside the data named `<module>-...` (`polygon-api-client`)
            # installs that module, or extends the distribution that does and requires it
            # (`pandas-gbq`). Only for a module no known distribution provides: with one
            # (`snowflake.snowpark` is `snowflake-snowpark-python`'s), the name says nothing.
            return None
        if top == "airflow":
            # An Airflow provider comes only with a distribution of Airflow's ecosystem:
            # across every version's data, no distribution without `airflow` in its name
            # requires one (nor a provider by an extra), so an unknown `avro-python3` or
            # `crcmod` cannot bring `apache-airflow-providers-docker`.
            unknown = [n for n in unknown if _may_bring_providers(n)]
        if unknown:
            names = ", ".join(f"`{n}`" for n in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            would = f" (`{providers[0]}` provides it)" if providers and top != "airflow" else ""
            return Problem(
                "import-unavailable",
                f"{reason.split('; ')[0]} as far as the shipped MWAA {self.mwaa_version} data "
                f"knows{would}, but the data does not know what {names} "
                + (
                    "installs, so it may bring it"
                    if len(unknown) == 1
                    else "install, so one of them may bring it"
                ),
                verified=False,
                provider=provider,
            )
        others = sorted(inst.modules_unknown)
        if others and not providers and not _provides_by_name(module, others):
            # Installed distributions whose modules are not known might ship it under
            # another name; a module the data attributes to another distribution would
            # clash with that one, so only an unattributed module is in doubt.
            names = ", ".join(f"`{n}`" for n in others[:5]) + (" ..." if len(others) > 5 else "")
            return Problem(
                "import-unavailable",
                f"{reason}, unless one of {names} (whose modules the shipped data does not "
                "list) installs it under another name",
                verified=False,
            )
        if not self.image_complete and providers:
            return Problem(
                "import-unavailable",
                f"{reason}, unless MWAA {self.mwaa_version}'s image has it: its package list is "
                "not published, only Airflow and its base providers are known",
                verified=False,
                provider=provider,
            )
        return Problem("import-unavailable", reason, provider=provider)

    def _provider_name(self, module: str) -> str:
        """The provider distribution of an ``airflow.providers.*`` module: from the shipped
        API data, else from the distribution data, else by the dotted-name convention."""
        from taxiway.mwaa.apis import apis

        data = apis(self.mwaa_version) if self.mwaa_version else None
        named = data.provider_of(module) if data is not None else None
        if named is None and self.installed is not None:
            # Only a provider's own distribution counts: the walk up the dotted name ends at
            # `airflow`, which `apache-airflow` installs, for a provider the data lacks.
            found = [
                d
                for d in self.installed.data.providers_of(module)
                if d.startswith("apache-airflow-providers-")
            ]
            named = found[0] if found else None
        if named is None:
            # By the naming convention: one level below `airflow.providers` (`docker`,
            # `standard`) unless that level is a family (`apache.beam`, `microsoft.mssql`).
            parts = module.split(".")
            levels = 2 if len(parts) > 3 and parts[2] in _PROVIDER_FAMILIES else 1
            named = normalize("apache-airflow-providers-" + "-".join(parts[2 : 2 + levels]))
        return named

    def unavailable_reason(self, module: str) -> str | None:
        """None when ``module`` can be imported on the target, else why not."""
        problem = self.judge(module)
        return problem.reason if problem is not None else None


def _may_bring_providers(name: str) -> bool:
    """Whether an unverified requirement might pull Airflow providers with it."""
    return name == URL_REQUIREMENT or "airflow" in name.lower()


def _path_requirement(installed: Installed) -> bool:
    """Whether a requirement is a URL or a path (``-e .``): it may install the project."""
    return URL_REQUIREMENT in installed.unverified


def _provides_by_name(module: str, distributions: Iterable[str]) -> bool:
    """Whether a distribution's name alone says it provides ``module``."""
    names = frozenset(distributions)
    if any(c in names for c in distribution_candidates(module)):
        return True
    # `dag-factory` ships `dagfactory`, `python-slugify` `slugify`: a distribution whose
    # name squashed (separators and a python- affix dropped) is the module's name.
    top = module.split(".", 1)[0].lower().replace("_", "")
    return any(_squashed(d) == top for d in names)


def _named_after(top: str, distribution: str) -> bool:
    """Whether ``distribution``'s name is the module's name and more words: the convention
    of clients, connectors and extensions (``polygon-api-client`` installs ``polygon``,
    ``great-expectations-x`` needs ``great_expectations``). ``python-``/``py-``/``types-``
    are affixes, not modules (``types`` is the standard library's anyway)."""
    head = top.lower().replace("_", "-")
    if head in ("py", "python", "types") or distribution == URL_REQUIREMENT:
        return False
    return normalize(distribution).startswith(head + "-")


def _squashed(distribution: str) -> str:
    name = distribution.lower()
    for affix in ("python-", "py-"):
        name = name.removeprefix(affix)
    return name.removesuffix("-python").replace("-", "").replace("_", "")
