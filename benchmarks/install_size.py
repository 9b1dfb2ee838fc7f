"""Benchmark: what `pip install taxiway` downloads, bare and with each extra.

Sums the sizes of the wheels uv.lock records for this interpreter and platform (the best
matching wheel of each locked package, as pip would pick), for the set of packages
``uv export`` lists for each choice of extras. Prints one JSON object; exits 1 when the
bare install pulls in a heavy library (the light install's whole point).

    uv run python benchmarks/install_size.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

REPO = Path(__file__).resolve().parents[1]
HEAVY = {"duckdb", "pyarrow", "numpy", "pyspark", "sqlglot", "apache-airflow", "boto3"}
CHOICES: dict[str, list[str]] = {
    "bare": [],
    "pipeline": ["--extra", "pipeline"],
    "aws": ["--extra", "aws"],
    "spark": ["--extra", "spark"],
    "airflow": ["--extra", "airflow"],
    "all": ["--all-extras"],
}


def _uv() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


def packages(extra_args: list[str]) -> dict[str, str]:
    """name -> version of every package ``uv export`` installs here for these extras."""
    cmd = [_uv(), "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes"]
    out = subprocess.run(
        [*cmd, "--format", "requirements-txt", *extra_args],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "-")):
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate():
            found[canonicalize_name(req.name)] = str(req.specifier).removeprefix("==")
    return found


def wheel_sizes() -> dict[tuple[str, str], tuple[int, str]]:
    """(name, version) -> (bytes, file) of the wheel pip would choose on this machine."""
    lock = tomllib.loads((REPO / "uv.lock").read_text("utf-8"))
    rank = {tag: i for i, tag in enumerate(sys_tags())}
    chosen: dict[tuple[str, str], tuple[int, str]] = {}
    for pkg in lock["package"]:
        best: tuple[int, int, str] | None = None
        for wheel in pkg.get("wheels", []):
            filename = wheel["url"].rsplit("/", 1)[-1]
            tags = parse_wheel_filename(filename)[3]
            score = min((rank[t] for t in tags if t in rank), default=None)
            if score is not None and (best is None or score < best[0]):
                best = (score, wheel.get("size", 0), filename)
        if best is None and "sdist" in pkg:
            best = (0, pkg["sdist"].get("size", 0), "sdist")
        if best is not None:
            chosen[(canonicalize_name(pkg["name"]), pkg["version"])] = (best[1], best[2])
    return chosen


def main() -> int:
    sizes = wheel_sizes()
    report: dict[str, object] = {"platform": str(next(iter(sys_tags())))}
    bare: dict[str, str] = {}
    for choice, args in CHOICES.items():
        pkgs = packages(args)
        if choice == "bare":
            bare = pkgs
        total = sum(sizes.get((n, v), (0, ""))[0] for n, v in pkgs.items())
        largest = sorted(pkgs, key=lambda n: -sizes.get((n, pkgs[n]), (0, ""))[0])[:5]
        report[choice] = {
            "packages": len(pkgs),
            "download_mb": round(total / 1e6, 1),
            "largest": {n: round(sizes.get((n, pkgs[n]), (0, ""))[0] / 1e6, 1) for n in largest},
        }
    heavy = sorted(HEAVY & set(bare))
    report["heavy_in_bare"] = heavy
    print(json.dumps(report, indent=2))
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
