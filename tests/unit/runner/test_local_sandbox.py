"""The sandbox's recipe and the shims' record, read back as findings."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from itertools import pairwise
from pathlib import Path

import pytest

from taxiway.runner import sandbox, shims
from taxiway.runner.shims import Call

VENV = Path(sys.executable).parent.parent


def _pairs(args: list[str], flag: str) -> list[tuple[str, str]]:
    return [(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a == flag]


def test_the_recipe_is_read_only_host_mwaa_paths_and_no_network(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    plugins = tmp_path / "plugins.zip"
    with zipfile.ZipFile(plugins, "w") as zf:
        zf.writestr("my_plugin.py", "x = 1\n")
    parts = {"dags": dags, "plugins": plugins, "requirements": None, "startup": None}
    pycache = tmp_path / "pycache"
    pycache.mkdir()
    with sandbox.container(parts, sandboxed=True, writable=(pycache,)) as box:
        args = box.argv(["true"], network=False)
        assert args[:5] == [box.bwrap, "--ro-bind", "/", "/", "--dev"]
        assert "--share-net" not in args and "--unshare-all" in args
        ro = dict((dest, src) for src, dest in _pairs(args, "--ro-bind"))
        assert ro["/usr/local/airflow/dags"] == str(dags)
        # plugins.zip is unpacked, as MWAA unpacks it
        assert Path(ro["/usr/local/airflow/plugins"], "my_plugin.py").read_text() == "x = 1\n"
        rw = dict((dest, src) for src, dest in _pairs(args, "--bind"))
        assert rw["/usr/local/airflow"] == str(box.home)
        assert rw["/tmp"] == str(box.scratch / "tmp")
        assert rw[str(pycache)] == str(pycache)
        assert "/usr/local" in [args[i + 1] for i, a in enumerate(args) if a == "--remount-ro"]
        assert args[args.index("--uid") + 1] == "1000"
        assert "--share-net" in box.argv(["true"], network=True)
        assert box.path("dags") == "/usr/local/airflow/dags" and box.path("startup") is None
        out = subprocess.run(
            box.argv(["sh", "-c", "touch /usr/local/x || echo ro; cat /etc/passwd"], network=False),
            capture_output=True,
            text=True,
            cwd=box.home,
        )
        assert "ro" in out.stdout.splitlines()
        assert "airflow:x:1000:1000:airflow:/usr/local/airflow:/bin/bash" in out.stdout


def test_on_the_host_the_container_is_the_host_paths(tmp_path: Path) -> None:
    parts = {"dags": tmp_path}
    with sandbox.container(parts, sandboxed=False) as box:
        assert box.argv(["true"], network=False) == ["true"]
        assert box.path("dags") == str(tmp_path.resolve())
        assert box.home_path == str(box.home)


def test_the_hidden_home_shows_only_what_the_environment_needs() -> None:
    home = Path.home()
    needed = sandbox.interpreter_home(VENV)
    assert needed is not None
    with sandbox.container({}, sandboxed=True, readable=(needed,)) as box:
        args = box.argv(["true"], network=False, hide_home=True)
        assert ("--tmpfs", str(home)) in pairwise(args)
        if needed.is_relative_to(home):
            assert (str(needed), str(needed)) in _pairs(args, "--ro-bind")
        assert str(home) in [args[i + 1] for i, a in enumerate(args) if a == "--remount-ro"]
        # the DAG import and Airflow keep the home (the AWS credential chain reads it)
        plain = box.argv(["true"], network=True)
        assert ("--tmpfs", str(home)) not in pairwise(plain)


def test_a_sandbox_setup_error_is_told_apart_from_the_script() -> None:
    assert sandbox.setup_error("bwrap: Can't find source path /x: No such file") is not None
    assert sandbox.setup_error("my script said bwrap: hi") is None
    assert sandbox.setup_error("") is None


def test_shims_record_arguments_exactly(tmp_path: Path) -> None:
    record = tmp_path / "record"
    shims.write_shims(tmp_path / "bin", str(record))
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}
    script = (
        "sudo -u root -E yum install -y 'a b' c && pip install -r /r.txt x && "
        "sudo VAR=1 dnf upgrade -y"
    )
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "taxiway sandbox: recorded `yum install -y a b c`" in out.stderr
    assert shims.read_calls(record) == [
        Call("yum", ("install", "-y", "a b", "c")),
        Call("pip", ("install", "-r", "/r.txt", "x")),
        Call("dnf", ("upgrade", "-y")),
    ]


@pytest.mark.parametrize(
    ("call", "packages"),
    [
        (Call("yum", ("install", "-y", "libaio")), ["libaio"]),
        (Call("dnf", ("-y", "group", "install", "Development Tools")), ["Development Tools"]),
        (Call("yum", ("update", "-y")), []),
        (Call("pip3", ("install", "--upgrade", "-r", "reqs.txt", "dbt-core")), ["dbt-core"]),
        (Call("pip", ("freeze",)), []),
        (Call("apt-get", ("install", "-y", "curl")), ["curl"]),
    ],
)
def test_installed_packages(call: Call, packages: list[str]) -> None:
    assert shims.installed_packages(call) == packages


def test_requirement_names_are_canonical(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("-c constraints.txt\nApache_Airflow.Providers-Snowflake==5.0 # x\n\ntoolz\n")
    assert shims.requirement_names(path) == {"apache-airflow-providers-snowflake", "toolz"}
    calls = [Call("pip", ("install", "toolz", "pip", "dbt-core"))]
    (warning,) = shims.call_findings(calls, "startup.sh", "amazonlinux:2023", {"toolz"})
    assert warning.code == "startup-pip-install"
    assert "dbt-core" in warning.message and "toolz" not in warning.message
